// End-to-end stories told by real clients of each common runtime (issue 10), live and offline
// (tests/support/story.h), IPv4 and IPv6:
//   Go      raw syscalls from many threads; a non-blocking connect whose wait is the netpoller's
//           epoll_pwait (often in another thread), then getsockopt(SO_ERROR)
//   Node.js libuv: non-blocking connect, epoll, getsockopt(SO_ERROR); a thread pool beside it
//   Python  the socket module with a timeout: non-blocking connect, poll, getsockopt(SO_ERROR)
//   glibc   getaddrinfo (from Python, and `getent ahosts`) against a DNS server that drops
// Each failure must be exactly one finding of the right kind on the right call, never
// `unexplained`; a run that succeeded shows no failure. The clients are tests/programs/.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/requirements.h"
#include "tests/support/story.h"
#include "tests/support/story_fixture.h"

namespace netcorr::testing {
namespace {

using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr char kGo[] = "/usr/bin/go";
constexpr char kNode[] = "/usr/bin/node";
constexpr char kPython[] = "/usr/bin/python3";
constexpr char kGetent[] = "/usr/bin/getent";

// The world's ports, one per story.
constexpr int kRefusingPort = 7001;  // no listener: RST
constexpr int kSynDropPort = 7002;   // the server drops SYNs
constexpr int kResetPort = 7003;     // reset_server: reads the request, answers RST
constexpr int kEchoPort = 7004;      // echo_server

// A 1.5 s application deadline: shorter than the SYN back-off's third try, so the program,
// not the kernel, gives up on an unanswered SYN.
constexpr char kGiveUpMs[] = "1500";
constexpr char kRequestMs[] = "3000";

enum class Runtime { kGo, kNode, kPython };

std::string RuntimeName(Runtime r) {
  switch (r) {
    case Runtime::kGo:
      return "go";
    case Runtime::kNode:
      return "node";
    case Runtime::kPython:
      return "python";
  }
  return "?";
}

std::string ProgramSource(const std::string& name) {
  return absl::StrCat(NETCORR_SOURCE_DIR, "/tests/programs/", name);
}

// The one failure a story must end in, and the program's own account of it.
struct ExpectedFailure {
  std::string kind;           // finding kind
  std::string call;           // the call the finding names
  std::string outcome_errno;  // the errno the program was told (or ETIMEDOUT when it gave up)
  // The later call that revealed the outcome, any of these; empty when none is expected.
  std::vector<std::string> resolved_by;
  std::string program_says;   // the client's result line
};

void ExpectNothingUnexplained(const Told& t) {
  EXPECT_THAT(FindingsOfKind(t.report, "unexplained"), IsEmpty()) << t.Describe();
}

void ExpectOneFailure(const Told& t, const ExpectedFailure& e) {
  EXPECT_TRUE(absl::StrContains(ProgramOutput(t), e.program_says))
      << "the program did not fail as the story needs: " << t.Describe();
  ExpectNothingUnexplained(t);
  const std::vector<const JsonValue*> failures = Failures(t.report);
  ASSERT_THAT(failures, SizeIs(1)) << t.Describe();
  const JsonValue& f = *failures[0];
  EXPECT_EQ(f["kind"].string, e.kind) << t.Describe();
  EXPECT_EQ(f["call"]["name"].string, e.call) << t.Describe();
  EXPECT_EQ(f["outcome_errno"].string, e.outcome_errno) << t.Describe();
  EXPECT_EQ(f["based_on"].string, "syscalls_and_packets") << t.Describe();
  EXPECT_THAT(f["evidence"].array, ::testing::Not(IsEmpty())) << t.Describe();
  if (!e.resolved_by.empty()) {
    EXPECT_THAT(e.resolved_by, ::testing::Contains(f["resolved_by"]["name"].string))
        << t.Describe();
  }
}

void ExpectNoFailure(const Told& t) {
  EXPECT_TRUE(absl::StrContains(ProgramOutput(t), "result: ok")) << t.Describe();
  EXPECT_THAT(Failures(t.report), IsEmpty()) << t.Describe();
  ExpectNothingUnexplained(t);
}

class RuntimeStory : public StoryFixture,
                     public ::testing::TestWithParam<std::tuple<Runtime, bool>> {
 protected:
  void SetUp() override {
    NETCORR_REQUIRE(Root("namespaces, ptrace and capture"), Program("/usr/bin/strace"),
                    Program("/usr/bin/tcpdump"), Program(Interpreter()));
    MakeWorld();
    if (runtime() == Runtime::kGo) BuildGoClient();
  }

  Runtime runtime() const { return std::get<0>(GetParam()); }
  bool v6() const { return std::get<1>(GetParam()); }
  std::string Server() const { return v6() ? kServerV6 : kServerV4; }

  std::string Interpreter() const {
    switch (runtime()) {
      case Runtime::kGo:
        return kGo;
      case Runtime::kNode:
        return kNode;
      case Runtime::kPython:
        return kPython;
    }
    return "";
  }

  // `go build` of the stdlib-only client into this test's temp dir, off the network: its own
  // GOCACHE and GOPATH, no module proxy. About half a second (Debian's Go ships the standard
  // library compiled); bounded at 120 s.
  void BuildGoClient() {
    go_client_ = dir_.File("go_dial");
    absl::StatusOr<CommandResult> r = RunCommand(
        {"/usr/bin/env", "-C", ProgramSource("go_dial"), kGo, "build", "-o", go_client_, "."},
        absl::Seconds(120),
        {"GOCACHE=" + dir_.File("gocache"), "GOPATH=" + dir_.File("gopath"), "GOFLAGS=-mod=mod",
         "GOPROXY=off", "GOTOOLCHAIN=local", "CGO_ENABLED=0", "HOME=" + dir_.path()});
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->exit_code, 0) << "go build failed:\n" << r->err;
  }

  // The client of this runtime: MODE ("connect" or "request") to the server's PORT.
  std::vector<std::string> Client(const std::string& mode, int port,
                                  const std::string& timeout_ms) const {
    std::vector<std::string> argv;
    switch (runtime()) {
      case Runtime::kGo:
        argv = {go_client_};
        break;
      case Runtime::kNode:
        argv = {kNode, ProgramSource("node_dial.js")};
        break;
      case Runtime::kPython:
        argv = {kPython, ProgramSource("python_dial.py")};
        break;
    }
    for (const std::string& a : {mode, Server(), std::to_string(port), timeout_ms}) {
      argv.push_back(a);
    }
    return argv;
  }

  // The call that reads from a TCP socket in this runtime.
  std::string ReadCall() const { return runtime() == Runtime::kPython ? "recvfrom" : "read"; }
  // The wait after which the runtime's timer fired.
  std::string WaitCall() const { return runtime() == Runtime::kPython ? "poll" : "epoll_pwait"; }
  // What ends a connect the program gave up on: the wait that timed out, or for Go, whose
  // deadline fires on a runtime timer rather than in the netpoller's epoll_pwait, maybe the
  // close() itself when no epoll_pwait returned in between.
  std::vector<std::string> GiveUpCalls() const {
    if (runtime() == Runtime::kGo) return {WaitCall(), "close"};
    return {WaitCall()};
  }

  std::string go_client_;
};

TEST_P(RuntimeStory, RefusedConnectIsOneRefusedByRst) {
  const std::vector<Told> told = TellBothWays(Client("connect", kRefusingPort, kGiveUpMs));
  ASSERT_THAT(told, SizeIs(2));
  for (const Told& t : told) {
    ExpectOneFailure(t, {"refused_by_rst", "connect", "ECONNREFUSED", {"getsockopt"},
                         "result: connect ECONNREFUSED"});
  }
}

TEST_P(RuntimeStory, ConnectGivenUpOnUnansweredSynIsOneSynUnanswered) {
  ASSERT_TRUE(world_->Fault({"syn-drop-server", std::to_string(kSynDropPort)}).ok());
  const std::vector<Told> told = TellBothWays(Client("connect", kSynDropPort, kGiveUpMs));
  ASSERT_THAT(told, SizeIs(2));
  for (const Told& t : told) {
    ExpectOneFailure(
        t, {"syn_unanswered", "connect", "ETIMEDOUT", GiveUpCalls(), "result: connect timeout"});
  }
}

TEST_P(RuntimeStory, ReadOnAResetConnectionIsOneResetByPeer) {
  ASSERT_TRUE(world_->Fault({"reset-server", std::to_string(kResetPort)}).ok());
  const std::vector<Told> told = TellBothWays(Client("request", kResetPort, kRequestMs));
  ASSERT_THAT(told, SizeIs(2));
  for (const Told& t : told) {
    ExpectOneFailure(t, {"reset_by_peer", ReadCall(), "ECONNRESET", {}, "result: recv ECONNRESET"});
  }
}

TEST_P(RuntimeStory, EchoExchangeShowsNoFailure) {
  ASSERT_TRUE(world_->Serve("tcp", kEchoPort).ok());
  const std::vector<Told> told = TellBothWays(Client("request", kEchoPort, kRequestMs));
  ASSERT_THAT(told, SizeIs(2));
  for (const Told& t : told) ExpectNoFailure(t);
}

INSTANTIATE_TEST_SUITE_P(Runtimes, RuntimeStory,
                         ::testing::Combine(::testing::Values(Runtime::kGo, Runtime::kNode,
                                                              Runtime::kPython),
                                            ::testing::Bool()),
                         [](const ::testing::TestParamInfo<std::tuple<Runtime, bool>>& p) {
                           return RuntimeName(std::get<0>(p.param)) +
                                  (std::get<1>(p.param) ? "_v6" : "_v4");
                         });

// glibc's stub resolver (getaddrinfo: A and AAAA queries in one sendmmsg on a connected UDP
// socket, poll, a retry) asking a DNS server that drops every query.
class ResolverStory : public StoryFixture, public ::testing::TestWithParam<std::tuple<bool, bool>> {
 protected:
  void SetUp() override {
    NETCORR_REQUIRE(Root("namespaces, ptrace and capture"), Program("/usr/bin/strace"),
                    Program("/usr/bin/tcpdump"), Program(kPython), Program(kGetent));
    MakeWorld();
    ASSERT_TRUE(world_->Resolver(v6()).ok());
  }

  bool with_getent() const { return std::get<0>(GetParam()); }
  bool v6() const { return std::get<1>(GetParam()); }

  std::vector<std::string> Lookup(const std::string& name) const {
    if (with_getent()) return {kGetent, "ahosts", name};
    return {kPython, ProgramSource("python_dial.py"), "resolve", name};
  }
};

TEST_P(ResolverStory, UnansweredQueriesAreOneNoResponse) {
  ASSERT_TRUE(world_->Fault({"dns-drop"}).ok());
  const std::vector<Told> told = TellBothWays(Lookup("svc.netcorr.test"));
  ASSERT_THAT(told, SizeIs(2));
  for (const Told& t : told) {
    if (!with_getent()) {
      EXPECT_TRUE(absl::StrContains(ProgramOutput(t), "result: resolve EAI_AGAIN")) << t.Describe();
    }
    ExpectNothingUnexplained(t);
    const std::vector<const JsonValue*> failures = Failures(t.report);
    ASSERT_THAT(failures, SizeIs(1)) << t.Describe();
    const JsonValue& f = *failures[0];
    EXPECT_EQ(f["kind"].string, "no_response") << t.Describe();
    // The wait after which the resolver tried no more; the queries are its evidence.
    EXPECT_EQ(f["call"]["name"].string, "poll") << t.Describe();
    EXPECT_EQ(f["flow"]["transport"].string, "udp") << t.Describe();
    EXPECT_EQ(f["flow"]["remote"]["ip"].string, v6() ? kServerV6 : kServerV4) << t.Describe();
    EXPECT_EQ(f["flow"]["remote"]["port"].int_value, 53) << t.Describe();
    EXPECT_EQ(f["dns"]["name"].string, "svc.netcorr.test") << t.Describe();
  }
}

INSTANTIATE_TEST_SUITE_P(Resolvers, ResolverStory,
                         ::testing::Combine(::testing::Bool(), ::testing::Bool()),
                         [](const ::testing::TestParamInfo<std::tuple<bool, bool>>& p) {
                           return std::string(std::get<0>(p.param) ? "getent" : "python") +
                                  (std::get<1>(p.param) ? "_v6" : "_v4");
                         });

}  // namespace
}  // namespace netcorr::testing
