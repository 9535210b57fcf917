// A session left attached to a busy service: what it keeps stays bounded, the report so far
// comes on SIGUSR1, the -w files rotate, and a stop signal in the middle of the load leaves the
// service running with a complete report and valid capture files. Also the streaming forms a
// long session is read with: --json-lines, and the status line on a terminal.

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
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

constexpr int kServerPort = 7100;

// netcorr started in the background with its stderr in `err_path`.
pid_t StartNetcorr(const std::vector<std::string>& args, const std::string& err_path) {
  const pid_t pid = fork();
  if (pid == 0) {
    const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int devnull = open("/dev/null", O_RDWR);
    dup2(devnull, 0);
    dup2(devnull, 1);
    dup2(err, 2);
    std::vector<char*> argv;
    std::string binary = NETCORR_BINARY;
    argv.push_back(binary.data());
    std::vector<std::string> copy = args;
    for (std::string& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(NETCORR_BINARY, argv.data());
    _exit(127);
  }
  return pid;
}

// Waits, bounded, until `path` contains `text`.
bool WaitForText(const std::string& path, const std::string& text, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (absl::StrContains(ReadFile(path), text)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

// The echo server in the server namespace, answering once before it is returned (the server
// listens before anything connects); -1 when it does not.
pid_t StartEchoServer(World& world) {
  const pid_t server =
      SpawnIn(world.NamespacePath(Node::kServer),
              {ExamplePath("echo_server"), "--port", absl::StrCat(kServerPort), "--lifetime-s",
               "120"});
  if (server <= 0) return -1;
  auto first = world.RunInClient({ExamplePath("tcp_client"), "--host", kServerV4, "--port",
                                  absl::StrCat(kServerPort), "--send", "10"},
                                 absl::Seconds(20));
  if (first.ok() && first->exit_code == 0) return server;
  kill(server, SIGTERM);
  Reap(server);
  return -1;
}

TEST(LongSession, AttachedToABusyServerItKeepsWhatIsAliveAndStopsCleanly) {
  NETCORR_REQUIRE(Root("namespaces, ptrace and capture"));
  auto world = World::Create();
  ASSERT_TRUE(world.ok()) << world.status();
  const pid_t server = StartEchoServer(**world);
  ASSERT_GT(server, 0);

  TempDir dir;
  const std::string report = dir.File("report.json");
  const std::string err = dir.File("netcorr.err");
  const std::string pcap = dir.File("server.pcapng");
  const pid_t netcorr = StartNetcorr(
      {"--json", "-o", report, "-w", pcap, "-C", "1", "-W", "3", "-p", absl::StrCat(server)}, err);
  ASSERT_GT(netcorr, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  ASSERT_EQ(WaitFor(netcorr, std::chrono::milliseconds(1)), -1) << ReadFile(err);

  // The load: many short connections, each echoing 2,000 bytes.
  constexpr int kConnections = 1500;
  auto load = (*world)->RunInClient(
      {ExamplePath("tcp_client"), "--host", kServerV4, "--port", absl::StrCat(kServerPort),
       "--send", "2000", "--repeat", absl::StrCat(kConnections)},
      absl::Seconds(240));
  ASSERT_TRUE(load.ok()) << load.status();
  ASSERT_EQ(load->exit_code, 0) << load->out.substr(0, 2000);

  // The report so far, while the session goes on.
  kill(netcorr, SIGUSR1);
  ASSERT_TRUE(WaitForText(report, "report so far", std::chrono::seconds(20))) << ReadFile(err);
  // Past the time an ended connection is kept for its findings: the load is let go.
  std::this_thread::sleep_for(std::chrono::milliseconds(6500));
  ASSERT_EQ(kill(netcorr, SIGTERM), 0);
  const int status = WaitFor(netcorr, std::chrono::seconds(60));
  ASSERT_NE(status, -1) << "netcorr did not stop";
  EXPECT_TRUE(WIFEXITED(status)) << status;

  // The service runs on, untraced, and still serves.
  const char state = ProcessState(server);
  EXPECT_NE(state, 't');
  EXPECT_NE(state, 'T');
  auto after = (*world)->RunInClient({ExamplePath("tcp_client"), "--host", kServerV4, "--port",
                                      absl::StrCat(kServerPort), "--send", "10"},
                                     absl::Seconds(20));
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->exit_code, 0) << after->out;

  // The server's accepted connections pass the listening port's filter term: the filter does
  // not grow with every client until it falls back to filtering every packet in netcorr.
  EXPECT_FALSE(absl::StrContains(ReadFile(err), "filter is now broad")) << ReadFile(err);

  auto doc = ParseJson(ReadFile(report));
  ASSERT_TRUE(doc.ok()) << doc.status() << "\n" << ReadFile(err);
  EXPECT_TRUE(absl::StrContains((*doc)["session"]["stop_reason"].string, "signal"));
  // Nothing failed: a busy, healthy service has no failure to report.
  for (const JsonValue& f : (*doc)["findings"].array) {
    EXPECT_NE(f["severity"].string, "failure") << f["summary"].string;
  }
  const JsonValue& totals = (*doc)["totals"];
  // Every call and packet was seen and counted...
  EXPECT_GE(totals["calls_seen"].int_value, 4 * kConnections);  // accept, recv, send, close
  EXPECT_GE(totals["packets_seen"].int_value, 8 * kConnections);
  // ...and what is kept is what is alive, plus the context of the findings kept (each client
  // hanging up is an informational closed_by_peer; the first 64 are kept, the rest counted): a
  // session that kept everything would hold all of them.
  EXPECT_LT(totals["calls_kept"].int_value, 1200) << "calls kept grow with the load";
  EXPECT_LT(totals["packets_kept"].int_value, 1500) << "packets kept grow with the load";
  EXPECT_LE((*doc)["findings"].size(), 64u);
  EXPECT_GE(totals["findings_by_kind"]["closed_by_peer"].int_value, kConnections);
  EXPECT_EQ((*doc)["calls"].size(), static_cast<size_t>(totals["calls_kept"].int_value));
  ASSERT_GE(totals["by_service"].size(), 1u);
  const JsonValue& service = totals["by_service"].array[0];
  EXPECT_EQ(service["service"]["port"].int_value, kServerPort);
  EXPECT_TRUE(service["served_by_program"].boolean);
  EXPECT_GE(service["flows"].int_value, kConnections);

  // -C 1 -W 3: the newest files of a ring, each complete, holding consecutive frames up to the
  // last packet seen.
  const JsonValue& files = (*doc)["capture"]["files"];
  ASSERT_GE(files.size(), 2u);
  ASSERT_LE(files.size(), 3u);
  int64_t next = files.array[0]["first_frame"].int_value;
  for (const JsonValue& f : files.array) {
    EXPECT_EQ(f["first_frame"].int_value, next);
    next = f["last_frame"].int_value + 1;
    const std::string path = f["path"].string;
    EXPECT_TRUE(absl::StartsWith(path, pcap)) << path;
    auto read = RunCommand({"/usr/bin/tcpdump", "-nn", "-r", path}, absl::Seconds(60));
    ASSERT_TRUE(read.ok());
    EXPECT_EQ(read->exit_code, 0) << read->err;
    EXPECT_EQ(std::count(read->out.begin(), read->out.end(), '\n'),
              f["last_frame"].int_value - f["first_frame"].int_value + 1)
        << path;
  }
  EXPECT_EQ(next - 1, totals["packets_seen"].int_value);
  kill(server, SIGTERM);
  Reap(server);
}

// The TIMELINE section of a text report.
std::string TimelineOf(const std::string& report) {
  const size_t begin = report.find("TIMELINE:");
  const size_t end = report.find("\nPROCESSES", begin);
  if (begin == std::string::npos || end == std::string::npos) return "";
  return report.substr(begin, end - begin);
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Many short connections, more than the session keeps: memory lets them go, and the --all
// report still shows every one (streamed from its file), where the default report shows the
// findings' context.
TEST(LongSession, AllShowsEveryCallOfASessionThatLetEventsGo) {
  NETCORR_REQUIRE(Root("namespaces, ptrace and capture"));
  auto world = World::Create();
  ASSERT_TRUE(world.ok()) << world.status();
  const pid_t server = StartEchoServer(**world);
  ASSERT_GT(server, 0);

  // Long enough (several seconds traced) that the first connections ended more than the
  // 2.4 s an ended story lingers before the last one.
  constexpr int kConnections = 2500;
  TempDir dir;
  const auto run = [&](bool all) {
    const std::string report = dir.File(all ? "all.txt" : "default.txt");
    std::vector<std::string> argv = {NETCORR_BINARY, "-o", report};
    if (all) argv.push_back("--all");
    for (const std::string& a :
         {std::string("--netns"), (*world)->NamespacePath(Node::kClient), std::string("--"),
          ExamplePath("tcp_client"), std::string("--host"), std::string(kServerV4),
          std::string("--port"), absl::StrCat(kServerPort), std::string("--send"),
          std::string("100"), std::string("--repeat"), absl::StrCat(kConnections)}) {
      argv.push_back(a);
    }
    auto done = RunCommand(argv, absl::Seconds(240));
    EXPECT_TRUE(done.ok()) << done.status();
    if (done.ok()) {
      EXPECT_EQ(done->exit_code, 0) << done->err.substr(0, 2000);
    }
    return ReadFile(report);
  };

  const std::string all = run(/*all=*/true);
  // The session let events go (the TOTALS section says what the rest was)...
  ASSERT_TRUE(absl::StrContains(all, "TOTALS")) << all.substr(0, 3000);
  EXPECT_TRUE(absl::StrContains(all, absl::StrCat("connect ", kConnections))) << "calls by name";
  // ...and its --all timeline shows every connect the client made, once each.
  const std::string timeline = TimelineOf(all);
  EXPECT_EQ(Count(timeline, "] connect("), static_cast<size_t>(kConnections));
  EXPECT_TRUE(absl::StrContains(all, "the --all timeline above shows")) << all.substr(0, 3000);
  EXPECT_FALSE(absl::StrContains(all, "incomplete"));

  const std::string kept = run(/*all=*/false);
  ASSERT_TRUE(absl::StrContains(kept, "TOTALS")) << kept.substr(0, 3000);
  EXPECT_TRUE(absl::StrContains(kept, "the timeline above keeps"));
  EXPECT_LT(Count(TimelineOf(kept), "] connect("), static_cast<size_t>(kConnections));
  kill(server, SIGTERM);
  Reap(server);
}

TEST(LongSession, JsonLinesGiveAFindingAsItIsDecidedThenTheSummary) {
  NETCORR_REQUIRE(Root("namespaces, ptrace and capture"));
  auto world = World::Create();
  ASSERT_TRUE(world.ok()) << world.status();
  TempDir dir;
  const std::string lines_path = dir.File("findings.jsonl");
  auto run = RunCommand({NETCORR_BINARY, "--json-lines", "-o", lines_path, "--netns",
                         (*world)->NamespacePath(Node::kClient), "--", ExamplePath("tcp_client"),
                         "--host", kServerV4, "--port", "7001", "--repeat", "3"},
                        absl::Seconds(60));
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->exit_code, 1) << run->err;  // tcp_client's own status: it failed
  // The line for people still goes to the terminal (stderr) when the lines go to a file.
  EXPECT_TRUE(absl::StrContains(run->err, "refused_by_rst")) << run->err;
  std::vector<std::string> lines = absl::StrSplit(ReadFile(lines_path), '\n', absl::SkipEmpty());
  ASSERT_GE(lines.size(), 2u);
  auto first = ParseJson(lines.front());
  ASSERT_TRUE(first.ok()) << first.status() << lines.front();
  EXPECT_EQ((*first)["type"].string, "finding");
  EXPECT_EQ((*first)["seq"].int_value, 1);
  EXPECT_EQ((*first)["finding"]["kind"].string, "refused_by_rst");
  EXPECT_EQ((*first)["finding"]["call"]["name"].string, "connect");
  auto summary = ParseJson(lines.back());
  ASSERT_TRUE(summary.ok()) << summary.status() << lines.back();
  EXPECT_EQ((*summary)["type"].string, "summary");
  EXPECT_TRUE((*summary)["final"].boolean);
  // The three refused attempts are one cause: one finding line, two later calls folded in.
  ASSERT_EQ((*summary)["findings"].size(), lines.size() - 1);
  const JsonValue& ranked = (*summary)["findings"].array[0];
  EXPECT_EQ(ranked["id"].int_value, 1);
  EXPECT_EQ(ranked["seq"].int_value, 1);
  EXPECT_EQ(ranked["later_calls"].int_value, 2);
  EXPECT_EQ((*summary)["totals"]["calls_by_name"]["connect"].int_value, 3);
}

// The status line is for a person at a terminal: drawn there, never into a pipe.
TEST(LongSession, TheStatusLineIsDrawnOnATerminalOnly) {
  NETCORR_REQUIRE(Root("ptrace"));
  // The launched program's own output goes elsewhere: on the same terminal as the status line
  // it would be mixed into it, so netcorr draws none then.
  const std::string command =
      absl::StrCat(NETCORR_BINARY, " -o /dev/null -- /bin/sh -c 'sleep 2.5' >/dev/null");
  // script(1) gives netcorr a terminal; its own output is what the terminal received.
  auto tty = RunCommand({"/usr/bin/script", "-q", "-e", "-c", command, "/dev/null"},
                        absl::Seconds(60));
  ASSERT_TRUE(tty.ok()) << tty.status();
  EXPECT_EQ(tty->exit_code, 0) << tty->out;
  EXPECT_TRUE(absl::StrContains(tty->out, "calls ")) << tty->out;
  EXPECT_TRUE(absl::StrContains(tty->out, "findings 0")) << tty->out;
  EXPECT_TRUE(absl::StrContains(tty->out, "\r\033[K")) << tty->out;

  const std::string program_on_tty =
      absl::StrCat(NETCORR_BINARY, " -o /dev/null -- /bin/sh -c 'sleep 2.5'");
  auto shared = RunCommand({"/usr/bin/script", "-q", "-e", "-c", program_on_tty, "/dev/null"},
                           absl::Seconds(60));
  ASSERT_TRUE(shared.ok()) << shared.status();
  EXPECT_FALSE(absl::StrContains(shared->out, "findings 0")) << shared->out;

  auto piped = RunCommand({"/bin/sh", "-c", command}, absl::Seconds(60));
  ASSERT_TRUE(piped.ok()) << piped.status();
  EXPECT_FALSE(absl::StrContains(piped->err, "\033[K")) << piped->err;
  EXPECT_FALSE(absl::StrContains(piped->err, "findings 0")) << piped->err;
}

}  // namespace
}  // namespace netcorr::testing
