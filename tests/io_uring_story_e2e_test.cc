// A program that drives its socket through io_uring (examples/uring_client.cc: IORING_OP_CONNECT,
// SEND, RECV on a raw ring): ptrace sees io_uring_setup and io_uring_enter, never the connect.
// Told live and offline (tests/support/story.h), IPv4 and IPv6, the report must say what it
// could not see (`blind_spots`), and still tell the refused connection from its packets alone,
// as one finding based on "packets_only" whose call stands for the unseen operation.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/requirements.h"
#include "tests/support/story.h"
#include "tests/support/story_fixture.h"

namespace netcorr::testing {
namespace {

using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

constexpr int kRefusingPort = 7001;
constexpr int kEchoPort = 7004;

class IoUringStory : public StoryFixture, public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    NETCORR_REQUIRE(Root("namespaces, ptrace and capture"), Program("/usr/bin/strace"),
                    Program("/usr/bin/tcpdump"));
    MakeWorld();
  }

  std::string Server() const { return GetParam() ? kServerV6 : kServerV4; }

  std::vector<std::string> Client(int port, const std::string& send_bytes) const {
    return {ExamplePath("uring_client"), "--host", Server(),  "--port",
            std::to_string(port),        "--send", send_bytes};
  }

  // The one blind spot: the client's ring, with at least what it submitted for the connect
  // (the connect and its linked timeout).
  static void ExpectOneRing(const Told& t) {
    const JsonValue& spots = t.report["blind_spots"];
    ASSERT_EQ(spots.size(), 1u) << t.Describe();
    EXPECT_EQ(spots[0]["mechanism"].string, "io_uring") << t.Describe();
    EXPECT_EQ(spots[0]["rings"].int_value, 1) << t.Describe();
    EXPECT_GE(spots[0]["submissions"].int_value, 2) << t.Describe();
    EXPECT_GT(spots[0]["pid"].int_value, 0) << t.Describe();
  }
};

TEST_P(IoUringStory, RingConnectRefusedIsOnePacketsOnlyRefusedByRst) {
  const std::vector<Told> told = TellBothWays(Client(kRefusingPort, "0"));
  ASSERT_THAT(told, SizeIs(2));
  for (const Told& t : told) {
    EXPECT_TRUE(absl::StrContains(ProgramOutput(t), "result: connect ECONNREFUSED"))
        << t.Describe();
    ExpectOneRing(t);
    EXPECT_THAT(FindingsOfKind(t.report, "unexplained"), IsEmpty()) << t.Describe();
    const std::vector<const JsonValue*> failures = Failures(t.report);
    ASSERT_THAT(failures, SizeIs(1)) << t.Describe();
    const JsonValue& f = *failures[0];
    EXPECT_EQ(f["kind"].string, "refused_by_rst") << t.Describe();
    EXPECT_EQ(f["based_on"].string, "packets_only") << t.Describe();
    EXPECT_EQ(f["call"]["name"].string, "io_uring") << t.Describe();
    EXPECT_EQ(f["call"]["pid"].int_value, t.report["blind_spots"][0]["pid"].int_value)
        << t.Describe();
    EXPECT_EQ(f["call"]["address"]["ip"].string, Server()) << t.Describe();
    EXPECT_EQ(f["call"]["address"]["port"].int_value, kRefusingPort) << t.Describe();
    EXPECT_TRUE(f["call"]["result"].is_null()) << t.Describe();
    EXPECT_EQ(f["resolved_by"]["name"].string, "io_uring_enter") << t.Describe();
    EXPECT_EQ(f["flow"]["remote"]["ip"].string, Server()) << t.Describe();
    EXPECT_EQ(f["handshake"]["rst_seen"].boolean, true) << t.Describe();
    EXPECT_THAT(f["evidence"].array, Not(IsEmpty())) << t.Describe();
  }
}

TEST_P(IoUringStory, RingEchoExchangeShowsNoFailure) {
  ASSERT_TRUE(world_->Serve("tcp", kEchoPort).ok());
  const std::vector<Told> told = TellBothWays(Client(kEchoPort, "100"));
  ASSERT_THAT(told, SizeIs(2));
  for (const Told& t : told) {
    EXPECT_TRUE(absl::StrContains(ProgramOutput(t), "result: ok bytes=100")) << t.Describe();
    ExpectOneRing(t);
    EXPECT_THAT(Failures(t.report), IsEmpty()) << t.Describe();
    EXPECT_THAT(FindingsOfKind(t.report, "unexplained"), IsEmpty()) << t.Describe();
  }
}

INSTANTIATE_TEST_SUITE_P(IpVersions, IoUringStory, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "v6" : "v4";
                         });

}  // namespace
}  // namespace netcorr::testing
