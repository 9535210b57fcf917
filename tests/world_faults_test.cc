// End-to-end: every fault of the test world, driven through real programs (examples/ and
// curl) in the client namespace, asserting the exact outcome the kernel gives them. The
// measured outcomes are tabled in docs/testing.md; a kernel that changes them fails here.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/requirements.h"
#include "tests/world/world.h"

namespace netcorr::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

// The "result: ..." lines a program printed, without the prefix.
std::vector<std::string> Results(const CommandResult& r) {
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(r.out, '\n')) {
    if (absl::ConsumePrefix(&line, "result: ")) lines.emplace_back(line);
  }
  return lines;
}

// The first result line.
std::string Result(const CommandResult& r) {
  std::vector<std::string> lines = Results(r);
  return lines.empty() ? "<no result line; stderr: " + r.err + ">" : lines.front();
}

bool NamespaceExists(const std::string& name) {
  struct stat st;
  return stat(absl::StrCat("/run/netns/", name).c_str(), &st) == 0;
}

// Packet count of the first rule of `iptables-save -c` output containing all `needles`.
int64_t RuleCount(const std::string& save_output, const std::vector<std::string>& needles) {
  for (absl::string_view line : absl::StrSplit(save_output, '\n')) {
    bool all = true;
    for (const std::string& n : needles) all = all && absl::StrContains(line, n);
    if (!all || !absl::ConsumePrefix(&line, "[")) continue;
    int64_t packets = -1;
    if (absl::SimpleAtoi(line.substr(0, line.find(':')), &packets)) return packets;
  }
  return -1;
}

class WorldTest : public ::testing::Test {
 protected:
  void SetUp() override {
    NETCORR_REQUIRE(Root("network namespaces and iptables"));
    absl::StatusOr<std::unique_ptr<World>> w = World::Create();
    ASSERT_TRUE(w.ok()) << w.status();
    world_ = std::move(*w);
  }

  // Runs an examples/ program in the client namespace.
  CommandResult Client(const std::string& program, std::vector<std::string> args,
                       absl::Duration timeout = absl::Seconds(15)) {
    args.insert(args.begin(), ExamplePath(program));
    return Run(Node::kClient, args, timeout);
  }

  CommandResult Run(Node node, const std::vector<std::string>& argv,
                    absl::Duration timeout = absl::Seconds(15)) {
    absl::StatusOr<CommandResult> r = world_->Exec(node, argv, timeout);
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok()) return CommandResult{};
    EXPECT_FALSE(r->timed_out) << argv[0] << " hit the test's own deadline";
    return *r;
  }

  void Fault(const std::vector<std::string>& args) {
    absl::Status s = world_->Fault(args);
    ASSERT_TRUE(s.ok()) << s;
  }

  std::unique_ptr<World> world_;
};

// Tests that run once per address family, the parameter being the server's address.
class FamilyTest : public WorldTest, public ::testing::WithParamInterface<const char*> {
 protected:
  std::string server() const { return GetParam(); }
  bool v6() const { return absl::StrContains(server(), ':'); }
  std::string Url(int port) const {
    return v6() ? absl::StrCat("http://[", server(), "]:", port, "/")
                : absl::StrCat("http://", server(), ":", port, "/");
  }
};

std::string FamilyName(const ::testing::TestParamInfo<const char*>& info) {
  return absl::StrContains(info.param, ':') ? "v6" : "v4";
}

#define NETCORR_BOTH_FAMILIES(suite) \
  INSTANTIATE_TEST_SUITE_P(Families, suite, ::testing::Values(kServerV4, kServerV6), FamilyName)

// ---- The healthy world --------------------------------------------------------------------

using HealthyTest = FamilyTest;

TEST_P(HealthyTest, EchoAndHttpSucceed) {
  ASSERT_TRUE(world_->Serve("tcp", 8080).ok());
  CommandResult echo = Client(
      "tcp_client", {"--host", server(), "--port", "8080", "--send", "100000", "--nonblocking"});
  EXPECT_EQ(Result(echo), "ok bytes=100000");
  EXPECT_EQ(echo.exit_code, 0);
  CommandResult http = Client("tcp_client", {"--host", server(), "--port", "8080"});
  EXPECT_THAT(Result(http), HasSubstr("ok bytes="));
  CommandResult curl = Run(Node::kClient, {"curl", "-sS", "--max-time", "5", Url(8080)});
  EXPECT_EQ(curl.exit_code, 0) << curl.err;
  EXPECT_THAT(curl.out, HasSubstr("hello from the netcorr test world"));
}

TEST_P(HealthyTest, UdpEchoAnswers) {
  ASSERT_TRUE(world_->Serve("udp", 5353).ok());
  // The echo of a query is not a response (QR clear): dns_query receives it, says it ignored
  // it, and then times out waiting for a real answer.
  CommandResult r = Client("dns_query", {"--server", server(), "--port", "5353", "--name",
                                         "echo.test", "--timeout", "300"});
  EXPECT_THAT(r.err, HasSubstr("ignored a 27-byte datagram"));
  EXPECT_EQ(Result(r), "recv EAGAIN");
}

TEST_P(HealthyTest, ThreadsAndForkedChildrenAllConnect) {
  ASSERT_TRUE(world_->Serve("tcp", 8080).ok());
  CommandResult threads =
      Client("threads_client", {"--host", server(), "--port", "8080", "--threads", "8"});
  EXPECT_EQ(threads.exit_code, 0) << threads.out;
  EXPECT_THAT(Results(threads), SizeIs(9));
  EXPECT_EQ(Results(threads).back(), "done ok=8 failed=0");
  CommandResult forks =
      Client("fork_client", {"--host", server(), "--port", "8080", "--children", "4"});
  EXPECT_EQ(forks.exit_code, 0) << forks.out;
  EXPECT_THAT(Results(forks), SizeIs(5));
  EXPECT_EQ(Results(forks).back(), "done ok=4 failed=0");
}

NETCORR_BOTH_FAMILIES(HealthyTest);

// ---- no-listener: the SYN is answered by RST ----------------------------------------------

using NoListenerTest = FamilyTest;

TEST_P(NoListenerTest, ConnectIsRefused) {
  Fault({"no-listener"});
  EXPECT_EQ(Result(Client("tcp_client", {"--host", server(), "--port", "7001"})),
            "connect ECONNREFUSED");
  // Non-blocking: EINPROGRESS, then SO_ERROR carries the refusal.
  EXPECT_EQ(Result(Client("tcp_client", {"--host", server(), "--port", "7001", "--nonblocking"})),
            "connect ECONNREFUSED");
  CommandResult curl = Run(Node::kClient, {"curl", "-sS", "--max-time", "5", Url(7001)});
  EXPECT_EQ(curl.exit_code, 7);  // CURLE_COULDNT_CONNECT
  EXPECT_THAT(curl.err, HasSubstr("Couldn't connect to server"));
}

TEST_P(NoListenerTest, EveryThreadAndChildIsRefused) {
  CommandResult threads =
      Client("threads_client", {"--host", server(), "--port", "7001", "--threads", "4"});
  EXPECT_EQ(threads.exit_code, 1);
  std::vector<std::string> lines = Results(threads);
  ASSERT_THAT(lines, SizeIs(5));
  for (int i = 0; i < 4; ++i) EXPECT_THAT(lines[i], HasSubstr("connect ECONNREFUSED thread="));
  CommandResult forks =
      Client("fork_client", {"--host", server(), "--port", "7001", "--children", "3"});
  EXPECT_EQ(Results(forks).back(), "done ok=0 failed=3");
}

NETCORR_BOTH_FAMILIES(NoListenerTest);

// ---- syn-drop-server: SYNs vanish ----------------------------------------------------------

using SynDropTest = FamilyTest;

TEST_P(SynDropTest, ConnectTimesOut) {
  Fault({"syn-drop-server", "7002"});
  // Blocking connect bounded by SO_SNDTIMEO: the kernel gives up the wait with EINPROGRESS.
  EXPECT_EQ(Result(Client("tcp_client",
                          {"--host", server(), "--port", "7002", "--connect-timeout", "1000"})),
            "connect EINPROGRESS");
  // Non-blocking connect: the application's poll() deadline passes.
  EXPECT_EQ(Result(Client("tcp_client", {"--host", server(), "--port", "7002", "--nonblocking",
                                         "--connect-timeout", "1000"})),
            "connect timeout");
  // With TCP_SYNCNT 1 the kernel itself gives up after 1 + 2 s: ETIMEDOUT.
  EXPECT_EQ(
      Result(Client("tcp_client", {"--host", server(), "--port", "7002", "--syn-retries", "1"})),
      "connect ETIMEDOUT");
}

NETCORR_BOTH_FAMILIES(SynDropTest);

// ---- syn-drop-first: one SYN lost, the retransmission gets through --------------------------

using SynDropFirstTest = FamilyTest;

TEST_P(SynDropFirstTest, ConnectSucceedsAfterRetransmission) {
  ASSERT_TRUE(world_->Serve("tcp", 7600).ok());
  Fault({"syn-drop-first", "7600"});
  CommandResult r = Client("tcp_client", {"--host", server(), "--port", "7600", "--repeat", "2"});
  EXPECT_THAT(Results(r), ElementsAre(::testing::StartsWith("ok"), ::testing::StartsWith("ok")));
  // Exactly one SYN hit the DROP rule: the first one, not the retransmission, not the second
  // connection's.
  CommandResult save =
      Run(Node::kServer, {v6() ? "ip6tables-save" : "iptables-save", "-c", "-t", "filter"});
  EXPECT_EQ(RuleCount(save.out, {"--dport 7600", "--set", "-j DROP"}), 1) << save.out;
}

NETCORR_BOTH_FAMILIES(SynDropFirstTest);

// ---- reject-router / reject-server: ICMP errors ---------------------------------------------

struct RejectCase {
  const char* code;
  const char* tcp_errno_v4;
  const char* tcp_errno_v6;
  const char* udp_errno_v4;  // connected UDP socket, recv()
  const char* udp_errno_v6;
};

// Measured on Linux 6.x (see docs/testing.md). UDP sockets hear only "hard" ICMP errors
// unless IP_RECVERR is set, so host/net unreachable leave the DNS query to time out.
constexpr RejectCase kRejectCases[] = {
    {"host-unreach", "EHOSTUNREACH", "EHOSTUNREACH", "EAGAIN", "EAGAIN"},
    {"net-unreach", "ENETUNREACH", "ENETUNREACH", "EAGAIN", "EAGAIN"},
    {"port-unreach", "ECONNREFUSED", "ECONNREFUSED", "ECONNREFUSED", "ECONNREFUSED"},
    {"admin-prohibited", "EHOSTUNREACH", "EACCES", "EHOSTUNREACH", "EACCES"},
};

class RejectTest : public WorldTest,
                   public ::testing::WithParamInterface<std::tuple<const char*, RejectCase, bool>> {
 protected:
  std::string server() const { return std::get<0>(GetParam()); }
  bool v6() const { return absl::StrContains(server(), ':'); }
  const RejectCase& rc() const { return std::get<1>(GetParam()); }
  bool at_router() const { return std::get<2>(GetParam()); }
};

TEST_P(RejectTest, ConnectAndDnsGetTheIcmpError) {
  Fault({at_router() ? "reject-router" : "reject-server", rc().code, "7003"});
  const std::string tcp = v6() ? rc().tcp_errno_v6 : rc().tcp_errno_v4;
  const std::string udp = v6() ? rc().udp_errno_v6 : rc().udp_errno_v4;
  EXPECT_EQ(Result(Client("tcp_client", {"--host", server(), "--port", "7003"})), "connect " + tcp);
  EXPECT_EQ(Result(Client("tcp_client", {"--host", server(), "--port", "7003", "--nonblocking",
                                         "--connect-timeout", "5000"})),
            "connect " + tcp);
  EXPECT_EQ(Result(Client("dns_query", {"--server", server(), "--port", "7003", "--name",
                                        "reject.test", "--timeout", "500"})),
            "recv " + udp);
  // The error came from the node that was told to reject: its rule counted the packets.
  CommandResult save = Run(at_router() ? Node::kRouter : Node::kServer,
                           {v6() ? "ip6tables-save" : "iptables-save", "-c", "-t", "filter"});
  EXPECT_GE(RuleCount(save.out, {at_router() ? "-A FORWARD" : "-A INPUT", "-p tcp", "--dport 7003",
                                 "REJECT"}),
            1)
      << save.out;
}

INSTANTIATE_TEST_SUITE_P(Codes, RejectTest,
                         ::testing::Combine(::testing::Values(kServerV4, kServerV6),
                                            ::testing::ValuesIn(kRejectCases), ::testing::Bool()),
                         [](const ::testing::TestParamInfo<RejectTest::ParamType>& info) {
                           std::string code = std::get<1>(info.param).code;
                           std::erase(code, '-');
                           return absl::StrCat(
                               std::get<2>(info.param) ? "router_" : "server_", code, "_",
                               absl::StrContains(std::get<0>(info.param), ':') ? "v6" : "v4");
                         });

// ---- no-route: nothing leaves the client ----------------------------------------------------

using NoRouteTest = FamilyTest;

TEST_P(NoRouteTest, ConnectFailsAtOnce) {
  Fault({"no-route"});
  EXPECT_EQ(Result(Client("tcp_client", {"--host", server(), "--port", "8080"})),
            "connect ENETUNREACH");
  EXPECT_EQ(Result(Client("tcp_client", {"--host", server(), "--port", "8080", "--nonblocking"})),
            "connect ENETUNREACH");
  EXPECT_EQ(Result(Client("dns_query", {"--server", server(), "--name", "x.test"})),
            "connect ENETUNREACH");
}

NETCORR_BOTH_FAMILIES(NoRouteTest);

// ---- client-output-drop / client-output-reject: the local firewall ---------------------------

using ClientOutputTest = FamilyTest;

TEST_P(ClientOutputTest, DropHidesTcpAndFailsUdpSend) {
  Fault({"client-output-drop", "7300"});
  // TCP ignores the local drop of its SYN and retransmits: the connect times out.
  EXPECT_EQ(Result(Client("tcp_client",
                          {"--host", server(), "--port", "7300", "--connect-timeout", "1000"})),
            "connect EINPROGRESS");
  // UDP hears the netfilter verdict directly.
  EXPECT_EQ(Result(Client("dns_query", {"--server", server(), "--port", "7300", "--name", "x.test",
                                        "--timeout", "500"})),
            "send EPERM");
}

TEST_P(ClientOutputTest, RejectRefusesTcpAndFailsUdpSend) {
  Fault({"client-output-reject", "7301"});
  EXPECT_EQ(Result(Client("tcp_client", {"--host", server(), "--port", "7301"})),
            "connect ECONNREFUSED");
  EXPECT_EQ(Result(Client("dns_query", {"--server", server(), "--port", "7301", "--name", "x.test",
                                        "--timeout", "500"})),
            "send EPERM");
}

NETCORR_BOTH_FAMILIES(ClientOutputTest);

// ---- reset-server: RST after the request ----------------------------------------------------

using ResetTest = FamilyTest;

TEST_P(ResetTest, RecvIsReset) {
  Fault({"reset-server", "7400"});
  EXPECT_EQ(Result(Client("tcp_client", {"--host", server(), "--port", "7400"})),
            "recv ECONNRESET");
  EXPECT_EQ(Result(Client("tcp_client",
                          {"--host", server(), "--port", "7400", "--nonblocking", "--send", "10"})),
            "recv ECONNRESET");
  CommandResult curl = Run(Node::kClient, {"curl", "-sS", "--max-time", "5", Url(7400)});
  EXPECT_EQ(curl.exit_code, 56);  // CURLE_RECV_ERROR
  EXPECT_THAT(curl.err, HasSubstr("reset by peer"));
}

NETCORR_BOTH_FAMILIES(ResetTest);

// ---- UDP and DNS ---------------------------------------------------------------------------

using UdpDnsTest = FamilyTest;

TEST_P(UdpDnsTest, ClosedPortRefusesConnectedSocketOnly) {
  Fault({"udp-closed", "7500"});
  EXPECT_EQ(Result(Client("dns_query", {"--server", server(), "--port", "7500", "--name", "x.test",
                                        "--timeout", "500"})),
            "recv ECONNREFUSED");
  // An unconnected socket is not told about the ICMP error: it just hears nothing.
  EXPECT_EQ(Result(Client("dns_query", {"--server", server(), "--port", "7500", "--name", "x.test",
                                        "--timeout", "500", "--unconnected"})),
            "recv EAGAIN");
}

TEST_P(UdpDnsTest, DroppedQueryTimesOut) {
  Fault({"dns-drop"});
  CommandResult r = Client(
      "dns_query", {"--server", server(), "--name", "x.test", "--timeout", "400", "--tries", "2"});
  EXPECT_EQ(Result(r), "recv EAGAIN");
  EXPECT_EQ(r.exit_code, 1);
}

TEST_P(UdpDnsTest, ServfailIsReported) {
  Fault({"dns-servfail"});
  CommandResult r = Client("dns_query", {"--server", server(), "--name", "x.test", "--type", "AAAA",
                                         "--timeout", "1000"});
  EXPECT_EQ(Result(r), "dns SERVFAIL");
  EXPECT_EQ(r.exit_code, 1);
}

NETCORR_BOTH_FAMILIES(UdpDnsTest);

// ---- dns_test_server and the client's resolv.conf -------------------------------------------

// dig's "status: NXDOMAIN" from its header line, "" when it printed none.
std::string DigStatus(const CommandResult& r) {
  const size_t at = r.out.find("status: ");
  if (at == std::string::npos) return "";
  return r.out.substr(at + 8, r.out.find(',', at) - at - 8);
}

using DnsServerTest = FamilyTest;

TEST_P(DnsServerTest, ByNameServerAnswersTheZoneAndNamesItsModes) {
  ASSERT_TRUE(world_->ServeDns().ok());
  auto dig = [&](const std::string& name, const std::string& type) {
    return Run(Node::kClient, {"dig", "+tries=1", "+time=1", absl::StrCat("@", server()), name,
                               type});
  };
  CommandResult a = dig("www.netcorr.test", "A");
  EXPECT_EQ(DigStatus(a), "NOERROR") << a.out;
  EXPECT_THAT(a.out, HasSubstr("10.71.2.2"));
  EXPECT_THAT(a.out, HasSubstr(" aa"));  // authoritative
  CommandResult aaaa = dig("www.netcorr.test", "AAAA");
  EXPECT_THAT(aaaa.out, HasSubstr("fd71:2::2"));
  EXPECT_EQ(DigStatus(dig("nxdomain.netcorr.test", "A")), "NXDOMAIN");
  EXPECT_EQ(DigStatus(dig("elsewhere.example", "A")), "NXDOMAIN");
  EXPECT_EQ(DigStatus(dig("refused.netcorr.test", "A")), "REFUSED");
  EXPECT_EQ(DigStatus(dig("servfail.netcorr.test", "A")), "SERVFAIL");
  EXPECT_EQ(DigStatus(dig("no-aaaa.netcorr.test", "A")), "NOERROR");
  EXPECT_THAT(dig("no-aaaa.netcorr.test", "AAAA").out, HasSubstr("timed out"));
  CommandResult tc = Run(Node::kClient, {"dig", "+tries=1", "+time=1", "+ignore",
                                         absl::StrCat("@", server()), "truncate.netcorr.test"});
  EXPECT_THAT(tc.out, HasSubstr(" tc"));
}

TEST_P(DnsServerTest, GlibcResolvesThroughTheWorldsResolvConf) {
  if (v6()) Fault({"resolver-v6"});
  ASSERT_TRUE(world_->ServeDns().ok());
  CommandResult conf = Run(Node::kClient, {"cat", "/etc/resolv.conf"});
  EXPECT_THAT(conf.out, HasSubstr(absl::StrCat("nameserver ", server())));
  EXPECT_THAT(conf.out, HasSubstr("options timeout:1 attempts:2"));
  // "www" is found through the search list.
  CommandResult ok = Run(Node::kClient, {"getent", "ahostsv4", "www"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_THAT(ok.out, HasSubstr("10.71.2.2"));
  CommandResult missing = Run(Node::kClient, {"getent", "ahosts", "nxdomain"});
  EXPECT_EQ(missing.exit_code, 2);  // getent: key not found
}

TEST_P(DnsServerTest, TruncatedAnswerIsRetriedOverTcpWhereItIsRefusedOrAnswered) {
  Fault({"dns-truncate"});
  CommandResult refused = Run(Node::kClient, {"dig", "+tries=1", "+time=1",
                                              absl::StrCat("@", server()), "x.netcorr.test"});
  EXPECT_THAT(refused.out, HasSubstr("Truncated, retrying in TCP mode"));
  EXPECT_THAT(refused.out + refused.err, HasSubstr("connection refused"));
}

TEST_P(DnsServerTest, TruncatedAnswerOverTcpSucceeds) {
  Fault({"dns-truncate", "tcp-answer"});
  CommandResult r = Run(Node::kClient, {"dig", "+tries=1", "+time=1",
                                        absl::StrCat("@", server()), "x.netcorr.test"});
  EXPECT_THAT(r.out, HasSubstr("Truncated, retrying in TCP mode"));
  EXPECT_EQ(DigStatus(r), "NOERROR");
  EXPECT_THAT(r.out, HasSubstr("10.71.2.2"));
}

TEST_P(DnsServerTest, EveryNameModes) {
  Fault({"dns-refused"});
  EXPECT_EQ(DigStatus(Run(Node::kClient, {"dig", "+tries=1", "+time=1",
                                          absl::StrCat("@", server()), "www.netcorr.test"})),
            "REFUSED");
}

NETCORR_BOTH_FAMILIES(DnsServerTest);

// ---- tls-alert -----------------------------------------------------------------------------

using TlsAlertTest = FamilyTest;

TEST_P(TlsAlertTest, CurlSeesHandshakeFailure) {
  Fault({"tls-alert", "7443"});
  std::string url = Url(7443);
  url.replace(0, 4, "https");
  CommandResult curl = Run(Node::kClient, {"curl", "-sS", "-k", "--max-time", "5", url});
  EXPECT_EQ(curl.exit_code, 35);  // CURLE_SSL_CONNECT_ERROR
  EXPECT_THAT(curl.err, HasSubstr("alert handshake failure"));
}

NETCORR_BOTH_FAMILIES(TlsAlertTest);

// ---- pmtu-blackhole ------------------------------------------------------------------------

using PmtuTest = FamilyTest;

TEST_P(PmtuTest, SmallExchangePassesLargeOneStalls) {
  ASSERT_TRUE(world_->Serve("tcp", 8080).ok());
  Fault({"pmtu-blackhole"});
  EXPECT_EQ(Result(Client("tcp_client", {"--host", server(), "--port", "8080", "--send", "1000",
                                         "--read-timeout", "1500"})),
            "ok bytes=1000");
  // Full-sized segments exceed the router's 1300-byte link, the ICMP saying so never leaves
  // the router: the handshake worked, the data never arrives.
  EXPECT_EQ(Result(Client("tcp_client", {"--host", server(), "--port", "8080", "--send", "20000",
                                         "--read-timeout", "1500"})),
            "recv EAGAIN");
  EXPECT_EQ(Result(Client("tcp_client", {"--host", server(), "--port", "8080", "--send", "20000",
                                         "--read-timeout", "1500", "--nonblocking"})),
            "recv timeout");
}

NETCORR_BOTH_FAMILIES(PmtuTest);

// ---- the demo ------------------------------------------------------------------------------

TEST_F(WorldTest, DemoAppMeetsEachFailure) {
  CommandResult setup = *RunCommand(
      {absl::StrCat(NETCORR_SOURCE_DIR, "/examples/demo_world.sh"), "faults", world_->name()},
      absl::Seconds(30), {absl::StrCat("NETCORR_EXAMPLES_DIR=", ExamplePath(""))});
  ASSERT_EQ(setup.exit_code, 0) << setup.err;
  CommandResult r = Client("demo_app", {"--timeout", "1500"});
  EXPECT_THAT(Results(r),
              ElementsAre("connect ECONNREFUSED", "connect timeout", "connect EHOSTUNREACH",
                          "recv ECONNRESET", "recv EAGAIN", "done failed=5"));
  EXPECT_EQ(r.exit_code, 1);
}

// ---- teardown ------------------------------------------------------------------------------

TEST(WorldTeardownTest, DestructorRemovesNamespacesAndServers) {
  NETCORR_REQUIRE(Root("network namespaces and iptables"));
  absl::StatusOr<std::unique_ptr<World>> w = World::Create();
  ASSERT_TRUE(w.ok()) << w.status();
  const std::string name = (*w)->name();
  ASSERT_TRUE((*w)->Serve("tcp", 8080).ok());
  ASSERT_TRUE((*w)->Fault({"reset-server", "7400"}).ok());
  for (Node n : {Node::kClient, Node::kRouter, Node::kServer}) {
    EXPECT_TRUE(NamespaceExists((*w)->NamespaceName(n)));
  }
  w->reset();
  for (const char* suffix : {"-c", "-r", "-s"}) EXPECT_FALSE(NamespaceExists(name + suffix));
  struct stat st;
  EXPECT_NE(stat(absl::StrCat("/run/netcorr-world/", name).c_str(), &st), 0);
}

// A child process makes a world and then dies in each way a test process can; afterwards no
// namespace of its world may remain (the signal handler, or `networld.sh gc` for SIGKILL).
class DyingOwnerTest : public ::testing::TestWithParam<int> {};

TEST_P(DyingOwnerTest, WorldIsRemoved) {
  NETCORR_REQUIRE(Root("network namespaces and iptables"));
  int pipefd[2];
  ASSERT_EQ(pipe(pipefd), 0);
  const int how = GetParam();
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(pipefd[0]);
    absl::StatusOr<std::unique_ptr<World>> w = World::Create();
    if (!w.ok()) _exit(3);
    std::string name = (*w)->name();
    if (write(pipefd[1], name.data(), name.size()) != static_cast<ssize_t>(name.size())) _exit(4);
    close(pipefd[1]);
    if (how == 0) std::exit(1);  // exit() without unwinding: atexit teardown
    raise(how);                  // SIGABRT (a failed CHECK), SIGTERM, SIGINT, SIGKILL
    _exit(5);
  }
  close(pipefd[1]);
  char buf[64] = {};
  ssize_t n = read(pipefd[0], buf, sizeof(buf) - 1);
  close(pipefd[0]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_GT(n, 0) << "child could not create a world, status " << status;
  const std::string name(buf, static_cast<size_t>(n));
  if (how == SIGKILL) {
    // Nothing runs in a SIGKILLed process: its world stays until the next gc (ours, or that
    // of a test running in parallel, which is why its presence here is not asserted).
    CommandResult gc = *RunCommand({NetworldScript(), "gc"}, absl::Seconds(60));
    EXPECT_EQ(gc.exit_code, 0) << gc.err;
  }
  for (const char* suffix : {"-c", "-r", "-s"}) EXPECT_FALSE(NamespaceExists(name + suffix));
}

INSTANTIATE_TEST_SUITE_P(Ways, DyingOwnerTest,
                         ::testing::Values(0, SIGABRT, SIGTERM, SIGINT, SIGKILL),
                         [](const ::testing::TestParamInfo<int>& info) -> std::string {
                           switch (info.param) {
                             case 0:
                               return "exit";
                             case SIGABRT:
                               return "abort";
                             case SIGTERM:
                               return "sigterm";
                             case SIGINT:
                               return "sigint";
                             default:
                               return "sigkill";
                           }
                         });

}  // namespace
}  // namespace netcorr::testing
