#include "tests/support/story.h"

#include <signal.h>

#include <chrono>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace netcorr::testing {

namespace {

absl::StatusOr<JsonValue> ReadReport(const std::string& path, const CommandResult& run) {
  const std::string text = ReadFile(path);
  if (text.empty()) {
    return absl::InternalError(
        absl::StrCat("netcorr wrote no report (exit ", run.exit_code, "); stderr:\n", run.err));
  }
  absl::StatusOr<JsonValue> parsed = report::testing::ParseJson(text);
  if (!parsed.ok()) {
    return absl::InternalError(absl::StrCat("report is not JSON: ", parsed.status().message()));
  }
  return parsed;
}

// tcpdump on every interface of `ns` writing `pcap`; its pid once it says it listens (at most
// 3 s), or -1.
pid_t StartTcpdump(const std::string& ns, const std::string& pcap, const std::string& err,
                   const std::string& filter, int snaplen) {
  std::vector<std::string> dump = {
      "/usr/bin/tcpdump", "-i", "any", "--immediate-mode", "-U", "-n", "-w", pcap};
  if (snaplen > 0) {
    dump.push_back("-s");
    dump.push_back(std::to_string(snaplen));
  }
  if (!filter.empty()) dump.push_back(filter);
  const pid_t tcpdump = SpawnIn(ns, dump, err);
  if (tcpdump <= 0) return -1;
  // tcpdump says "listening on" once its capture is open; bounded: 3 s.
  for (int i = 0; i < 150 && !absl::StrContains(ReadFile(err), "listening"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return tcpdump;
}

// Stops a tcpdump started above (by its pid), at most 10 s.
absl::Status StopTcpdump(pid_t tcpdump) {
  kill(tcpdump, SIGINT);
  if (WaitFor(tcpdump, std::chrono::seconds(10)) == -1) {
    Reap(tcpdump);
    return absl::InternalError("tcpdump did not stop");
  }
  return absl::OkStatus();
}

}  // namespace

std::string Told::Describe() const {
  std::string out = absl::StrCat("[", how, "] netcorr exit ", netcorr.exit_code, "\n");
  if (how == "offline") absl::StrAppend(&out, "program stdout:\n", program.out, "\n");
  absl::StrAppend(&out, "netcorr stderr:\n", netcorr.err, "\nfindings:");
  for (const JsonValue& f : report["findings"].array) {
    absl::StrAppend(&out, "\n  ", f["severity"].string, " ", f["kind"].string, " ",
                    f["call"]["display"].string, " -- ", f["summary"].string);
  }
  if (how == "offline") absl::StrAppend(&out, "\nstrace log begins:\n", strace_log.substr(0, 1500));
  return out;
}

std::string StoryRunner::NextFile(const std::string& suffix) {
  return dir_.File(absl::StrCat("run", runs_, ".", suffix));
}

absl::StatusOr<std::vector<pid_t>> StoryRunner::StartPeerCaptures(const std::vector<Node>& nodes,
                                                                  const std::string& filter,
                                                                  std::vector<std::string>& files) {
  std::vector<pid_t> pids;
  for (Node node : nodes) {
    files.push_back(NextFile(absl::StrCat("peer", files.size(), ".pcap")));
    const pid_t pid =
        StartTcpdump(world_.NamespacePath(node), files.back(), files.back() + ".err", filter, 128);
    if (pid <= 0) {
      for (pid_t p : pids) StopTcpdump(p).IgnoreError();
      return absl::InternalError("cannot start a peer tcpdump");
    }
    pids.push_back(pid);
  }
  return pids;
}

absl::StatusOr<Told> StoryRunner::Live(const std::vector<std::string>& argv,
                                       const LiveOptions& options) {
  ++runs_;
  const std::string json = NextFile("json");
  const std::string pcapng = NextFile("pcapng");
  std::vector<std::string> cmd = {NETCORR_BINARY, "--json", "-o", json, "-w", pcapng};
  cmd.insert(cmd.end(), options.flags.begin(), options.flags.end());
  cmd.push_back("--");
  cmd.insert(cmd.end(), argv.begin(), argv.end());
  std::vector<std::string> peer_pcaps;
  absl::StatusOr<std::vector<pid_t>> peers =
      StartPeerCaptures(options.peer_captures, options.peer_filter, peer_pcaps);
  if (!peers.ok()) return peers.status();
  absl::StatusOr<CommandResult> run = world_.Exec(options.node, cmd, options.timeout);
  if (!peers->empty()) std::this_thread::sleep_for(std::chrono::milliseconds(300));
  absl::Status stopped = absl::OkStatus();
  for (pid_t p : *peers) stopped.Update(StopTcpdump(p));
  if (!stopped.ok()) return stopped;
  if (!run.ok()) return run.status();
  if (run->timed_out) return absl::DeadlineExceededError("netcorr ran past its deadline");
  Told told;
  told.how = "live";
  told.netcorr = *run;
  told.pcap = pcapng;
  told.json = json;
  told.peer_pcaps = peer_pcaps;
  absl::StatusOr<JsonValue> report = ReadReport(json, *run);
  if (!report.ok()) return report.status();
  told.report = *std::move(report);
  return told;
}

absl::StatusOr<Told> StoryRunner::Recorded(const std::vector<std::string>& argv,
                                           const RecordOptions& options) {
  ++runs_;
  const std::string strace_log = NextFile("strace");
  const std::string pcap = NextFile("pcap");
  const std::string tcpdump_err = NextFile("tcpdump.err");
  pid_t tcpdump = -1;
  if (options.with_capture) {
    tcpdump = StartTcpdump(world_.NamespacePath(options.node), pcap, tcpdump_err,
                           options.capture_filter, 0);
    if (tcpdump <= 0) return absl::InternalError("cannot start tcpdump");
  }
  std::vector<std::string> peer_pcaps;
  absl::StatusOr<std::vector<pid_t>> peers =
      StartPeerCaptures(options.peer_captures, options.capture_filter, peer_pcaps);
  if (!peers.ok()) {
    if (tcpdump > 0) StopTcpdump(tcpdump).IgnoreError();
    return peers.status();
  }
  const std::vector<pid_t>& peer_dumps = *peers;
  std::vector<std::string> cmd = {"/usr/bin/strace", "-f", "-yy", "-ttt", "-T", "-o", strace_log};
  cmd.insert(cmd.end(), argv.begin(), argv.end());
  absl::StatusOr<CommandResult> program = world_.Exec(options.node, cmd, options.timeout);
  if (tcpdump > 0 || !peer_dumps.empty()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // late RSTs and ICMP
  }
  absl::Status stopped = absl::OkStatus();
  for (pid_t p : peer_dumps) stopped.Update(StopTcpdump(p));
  if (tcpdump > 0) stopped.Update(StopTcpdump(tcpdump));
  if (!stopped.ok()) return stopped;
  if (!program.ok()) return program.status();
  Told told;
  told.how = "offline";
  told.program = *program;
  told.strace_log = ReadFile(strace_log);
  told.strace_file = strace_log;
  told.peer_pcaps = peer_pcaps;
  if (options.with_capture) told.pcap = pcap;
  if (told.strace_log.empty()) {
    return absl::InternalError(absl::StrCat("strace wrote nothing: ", program->err));
  }
  const std::string json = NextFile("json");
  std::vector<std::string> analyze = {NETCORR_BINARY, "analyze", "--strace", strace_log};
  if (options.with_capture) {
    analyze.push_back("--pcap");
    analyze.push_back(pcap);
  }
  analyze.insert(analyze.end(), options.analyze_flags.begin(), options.analyze_flags.end());
  for (const char* a : {"--json", "-o"}) analyze.push_back(a);
  analyze.push_back(json);
  absl::StatusOr<CommandResult> run = RunCommand(analyze, absl::Seconds(60));
  if (!run.ok()) return run.status();
  told.netcorr = *run;
  told.json = json;
  absl::StatusOr<JsonValue> report = ReadReport(json, *run);
  if (!report.ok()) return report.status();
  told.report = *std::move(report);
  return told;
}

std::vector<Told> TellBothWays(StoryRunner& story, const std::vector<std::string>& argv,
                               const LiveOptions& live) {
  std::vector<Told> told;
  absl::StatusOr<Told> l = story.Live(argv, live);
  EXPECT_TRUE(l.ok()) << l.status();
  if (l.ok()) told.push_back(*std::move(l));
  absl::StatusOr<Told> o = story.Recorded(argv);
  EXPECT_TRUE(o.ok()) << o.status();
  if (o.ok()) told.push_back(*std::move(o));
  return told;
}

std::vector<const JsonValue*> FindingsOfKind(const JsonValue& report, const std::string& kind,
                                             const std::string& severity) {
  std::vector<const JsonValue*> out;
  for (const JsonValue& f : report["findings"].array) {
    if (f["kind"].string == kind && (severity.empty() || f["severity"].string == severity)) {
      out.push_back(&f);
    }
  }
  return out;
}

std::vector<const JsonValue*> Failures(const JsonValue& report) {
  std::vector<const JsonValue*> out;
  for (const JsonValue& f : report["findings"].array) {
    if (f["severity"].string == "failure") out.push_back(&f);
  }
  return out;
}

}  // namespace netcorr::testing
