// A client that rejects the server's certificate (`tls-selfsigned`: openssl s_server with a
// certificate signed by itself, made at test time): the client's own fatal alert unknown_ca is
// the one finding, told live and offline (tests/support/story.h).
//
// Seen on the wire with Debian 12's curl and openssl (OpenSSL 3.0), TLS 1.3 negotiated: the
// server's Certificate is encrypted, but the client sends its alert before it has switched its
// own writes to the handshake keys, so the alert record is plaintext (content type 21).
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/requirements.h"
#include "tests/support/story.h"

namespace netcorr::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr char kPort[] = "7443";
constexpr char kHost[] = "test.example";

class TlsRejectStory : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    NETCORR_REQUIRE(Root("namespaces, ptrace and capture"), Program("/usr/bin/strace"),
                    Program("/usr/bin/tcpdump"), Program("/usr/bin/curl"),
                    Program("/usr/bin/openssl"));
    auto world = World::Create();
    ASSERT_TRUE(world.ok()) << world.status();
    world_ = std::move(*world);
    ASSERT_TRUE(world_->Fault({"tls-selfsigned", kPort, kHost}).ok());
    story_ = std::make_unique<StoryRunner>(*world_, dir_);
  }
  bool v6() const { return GetParam(); }
  std::string Server() const { return v6() ? kServerV6 : kServerV4; }

  void ExpectOneOwnUnknownCa(const std::vector<std::string>& argv, int program_exit) {
    absl::StatusOr<Told> live = story_->Live(argv);
    ASSERT_TRUE(live.ok()) << live.status();
    absl::StatusOr<Told> offline = story_->Recorded(argv);
    ASSERT_TRUE(offline.ok()) << offline.status();
    EXPECT_EQ(live->netcorr.exit_code, program_exit) << live->Describe();
    EXPECT_EQ(offline->program.exit_code, program_exit) << offline->Describe();
    for (const Told* t : {&*live, &*offline}) {
      const std::vector<const JsonValue*> failures = Failures(t->report);
      ASSERT_THAT(failures, SizeIs(1)) << t->Describe();
      const JsonValue& f = *failures[0];
      EXPECT_EQ(f["kind"].string, "tls_alert") << t->Describe();
      EXPECT_FALSE(f["tls"]["from_peer"].boolean) << t->Describe();
      EXPECT_EQ(f["tls"]["sni"].string, kHost) << t->Describe();
      EXPECT_EQ(f["tls"]["description_name"].string, "unknown_ca") << t->Describe();
      EXPECT_EQ(f["tls"]["level_name"].string, "fatal") << t->Describe();
      EXPECT_EQ(f["flow"]["remote"]["ip"].string, Server()) << t->Describe();
      EXPECT_THAT(f["summary"].string,
                  HasSubstr("this program rejected the certificate of test.example (alert "
                            "unknown_ca)"))
          << t->Describe();
      EXPECT_THAT(f["hint"].string, HasSubstr("does not trust the issuer")) << t->Describe();
    }
  }

  std::unique_ptr<World> world_;
  TempDir dir_;
  std::unique_ptr<StoryRunner> story_;
};

TEST_P(TlsRejectStory, CurlRejectsASelfSignedCertificate) {
  const std::string addr = v6() ? absl::StrCat("[", kServerV6, "]") : std::string(kServerV4);
  // curl exits 60: "SSL certificate problem: self-signed certificate".
  ExpectOneOwnUnknownCa({"/usr/bin/curl", "-sS", absl::StrCat("https://", kHost, ":", kPort, "/"),
                         "--resolve", absl::StrCat(kHost, ":", kPort, ":", addr)},
                        60);
}

TEST_P(TlsRejectStory, OpensslClientWithVerifyReturnError) {
  const std::string addr = v6() ? absl::StrCat("[", kServerV6, "]") : std::string(kServerV4);
  ExpectOneOwnUnknownCa({"/usr/bin/openssl", "s_client", "-connect", absl::StrCat(addr, ":", kPort),
                         "-servername", kHost, "-verify_return_error"},
                        1);
}

INSTANTIATE_TEST_SUITE_P(IpVersions, TlsRejectStory, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "v6" : "v4";
                         });

}  // namespace
}  // namespace netcorr::testing
