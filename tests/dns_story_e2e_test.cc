// End-to-end DNS stories, told live and offline (tests/support/story.h), against the world's
// dns_test_server with real resolvers: dig, glibc's getaddrinfo (getent ahosts) and Python's
// socket.getaddrinfo, over IPv4 and IPv6 server addresses. Each cause is one finding, however
// many queries, sockets, search domains and attempts the resolver spent on it; a lookup that
// succeeded is never a failure.
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/requirements.h"
#include "tests/support/story.h"

namespace netcorr::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;
using ::testing::StartsWith;

constexpr char kDig[] = "/usr/bin/dig";
constexpr char kGetent[] = "/usr/bin/getent";
constexpr char kPython[] = "/usr/bin/python3";

class DnsStory : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    NETCORR_REQUIRE(Root("namespaces, ptrace and capture"), Program("/usr/bin/strace"),
                    Program("/usr/bin/tcpdump"), Program(kDig), Program(kGetent), Program(kPython));
    auto world = World::Create();
    ASSERT_TRUE(world.ok()) << world.status();
    world_ = std::move(*world);
    // The client's resolv.conf names the server by the address family under test.
    if (v6()) {
      ASSERT_TRUE(world_->Fault({"resolver-v6"}).ok());
    }
    story_ = std::make_unique<StoryRunner>(*world_, dir_);
  }

  bool v6() const { return GetParam(); }
  std::string Server() const { return v6() ? kServerV6 : kServerV4; }
  std::vector<std::string> Dig(const std::string& name) const {
    return {kDig, "+tries=1", "+time=1", absl::StrCat("@", Server()), name};
  }

  std::vector<Told> TellBothWays(const std::vector<std::string>& argv) {
    return testing::TellBothWays(*story_, argv);
  }

  // The one failure of a report, which must be a dns_error with `rcode` from the server.
  void ExpectOneDnsError(const Told& t, const std::string& rcode) {
    const std::vector<const JsonValue*> failures = Failures(t.report);
    ASSERT_THAT(failures, SizeIs(1)) << t.Describe();
    const JsonValue& f = *failures[0];
    EXPECT_EQ(f["kind"].string, "dns_error") << t.Describe();
    EXPECT_EQ(f["dns"]["rcode_name"].string, rcode) << t.Describe();
    EXPECT_EQ(f["flow"]["remote"]["ip"].string, Server()) << t.Describe();
    EXPECT_EQ(f["based_on"].string, "syscalls_and_packets");
    EXPECT_FALSE(f["evidence"].array.empty()) << t.Describe();
  }

  std::unique_ptr<World> world_;
  TempDir dir_;
  std::unique_ptr<StoryRunner> story_;
};

TEST_P(DnsStory, DigNxdomainIsOneDnsError) {
  ASSERT_TRUE(world_->ServeDns().ok());
  for (const Told& t : TellBothWays(Dig("nxdomain.netcorr.test"))) {
    ExpectOneDnsError(t, "NXDOMAIN");
    const JsonValue& f = *Failures(t.report)[0];
    EXPECT_EQ(f["dns"]["name"].string, "nxdomain.netcorr.test") << t.Describe();
    EXPECT_EQ(f["dns"]["qtype"].string, "A") << t.Describe();
    EXPECT_THAT(f["hint"].string, HasSubstr("does not exist on the DNS server")) << t.Describe();
    EXPECT_THAT(f["hint"].string, HasSubstr("search domains")) << t.Describe();
  }
}

// glibc asks A and AAAA on a new socket per search-list form of the name: four answers, one
// cause.
TEST_P(DnsStory, GlibcNxdomainThroughTheSearchListIsOneDnsError) {
  ASSERT_TRUE(world_->ServeDns().ok());
  for (const Told& t : TellBothWays({kGetent, "ahosts", "nxdomain.netcorr.test"})) {
    ExpectOneDnsError(t, "NXDOMAIN");
    EXPECT_THAT((*Failures(t.report)[0])["dns"]["name"].string, StartsWith("nxdomain.netcorr.test"))
        << t.Describe();
    EXPECT_THAT(FindingsOfKind(t.report, "no_response"), SizeIs(0)) << t.Describe();
  }
}

TEST_P(DnsStory, PythonGetaddrinfoNxdomainIsOneDnsError) {
  ASSERT_TRUE(world_->ServeDns().ok());
  for (const Told& t : TellBothWays(
           {kPython, "-c", "import socket; socket.getaddrinfo('nxdomain.netcorr.test', 80)"})) {
    ExpectOneDnsError(t, "NXDOMAIN");
  }
}

TEST_P(DnsStory, RefusedIsOneDnsErrorPointingAtTheServersAcl) {
  ASSERT_TRUE(world_->ServeDns().ok());
  for (const std::vector<std::string>& argv :
       {Dig("refused.netcorr.test"),
        std::vector<std::string>{kGetent, "ahosts", "refused.netcorr.test"}}) {
    for (const Told& t : TellBothWays(argv)) {
      ExpectOneDnsError(t, "REFUSED");
      const JsonValue& f = *Failures(t.report)[0];
      EXPECT_THAT(f["hint"].string, HasSubstr("refuses to answer this client")) << t.Describe();
      EXPECT_THAT(f["hint"].string, HasSubstr("recursion")) << t.Describe();
    }
  }
}

// RFC 1035 4.2.1: TC set, dig asks again over TCP, where nothing listens: one chain.
TEST_P(DnsStory, TruncatedAnswerWithTcpRefusedIsOneDnsError) {
  ASSERT_TRUE(world_->Fault({"dns-truncate", "tcp-closed"}).ok());
  // dig: one non-blocking connect; glibc: a blocking connect per search-list form of the name.
  std::vector<Told> told = TellBothWays(Dig("big.netcorr.test"));
  for (Told& t : TellBothWays({kGetent, "ahosts", "big.netcorr.test"}))
    told.push_back(std::move(t));
  ASSERT_THAT(told, SizeIs(4));
  for (const Told& t : told) {
    const std::vector<const JsonValue*> failures = Failures(t.report);
    ASSERT_THAT(failures, SizeIs(1)) << t.Describe();
    const JsonValue& f = *failures[0];
    EXPECT_EQ(f["kind"].string, "dns_error") << t.Describe();
    EXPECT_TRUE(f["dns"]["truncated"].boolean) << t.Describe();
    EXPECT_EQ(f["dns"]["tcp_retry"].string, "refused") << t.Describe();
    EXPECT_EQ(f["dns"]["name"].string, "big.netcorr.test") << t.Describe();
    EXPECT_EQ(f["call"]["name"].string, "connect") << t.Describe();
    EXPECT_THAT(f["hint"].string, HasSubstr("TCP port 53")) << t.Describe();
    EXPECT_THAT(FindingsOfKind(t.report, "refused_by_rst"), SizeIs(0)) << t.Describe();
  }
}

// The same chain when the server's SYNs are dropped: dig gives up on the TCP connect.
TEST_P(DnsStory, TruncatedAnswerWithTcpTimingOutIsOneDnsError) {
  ASSERT_TRUE(world_->Fault({"dns-truncate", "tcp-closed"}).ok());
  ASSERT_TRUE(world_->Fault({"syn-drop-server", "53"}).ok());
  for (const Told& t : TellBothWays(Dig("big.netcorr.test"))) {
    const std::vector<const JsonValue*> failures = Failures(t.report);
    ASSERT_THAT(failures, SizeIs(1)) << t.Describe();
    const JsonValue& f = *failures[0];
    EXPECT_EQ(f["kind"].string, "dns_error") << t.Describe();
    EXPECT_TRUE(f["dns"]["truncated"].boolean) << t.Describe();
    EXPECT_EQ(f["dns"]["tcp_retry"].string, "timed_out") << t.Describe();
    EXPECT_THAT(FindingsOfKind(t.report, "syn_unanswered"), SizeIs(0)) << t.Describe();
  }
}

TEST_P(DnsStory, TruncatedAnswerAnsweredOverTcpIsNoFailure) {
  ASSERT_TRUE(world_->Fault({"dns-truncate", "tcp-answer"}).ok());
  for (const Told& t : TellBothWays(Dig("big.netcorr.test"))) {
    EXPECT_THAT(Failures(t.report), SizeIs(0)) << t.Describe();
  }
}

// glibc sends A and AAAA together; AAAA is never answered; getent still prints the A address
// once the resolver stops waiting.
TEST_P(DnsStory, UnansweredAaaaIsOneSlowNoResponse) {
  ASSERT_TRUE(world_->ServeDns().ok());
  for (const Told& t : TellBothWays({kGetent, "ahosts", "no-aaaa.netcorr.test"})) {
    EXPECT_THAT(Failures(t.report), SizeIs(0)) << t.Describe();
    const std::vector<const JsonValue*> slow = FindingsOfKind(t.report, "no_response", "slow");
    ASSERT_THAT(slow, SizeIs(1)) << t.Describe();
    const JsonValue& f = *slow[0];
    EXPECT_EQ(f["dns"]["qtype"].string, "AAAA") << t.Describe();
    EXPECT_EQ(f["dns"]["name"].string, "no-aaaa.netcorr.test") << t.Describe();
    EXPECT_FALSE(f["dns"]["answered"].boolean) << t.Describe();
    // timeout:1 in resolv.conf: at least a second waited for nothing.
    EXPECT_GE(f["dns"]["lost_ns"].int_value, 900'000'000) << t.Describe();
    EXPECT_THAT(f["summary"].string, HasSubstr("the AAAA query for no-aaaa.netcorr.test"))
        << t.Describe();
  }
}

// dig waits in epoll_wait, then closes the socket: one no_response failure for the silence.
TEST_P(DnsStory, SilentServerIsOneNoResponse) {
  ASSERT_TRUE(world_->ServeDns().ok());
  for (const Told& t : TellBothWays(Dig("drop.netcorr.test"))) {
    const std::vector<const JsonValue*> failures = Failures(t.report);
    ASSERT_THAT(failures, SizeIs(1)) << t.Describe();
    EXPECT_EQ((*failures[0])["kind"].string, "no_response") << t.Describe();
    EXPECT_EQ((*failures[0])["dns"]["name"].string, "drop.netcorr.test") << t.Describe();
  }
}

// `analyze --strace` alone: every failing call is still reported, from the syscalls.
TEST_P(DnsStory, WithoutCaptureFailuresComeFromTheSyscallsAlone) {
  RecordOptions alone;
  alone.with_capture = false;
  absl::StatusOr<Told> t =
      story_->Recorded({ExamplePath("tcp_client"), "--host", Server(), "--port", "7001"}, alone);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->netcorr.exit_code, 0) << t->Describe();
  EXPECT_FALSE(t->report["capture"]["available"].boolean) << t->Describe();
  const std::vector<const JsonValue*> failures = Failures(t->report);
  ASSERT_THAT(failures, SizeIs(1)) << t->Describe();
  const JsonValue& f = *failures[0];
  EXPECT_EQ(f["kind"].string, "unexplained") << t->Describe();
  EXPECT_EQ(f["based_on"].string, "syscalls_only") << t->Describe();
  EXPECT_EQ(f["call"]["errno"].string, "ECONNREFUSED") << t->Describe();
  EXPECT_THAT(f["unexplained_reason"].string, HasSubstr("no capture was given")) << t->Describe();
  EXPECT_TRUE(f["evidence"].array.empty()) << t->Describe();
  EXPECT_THAT(t->netcorr.err, HasSubstr("no packet evidence")) << t->Describe();

  // The text report of the same log says so too.
  const std::string log = dir_.File("alone.strace");
  std::ofstream(log) << t->strace_log;
  absl::StatusOr<CommandResult> text =
      RunCommand({NETCORR_BINARY, "analyze", "--strace", log, "--no-color"}, absl::Seconds(60));
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(text->exit_code, 0) << text->err;
  // The report wraps its paragraphs: read it as one line.
  std::string flat;
  for (absl::string_view word :
       absl::StrSplit(text->err, absl::ByAnyChar(" \n"), absl::SkipEmpty())) {
    absl::StrAppend(&flat, flat.empty() ? "" : " ", word);
  }
  EXPECT_THAT(flat, HasSubstr("capture: none (no capture was given")) << text->err;
  EXPECT_THAT(flat, HasSubstr("no packet evidence, findings are based on the syscalls only"))
      << text->err;
  EXPECT_THAT(flat, HasSubstr("ECONNREFUSED")) << text->err;
}

INSTANTIATE_TEST_SUITE_P(IpVersions, DnsStory, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "v6" : "v4";
                         });

}  // namespace
}  // namespace netcorr::testing
