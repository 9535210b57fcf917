// End-to-end for `netcorr analyze`: the example runs under the real `strace -f -yy -ttt -T`
// while the real tcpdump captures, as a colleague would record them on a production host; the
// two files must give the finding kinds the live session gives for the same fault.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "src/report/testing/json_test_parser.h"
#include "tests/support/processes.h"
#include "tests/support/requirements.h"
#include "tests/world/world.h"

namespace netcorr::testing {
namespace {

using ::netcorr::report::testing::JsonValue;
using ::netcorr::report::testing::ParseJson;

struct Case {
  std::string name;
  std::vector<std::string> fault;  // networld.sh fault words; empty: none
  std::string program;             // an example
  std::vector<std::string> program_args;
  std::string call;  // the call the finding must be about
  std::string kind;  // what the live session says for it
};

// gtest prints the case by name instead of its bytes.
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class AnalyzeE2e : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    NETCORR_REQUIRE(Root("namespaces and capture"), Program("/usr/bin/strace"),
                    Program("/usr/bin/tcpdump"));
    auto world = World::Create();
    ASSERT_TRUE(world.ok()) << world.status();
    world_ = std::move(*world);
  }

  // Records `program args` with strace and tcpdump in the client namespace.
  void Record(const std::string& program, const std::vector<std::string>& args) {
    const pid_t tcpdump = SpawnIn(world_->NamespacePath(Node::kClient),
                                  {"/usr/bin/tcpdump", "-i", "any", "--immediate-mode", "-U", "-n",
                                   "-w", dir_.File("app.pcap")},
                                  dir_.File("tcpdump.err"));
    ASSERT_GT(tcpdump, 0);
    // tcpdump says "listening on" once its capture is open.
    for (int i = 0; i < 150 && !absl::StrContains(ReadFile(dir_.File("tcpdump.err")), "listening");
         ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::vector<std::string> argv = {"/usr/bin/strace",
                                     "-f",
                                     "-yy",
                                     "-ttt",
                                     "-T",
                                     "-o",
                                     dir_.File("app.strace"),
                                     program[0] == '/' ? program : ExamplePath(program)};
    argv.insert(argv.end(), args.begin(), args.end());
    auto run = world_->RunInClient(argv, absl::Seconds(30));
    ASSERT_TRUE(run.ok()) << run.status();
    program_output_ = run->out;
    ASSERT_FALSE(ReadFile(dir_.File("app.strace")).empty()) << "strace wrote nothing: " << run->err;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // late RSTs and ICMP
    kill(tcpdump, SIGINT);
    ASSERT_NE(WaitFor(tcpdump, std::chrono::seconds(10)), -1) << "tcpdump did not stop";
  }

  JsonValue Analyze() {
    auto run = RunCommand({NETCORR_BINARY, "analyze", "--strace", dir_.File("app.strace"), "--pcap",
                           dir_.File("app.pcap"), "--json", "-o", dir_.File("report.json")},
                          absl::Seconds(60));
    EXPECT_TRUE(run.ok()) << run.status();
    if (!run.ok()) return JsonValue();
    EXPECT_EQ(run->exit_code, 0) << run->err;
    analyze_stderr_ = run->err;
    auto report = ParseJson(ReadFile(dir_.File("report.json")));
    EXPECT_TRUE(report.ok()) << report.status() << "\n" << run->err;
    return report.ok() ? *report : JsonValue();
  }

  std::unique_ptr<World> world_;
  TempDir dir_;
  std::string program_output_;
  std::string analyze_stderr_;
};

TEST_P(AnalyzeE2e, GivesTheLiveSessionsFinding) {
  const Case& c = GetParam();
  if (!c.fault.empty()) {
    ASSERT_TRUE(world_->Fault(c.fault).ok());
  }
  Record(c.program, c.program_args);
  const JsonValue report = Analyze();
  bool found = false;
  for (const JsonValue& f : report["findings"].array) {
    if (f["kind"].string == c.kind && f["call"]["name"].string == c.call) {
      found = true;
      EXPECT_FALSE(f["evidence"].array.empty() && c.kind != "no_packet_sent");
    }
    EXPECT_NE(f["kind"].string, "unexplained") << f["summary"].string << "\n" << analyze_stderr_;
  }
  EXPECT_TRUE(found) << "no " << c.kind << " finding; program said:\n"
                     << program_output_ << "\nnetcorr said:\n"
                     << analyze_stderr_ << "\nthe log begins:\n"
                     << ReadFile(dir_.File("app.strace")).substr(0, 600);
}

INSTANTIATE_TEST_SUITE_P(
    Faults, AnalyzeE2e,
    ::testing::Values(
        Case{"refused",
             {},
             "tcp_client",
             {"--host", kServerV4, "--port", "7001"},
             "connect",
             "refused_by_rst"},
        Case{"refused_v6",
             {},
             "tcp_client",
             {"--host", kServerV6, "--port", "7001"},
             "connect",
             "refused_by_rst"},
        Case{"syn_dropped",
             {"syn-drop-server", "7002"},
             "tcp_client",
             {"--host", kServerV4, "--port", "7002", "--nonblocking", "--connect-timeout", "1500"},
             "connect",
             "syn_unanswered"},
        Case{"router_reject",
             {"reject-router", "host-unreach", "7003"},
             "tcp_client",
             {"--host", kServerV4, "--port", "7003"},
             "connect",
             "icmp_unreachable"},
        Case{"reset",
             {"reset-server", "7004"},
             "tcp_client",
             {"--host", kServerV4, "--port", "7004", "--read-timeout", "2000"},
             "recvfrom",
             "reset_by_peer"},
        Case{"router_reject_v6",
             {"reject-router", "host-unreach", "7003"},
             "tcp_client",
             {"--host", kServerV6, "--port", "7003"},
             "connect",
             "icmp_unreachable"},
        Case{"local_output_reject",
             {"client-output-reject", "7301"},
             "tcp_client",
             {"--host", kServerV4, "--port", "7301"},
             "connect",
             "icmp_unreachable"},
        Case{"no_route",
             {"no-route"},
             "tcp_client",
             {"--host", kServerV4, "--port", "7001"},
             "connect",
             "no_packet_sent"},
        Case{"udp_port_closed",
             {},
             "dns_query",
             {"--server", kServerV4, "--port", "5353", "--name", "x.test", "--timeout", "1000"},
             "recvfrom",
             "icmp_unreachable"},
        Case{"dns_drop",
             {"dns-drop"},
             "dns_query",
             {"--server", kServerV4, "--port", "53", "--name", "x.test", "--timeout", "500"},
             "recvfrom",
             "no_response"},
        Case{"tls_alert",
             {"tls-alert", "7443"},
             "/usr/bin/curl",
             {"-sS", "-k", "--max-time", "5", "https://10.71.2.2:7443/"},
             "recvfrom",
             "tls_alert"},
        Case{"dns_servfail",
             {"dns-servfail"},
             "dns_query",
             {"--server", kServerV4, "--port", "53", "--name", "broken.test", "--timeout", "1000"},
             "recvfrom",
             "dns_error"}),
    [](const auto& info) { return info.param.name; });

// A log with no network calls and a capture: an honest empty report, not an error.
TEST(AnalyzeInputs, GarbageAndEmptyInputsGetOneLineErrors) {
  TempDir dir;
  const std::string garbage = dir.File("garbage.strace");
  {
    FILE* f = fopen(garbage.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    for (int i = 0; i < 4096; ++i) fputc((i * 7919) & 0xff, f);
    fclose(f);
  }
  auto bad_log = RunCommand({NETCORR_BINARY, "analyze", "--strace", garbage, "--pcap", garbage},
                            absl::Seconds(30));
  ASSERT_TRUE(bad_log.ok());
  EXPECT_NE(bad_log->exit_code, 0);
  EXPECT_EQ(std::count(bad_log->err.begin(), bad_log->err.end(), '\n'), 1) << bad_log->err;

  auto missing = RunCommand({NETCORR_BINARY, "analyze", "--strace", dir.File("nope.strace"),
                             "--pcap", dir.File("nope.pcap")},
                            absl::Seconds(30));
  ASSERT_TRUE(missing.ok());
  EXPECT_NE(missing->exit_code, 0);
  EXPECT_TRUE(absl::StrContains(missing->err, "nope.strace")) << missing->err;
  EXPECT_EQ(std::count(missing->err.begin(), missing->err.end(), '\n'), 1) << missing->err;
}

}  // namespace
}  // namespace netcorr::testing
