// End-to-end: netcorr traces real example programs in a throwaway namespace world and its
// --json report must name the right finding, call, errno and evidence — what a user checks.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "src/report/testing/json_test_parser.h"
#include "tests/support/processes.h"
#include "tests/support/requirements.h"
#include "tests/world/world.h"

namespace netcorr::testing {
namespace {

using ::netcorr::report::testing::JsonValue;
using ::netcorr::report::testing::ParseJson;

std::string Netcorr() { return NETCORR_BINARY; }

struct Traced {
  CommandResult run;
  JsonValue report;
};

class NetcorrE2e : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    NETCORR_REQUIRE(Root("namespaces, ptrace and capture"));
    auto world = World::Create();
    ASSERT_TRUE(world.ok()) << world.status();
    world_ = std::move(*world);
    ASSERT_FALSE(dir_.path().empty());
  }

  bool v6() const { return GetParam(); }
  std::string Server() const { return v6() ? kServerV6 : kServerV4; }
  std::string Router() const { return v6() ? kRouterClientSideV6 : kRouterClientSideV4; }
  std::string JsonPath() const { return dir_.File("report.json"); }
  std::string PcapPath() const { return dir_.File("packets.pcapng"); }

  // Runs `netcorr --json -o DIR/report.json -w DIR/packets.pcapng -- argv` in the client.
  Traced Trace(const std::vector<std::string>& argv, absl::Duration timeout = absl::Seconds(30)) {
    std::vector<std::string> cmd = {Netcorr(), "--json", "-o", JsonPath(), "-w", PcapPath(), "--"};
    cmd.insert(cmd.end(), argv.begin(), argv.end());
    Traced t;
    auto run = world_->RunInClient(cmd, timeout);
    EXPECT_TRUE(run.ok()) << run.status();
    if (!run.ok()) return t;
    t.run = *run;
    EXPECT_FALSE(t.run.timed_out) << t.run.err;
    auto parsed = ParseJson(ReadFile(JsonPath()));
    EXPECT_TRUE(parsed.ok()) << parsed.status() << "\nstderr:\n" << t.run.err;
    if (parsed.ok()) t.report = *parsed;
    return t;
  }

  // The finding about the first call named `call`; fails the test if there is none.
  const JsonValue* FindingFor(const Traced& t, const std::string& call) {
    for (const JsonValue& f : t.report["findings"].array) {
      if (f["call"]["name"].string == call) return &f;
    }
    ADD_FAILURE() << "no finding for " << call << "() in:\n" << t.run.err;
    return nullptr;
  }

  const JsonValue* Packet(const Traced& t, int64_t id) {
    for (const JsonValue& p : t.report["packets"].array) {
      if (p["id"].int_value == id) return &p;
    }
    return nullptr;
  }

  std::unique_ptr<World> world_;
  TempDir dir_;
};

TEST_P(NetcorrE2e, RefusedConnectIsExplainedByTheServersRst) {
  Traced t = Trace({ExamplePath("tcp_client"), "--host", Server(), "--port", "7001"});
  EXPECT_EQ(t.run.exit_code, 1) << "netcorr exits with the program's status\n" << t.run.err;
  EXPECT_TRUE(absl::StrContains(t.run.out, "result: connect ECONNREFUSED")) << t.run.out;
  const JsonValue* f = FindingFor(t, "connect");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ((*f)["kind"].string, "refused_by_rst");
  EXPECT_EQ((*f)["call"]["errno"].string, "ECONNREFUSED");
  EXPECT_EQ((*f)["flow"]["remote"]["ip"].string, Server());
  EXPECT_EQ((*f)["flow"]["remote"]["port"].int_value, 7001);

  // The evidence is our SYN and the server's RST, both stamped while connect() ran: one
  // clock for calls and packets.
  bool saw_syn = false, saw_rst = false;
  const int64_t entry = (*f)["call"]["entry_ns"].int_value;
  const int64_t exit = (*f)["call"]["exit_ns"].int_value;
  for (const JsonValue& id : (*f)["evidence"].array) {
    const JsonValue* p = Packet(t, id.int_value);
    ASSERT_NE(p, nullptr) << "evidence id " << id.int_value << " is not in packets[]";
    const std::string flags = (*p)["tcp"]["flags"].string;
    if (flags == "SYN") saw_syn = true;
    if (absl::StrContains(flags, "RST")) {
      saw_rst = true;
      EXPECT_EQ((*p)["src"]["ip"].string, Server());
    }
    EXPECT_GE((*p)["ts_ns"].int_value, entry);
    EXPECT_LE((*p)["ts_ns"].int_value, exit);
  }
  EXPECT_TRUE(saw_syn);
  EXPECT_TRUE(saw_rst);
  // tcp_client connects as soon as it has parsed its arguments, about a millisecond after it
  // starts: the capture's filter was already open for that SYN (the tracer held the connect
  // at its entry until the capture confirmed the new filter).
  for (const JsonValue& p : t.report["processes"].array) {
    if (p["kind"].string != "exec" && p["kind"].string != "started") continue;
    EXPECT_LT(entry - p["time_ns"].int_value, 100'000'000) << "connect long after the start";
  }
  for (const JsonValue& other : t.report["findings"].array) {
    EXPECT_NE(other["kind"].string, "unexplained") << other["summary"].string;
  }
}

TEST_P(NetcorrE2e, DroppedSynsAreListedWhenTheAppGivesUp) {
  ASSERT_TRUE(world_->Fault({"syn-drop-server", "7002"}).ok());
  Traced t = Trace({ExamplePath("tcp_client"), "--host", Server(), "--port", "7002",
                    "--nonblocking", "--connect-timeout", "1500"});
  EXPECT_TRUE(absl::StrContains(t.run.out, "result: connect timeout")) << t.run.out;
  const JsonValue* f = FindingFor(t, "connect");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ((*f)["kind"].string, "syn_unanswered") << (*f)["summary"].string;
  // The kernel retransmits the SYN after 1 s: two SYNs in 1.5 s.
  EXPECT_GE((*f)["handshake"]["syn_count"].int_value, 2);
  EXPECT_FALSE((*f)["handshake"]["syn_ack_seen"].boolean);
}

TEST_P(NetcorrE2e, RouterRejectNamesTheRouterAsTheIcmpSender) {
  ASSERT_TRUE(world_->Fault({"reject-router", "host-unreach", "7003"}).ok());
  Traced t = Trace({ExamplePath("tcp_client"), "--host", Server(), "--port", "7003"});
  EXPECT_TRUE(absl::StrContains(t.run.out, "result: connect EHOSTUNREACH")) << t.run.out;
  const JsonValue* f = FindingFor(t, "connect");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ((*f)["kind"].string, "icmp_unreachable") << (*f)["summary"].string;
  EXPECT_EQ((*f)["icmp"]["sender"].string, Router());
  EXPECT_EQ((*f)["icmp"]["sender_role"].string, "hop");
  // Linux ignores the first host-unreachable during SYN-SENT and fails on a later one: each
  // ICMP error about the attempt is evidence, and each one the capture holds is listed.
  size_t icmp_in_capture = 0, icmp_in_evidence = 0;
  for (const JsonValue& p : t.report["packets"].array) {
    if (p["icmp"].is_null()) continue;
    ++icmp_in_capture;
    for (const JsonValue& id : (*f)["evidence"].array) {
      if (id.int_value == p["id"].int_value) ++icmp_in_evidence;
    }
  }
  EXPECT_GE(icmp_in_capture, 1u);
  EXPECT_EQ(icmp_in_evidence, icmp_in_capture);
  EXPECT_TRUE(absl::StrContains((*f)["summary"].string, Router())) << (*f)["summary"].string;
}

TEST_P(NetcorrE2e, ServerResetMidConnectionIsResetByPeer) {
  ASSERT_TRUE(world_->Fault({"reset-server", "7004"}).ok());
  Traced t = Trace(
      {ExamplePath("tcp_client"), "--host", Server(), "--port", "7004", "--read-timeout", "2000"});
  EXPECT_TRUE(absl::StrContains(t.run.out, "ECONNRESET")) << t.run.out;
  bool found = false;
  for (const JsonValue& f : t.report["findings"].array) {
    if (f["kind"].string != "reset_by_peer") continue;
    found = true;
    EXPECT_EQ(f["call"]["errno"].string, "ECONNRESET");
    EXPECT_TRUE(f["stream"]["rst_from_peer"].boolean);
    EXPECT_GT(f["stream"]["bytes_sent"].int_value, 0);
  }
  EXPECT_TRUE(found) << t.run.err;
}

TEST_P(NetcorrE2e, DnsQueryWithoutAnswerIsNoResponse) {
  ASSERT_TRUE(world_->Fault({"dns-drop"}).ok());
  Traced t = Trace({ExamplePath("dns_query"), "--server", Server(), "--port", "53", "--name",
                    "example.test", "--timeout", "500", "--tries", "2"});
  EXPECT_TRUE(absl::StrContains(t.run.out, "result: recv EAGAIN")) << t.run.out;
  bool found = false;
  for (const JsonValue& f : t.report["findings"].array) {
    if (f["kind"].string == "no_response") found = true;
  }
  EXPECT_TRUE(found) << t.run.err;
}

TEST_P(NetcorrE2e, DnsServfailIsADnsError) {
  ASSERT_TRUE(world_->Fault({"dns-servfail"}).ok());
  Traced t = Trace({ExamplePath("dns_query"), "--server", Server(), "--port", "53", "--name",
                    "broken.test", "--timeout", "1000"});
  EXPECT_TRUE(absl::StrContains(t.run.out, "result: dns SERVFAIL")) << t.run.out;
  bool found = false;
  for (const JsonValue& f : t.report["findings"].array) {
    if (f["kind"].string != "dns_error") continue;
    found = true;
    EXPECT_EQ(f["dns"]["rcode_name"].string, "SERVFAIL");
    EXPECT_EQ(f["dns"]["name"].string, "broken.test");
  }
  EXPECT_TRUE(found) << t.run.err;
}

TEST_P(NetcorrE2e, NoRouteMeansNoPacketWasSent) {
  ASSERT_TRUE(world_->Fault({"no-route"}).ok());
  Traced t = Trace({ExamplePath("tcp_client"), "--host", Server(), "--port", "7001"});
  EXPECT_TRUE(absl::StrContains(t.run.out, "ENETUNREACH")) << t.run.out;
  const JsonValue* f = FindingFor(t, "connect");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ((*f)["kind"].string, "no_packet_sent") << (*f)["summary"].string;
  EXPECT_EQ((*f)["evidence"].size(), 0u);
}

INSTANTIATE_TEST_SUITE_P(IPv4AndIPv6, NetcorrE2e, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "v6" : "v4"; });

// Every other fault of the world, as a table: the fault, the program that meets it, and the
// finding a user must read. {S} in an argument is the server's address ([S] for URLs).
struct FaultCase {
  std::string name;
  std::vector<std::vector<std::string>> setup;  // world words: {"serve", "tcp", "8080"} or a fault
  std::vector<std::string> argv;                // an example name or an absolute path first
  std::string call;                             // the call the finding is about
  std::string kind;
  std::string icmp_sender;  // "server", "router", "client" (this host) or "" for no check
};

void PrintTo(const FaultCase& c, std::ostream* os) { *os << c.name; }

class NetcorrFaults : public ::testing::TestWithParam<std::tuple<FaultCase, bool>> {};

TEST_P(NetcorrFaults, FindingNamesTheCause) {
  NETCORR_REQUIRE(Root("namespaces, ptrace and capture"));
  const auto& [c, v6] = GetParam();
  const std::string server = v6 ? kServerV6 : kServerV4;
  auto world = World::Create();
  ASSERT_TRUE(world.ok()) << world.status();
  for (const std::vector<std::string>& words : c.setup) {
    if (words[0] == "serve") {
      ASSERT_TRUE((*world)->Serve(words[1], std::stoi(words[2])).ok());
    } else {
      ASSERT_TRUE((*world)->Fault(words).ok()) << absl::StrJoin(words, " ");
    }
  }
  TempDir dir;
  std::vector<std::string> cmd = {Netcorr(), "--json", "-o", dir.File("r.json"), "--"};
  for (size_t i = 0; i < c.argv.size(); ++i) {
    std::string arg = absl::StrReplaceAll(
        c.argv[i], {{"[S]", v6 ? absl::StrCat("[", server, "]") : server}, {"{S}", server}});
    if (i == 0 && arg[0] != '/') arg = ExamplePath(arg);
    cmd.push_back(arg);
  }
  auto run = (*world)->RunInClient(cmd, absl::Seconds(40));
  ASSERT_TRUE(run.ok()) << run.status();
  auto report = ParseJson(ReadFile(dir.File("r.json")));
  ASSERT_TRUE(report.ok()) << report.status() << "\n" << run->err;
  const JsonValue* found = nullptr;
  for (const JsonValue& f : (*report)["findings"].array) {
    if (f["kind"].string == c.kind && f["call"]["name"].string == c.call) found = &f;
  }
  ASSERT_NE(found, nullptr) << "no " << c.kind << " finding for " << c.call << "()\n"
                            << run->out << run->err;
  const std::map<std::string, std::string> senders = {
      {"server", server},
      {"router", v6 ? kRouterClientSideV6 : kRouterClientSideV4},
      {"client", v6 ? kClientV6 : kClientV4}};
  if (!c.icmp_sender.empty()) {
    EXPECT_EQ((*found)["icmp"]["sender"].string, senders.at(c.icmp_sender))
        << (*found)["summary"].string;
  }
  for (const JsonValue& f : (*report)["findings"].array) {
    EXPECT_NE(f["kind"].string, "unexplained") << f["summary"].string;
  }
}

INSTANTIATE_TEST_SUITE_P(
    World, NetcorrFaults,
    ::testing::Combine(
        ::testing::Values(FaultCase{"curl_refused",
                                    {},
                                    {"/usr/bin/curl", "-sS", "http://[S]:7001/"},
                                    "connect",
                                    "refused_by_rst",
                                    ""},
                          FaultCase{"server_port_unreach",
                                    {{"reject-server", "port-unreach", "7100"}},
                                    {"tcp_client", "--host", "{S}", "--port", "7100"},
                                    "connect",
                                    "icmp_unreachable",
                                    "server"},
                          FaultCase{"server_admin_prohibited",
                                    {{"reject-server", "admin-prohibited", "7101"}},
                                    {"tcp_client", "--host", "{S}", "--port", "7101"},
                                    "connect",
                                    "icmp_unreachable",
                                    "server"},
                          FaultCase{"router_net_unreach",
                                    {{"reject-router", "net-unreach", "7102"}},
                                    {"tcp_client", "--host", "{S}", "--port", "7102"},
                                    "connect",
                                    "icmp_unreachable",
                                    "router"},
                          FaultCase{"local_output_reject",
                                    {{"client-output-reject", "7301"}},
                                    {"tcp_client", "--host", "{S}", "--port", "7301"},
                                    "connect",
                                    "icmp_unreachable",
                                    "client"},
                          FaultCase{"local_output_drop",
                                    {{"client-output-drop", "7300"}},
                                    {"tcp_client", "--host", "{S}", "--port", "7300",
                                     "--nonblocking", "--connect-timeout", "1500"},
                                    "connect",
                                    "no_packet_sent",
                                    ""},
                          FaultCase{"udp_port_closed",
                                    {},
                                    {"dns_query", "--server", "{S}", "--port", "5353", "--name",
                                     "x.test", "--timeout", "1000"},
                                    "recvfrom",
                                    "icmp_unreachable",
                                    "server"},
                          FaultCase{"tls_alert",
                                    {{"tls-alert", "7443"}},
                                    {"/usr/bin/curl", "-sS", "-k", "--max-time", "5",
                                     "https://[S]:7443/"},
                                    "recvfrom",
                                    "tls_alert",
                                    ""},
                          FaultCase{"pmtu_blackhole",
                                    {{"serve", "tcp", "8080"}, {"pmtu-blackhole"}},
                                    {"tcp_client", "--host", "{S}", "--port", "8080", "--send",
                                     "20000", "--read-timeout", "1500"},
                                    "recvfrom",
                                    "pmtu_blackhole",
                                    ""},
                          FaultCase{"first_syn_lost",
                                    {{"serve", "tcp", "7600"}, {"syn-drop-first", "7600"}},
                                    {"tcp_client", "--host", "{S}", "--port", "7600"},
                                    "connect",
                                    "retransmissions",
                                    ""}),
        ::testing::Bool()),
    [](const auto& info) {
      return std::get<0>(info.param).name + (std::get<1>(info.param) ? "_v6" : "_v4");
    });

// The pcapng file netcorr writes opens in tshark, and the evidence packets carry comments
// naming the call they explain.
TEST(NetcorrFiles, TsharkReadsTheCapturedEvidenceWithComments) {
  NETCORR_REQUIRE(Root("namespaces, ptrace and capture"), Program("/usr/bin/tshark"));
  auto world = World::Create();
  ASSERT_TRUE(world.ok()) << world.status();
  TempDir dir;
  const std::string pcap = dir.File("out.pcapng");
  auto run =
      (*world)->RunInClient({Netcorr(), "-o", "/dev/null", "-w", pcap, "--",
                             ExamplePath("tcp_client"), "--host", kServerV4, "--port", "7001"},
                            absl::Seconds(30));
  ASSERT_TRUE(run.ok()) << run.status();
  struct stat st {};
  ASSERT_EQ(stat(pcap.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "packet files are private";
  auto comments = RunCommand(
      {"/usr/bin/tshark", "-r", pcap, "-Y", "frame.comment", "-T", "fields", "-e", "frame.comment"},
      absl::Seconds(30));
  ASSERT_TRUE(comments.ok()) << comments.status();
  EXPECT_EQ(comments->exit_code, 0) << comments->err;
  EXPECT_TRUE(absl::StrContains(comments->out, "refused_by_rst")) << comments->out;
  EXPECT_TRUE(absl::StrContains(comments->out, "connect")) << comments->out;
}

// A launched program that never touches the network never opens the capture (its packet
// socket's setup and teardown would cost the program ~40 ms for nothing); the report says so
// and the -w file is still a valid, empty capture.
TEST(NetcorrFiles, ProgramWithoutNetworkCallsNeverOpensTheCapture) {
  NETCORR_REQUIRE(Root("namespaces, ptrace and capture"), Program("/usr/bin/capinfos"));
  auto world = World::Create();
  ASSERT_TRUE(world.ok()) << world.status();
  TempDir dir;
  const std::string pcap = dir.File("quiet.pcapng");
  auto text = (*world)->RunInClient(
      {Netcorr(), "-w", pcap, "--", "/bin/sh", "-c", "echo quiet > /dev/null"}, absl::Seconds(30));
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(text->exit_code, 0) << text->err;
  EXPECT_TRUE(absl::StrContains(text->err, "not opened, the program never touched the network"))
      << text->err;
  auto info = RunCommand({"/usr/bin/capinfos", "-c", pcap}, absl::Seconds(30));
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->exit_code, 0) << info->err;
  EXPECT_TRUE(absl::StrContains(info->out, "Number of packets:   0")) << info->out;

  auto json = (*world)->RunInClient({Netcorr(), "--json", "--", "/bin/true"}, absl::Seconds(30));
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_TRUE(absl::StrContains(json->err, "\"opened\": false")) << json->err;
  // A program that does connect opens it before its first SYN leaves (evidence frames 1, 2).
  auto refused = (*world)->RunInClient({Netcorr(), "--json", "--", ExamplePath("tcp_client"),
                                        "--host", kServerV4, "--port", "7001"},
                                       absl::Seconds(30));
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_TRUE(absl::StrContains(refused->err, "\"opened\": true")) << refused->err;
  EXPECT_TRUE(absl::StrContains(refused->err, "refused_by_rst")) << refused->err;
}

// Without capture netcorr prints each call like strace -yy, and keeps the program's exit status.
TEST(NetcorrCli, NoCapturePrintsCallsLikeStraceAndKeepsTheExitStatus) {
  NETCORR_REQUIRE(Root("namespaces and ptrace"));
  auto world = World::Create();
  ASSERT_TRUE(world.ok()) << world.status();
  auto run = (*world)->RunInClient({Netcorr(), "--no-capture", "--", ExamplePath("tcp_client"),
                                    "--host", kServerV4, "--port", "7001"},
                                   absl::Seconds(30));
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->exit_code, 1);
  EXPECT_TRUE(absl::StrContains(run->err, "connect(")) << run->err;
  EXPECT_TRUE(absl::StrContains(run->err, "ECONNREFUSED")) << run->err;
  EXPECT_TRUE(absl::StrContains(run->err, absl::StrCat("->", kServerV4, ":7001"))) << run->err;
}

TEST(NetcorrCli, ExitStatusIsTheProgramsAndSignalsAre128PlusN) {
  NETCORR_REQUIRE(Root("ptrace"));
  auto three =
      RunCommand({Netcorr(), "--no-capture", "--", "/bin/sh", "-c", "exit 3"}, absl::Seconds(30));
  ASSERT_TRUE(three.ok()) << three.status();
  EXPECT_EQ(three->exit_code, 3) << three->err;
  auto killed = RunCommand({Netcorr(), "--no-capture", "--", "/bin/sh", "-c", "kill -TERM $$"},
                           absl::Seconds(30));
  ASSERT_TRUE(killed.ok()) << killed.status();
  EXPECT_EQ(killed->exit_code, 128 + 15) << killed->err;
}

// Without the privilege to capture, netcorr still traces, says in one line how to grant the
// privilege, and marks what it cannot explain as unexplained for that reason.
TEST(NetcorrCli, WithoutCapturePrivilegeItTracesAndSaysWhy) {
  NETCORR_REQUIRE(Root("to switch to an unprivileged user"), Program("/usr/bin/setpriv"));
  auto run =
      RunCommand({"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", Netcorr(),
                  "--", ExamplePath("tcp_client"), "--host", "127.0.0.1", "--port", "1"},
                 absl::Seconds(30));
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->exit_code, 1) << run->err;
  EXPECT_TRUE(absl::StrContains(run->out, "result: connect ECONNREFUSED")) << run->out;
  std::vector<std::string> lines = absl::StrSplit(run->err, '\n');
  const auto without = std::count_if(lines.begin(), lines.end(), [](const std::string& l) {
    return absl::StrContains(l, "tracing without capture");
  });
  EXPECT_EQ(without, 1) << run->err;
  EXPECT_TRUE(absl::StrContains(run->err, "unexplained")) << run->err;
}

TEST(NetcorrCli, ProgramNotFoundIsOneLineAndNonZero) {
  NETCORR_REQUIRE(Root("ptrace"));
  auto run = RunCommand({Netcorr(), "--", "/nonexistent/program"}, absl::Seconds(30));
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_NE(run->exit_code, 0);
  EXPECT_TRUE(absl::StrContains(run->err, "/nonexistent/program")) << run->err;
  EXPECT_EQ(std::count(run->err.begin(), run->err.end(), '\n'), 1) << run->err;
}

TEST(NetcorrCli, NonexistentPidIsOneLineAndNonZero) {
  NETCORR_REQUIRE(Root("ptrace"));
  auto run = RunCommand({Netcorr(), "-p", "999999999"}, absl::Seconds(30));
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_NE(run->exit_code, 0);
  EXPECT_EQ(std::count(run->err.begin(), run->err.end(), '\n'), 1) << run->err;
}

// Attach mode: netcorr attaches to a client that is already running (in another network
// namespace, as a container's process would be), the client then fails, and the report
// explains it; netcorr ends when the client does.
TEST(NetcorrAttach, ExplainsAFailureOfAnAttachedProgram) {
  NETCORR_REQUIRE(Root("namespaces, ptrace and capture"));
  auto world = World::Create();
  ASSERT_TRUE(world.ok()) << world.status();
  const pid_t client = SpawnIn((*world)->NamespacePath(Node::kClient),
                               {"/bin/sh", "-c",
                                absl::StrCat("sleep 1.5; exec ", ExamplePath("tcp_client"),
                                             " --host ", kServerV4, " --port 7001")});
  ASSERT_GT(client, 0);
  TempDir dir;
  const std::string json = dir.File("report.json");
  auto run =
      RunCommand({Netcorr(), "--json", "-o", json, "-p", absl::StrCat(client)}, absl::Seconds(30));
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->exit_code, 0) << run->err;
  auto report = ParseJson(ReadFile(json));
  ASSERT_TRUE(report.ok()) << report.status() << run->err;
  bool refused = false;
  for (const JsonValue& f : (*report)["findings"].array) {
    if (f["kind"].string == "refused_by_rst" && f["call"]["name"].string == "connect") {
      refused = true;
      EXPECT_EQ(f["call"]["pid"].int_value, client);
      EXPECT_EQ(f["evidence"].size(), 2u);
    }
  }
  EXPECT_TRUE(refused) << run->err;
  EXPECT_NE(WaitFor(client, std::chrono::seconds(5)), -1);
}

// Ctrl-C detaches: the process keeps running, not stopped. So does SIGKILL of netcorr.
class NetcorrDetach : public ::testing::TestWithParam<int> {};

TEST_P(NetcorrDetach, TheAttachedProgramKeepsRunning) {
  NETCORR_REQUIRE(Root("ptrace"));
  const pid_t target =
      SpawnIn("/proc/self/ns/net", {"/bin/sh", "-c", "for i in $(seq 300); do sleep 0.1; done"});
  ASSERT_GT(target, 0);
  const pid_t netcorr = fork();
  if (netcorr == 0) {
    const int devnull = open("/dev/null", O_RDWR);
    dup2(devnull, 1);
    dup2(devnull, 2);
    const std::string pid = absl::StrCat(target);
    execl(NETCORR_BINARY, NETCORR_BINARY, "-o", "/dev/null", "-p", pid.c_str(), nullptr);
    _exit(127);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  ASSERT_EQ(WaitFor(netcorr, std::chrono::milliseconds(1)), -1) << "netcorr ended early";
  kill(netcorr, GetParam());
  const int status = WaitFor(netcorr, std::chrono::seconds(10));
  ASSERT_NE(status, -1) << "netcorr did not stop";
  if (GetParam() == SIGINT) {
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(kill(target, 0), 0) << "the attached program must survive";
  const char state = ProcessState(target);
  EXPECT_NE(state, 't') << "left stopped by a tracer";
  EXPECT_NE(state, 'T') << "left stopped";
  EXPECT_NE(state, 'Z') << "it died";
  Reap(target);
}

INSTANTIATE_TEST_SUITE_P(Signals, NetcorrDetach, ::testing::Values(SIGINT, SIGTERM, SIGKILL),
                         [](const auto& info) { return std::string(sigabbrev_np(info.param)); });

}  // namespace
}  // namespace netcorr::testing
