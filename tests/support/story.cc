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

absl::StatusOr<Told> StoryRunner::Live(const std::vector<std::string>& argv,
                                       const LiveOptions& options) {
  ++runs_;
  const std::string json = NextFile("json");
  std::vector<std::string> cmd = {NETCORR_BINARY, "--json", "-o", json, "-w", NextFile("pcapng")};
  cmd.insert(cmd.end(), options.flags.begin(), options.flags.end());
  cmd.push_back("--");
  cmd.insert(cmd.end(), argv.begin(), argv.end());
  absl::StatusOr<CommandResult> run = world_.Exec(options.node, cmd, options.timeout);
  if (!run.ok()) return run.status();
  if (run->timed_out) return absl::DeadlineExceededError("netcorr ran past its deadline");
  Told told;
  told.how = "live";
  told.netcorr = *run;
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
    std::vector<std::string> dump = {
        "/usr/bin/tcpdump", "-i", "any", "--immediate-mode", "-U", "-n", "-w", pcap};
    if (!options.capture_filter.empty()) dump.push_back(options.capture_filter);
    tcpdump = SpawnIn(world_.NamespacePath(options.node), dump, tcpdump_err);
    if (tcpdump <= 0) return absl::InternalError("cannot start tcpdump");
    // tcpdump says "listening on" once its capture is open; bounded: 3 s.
    for (int i = 0; i < 150 && !absl::StrContains(ReadFile(tcpdump_err), "listening"); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  std::vector<std::string> cmd = {"/usr/bin/strace", "-f", "-yy", "-ttt", "-T", "-o", strace_log};
  cmd.insert(cmd.end(), argv.begin(), argv.end());
  absl::StatusOr<CommandResult> program = world_.Exec(options.node, cmd, options.timeout);
  if (tcpdump > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // late RSTs and ICMP
    kill(tcpdump, SIGINT);
    if (WaitFor(tcpdump, std::chrono::seconds(10)) == -1) {
      Reap(tcpdump);
      return absl::InternalError("tcpdump did not stop");
    }
  }
  if (!program.ok()) return program.status();
  Told told;
  told.how = "offline";
  told.program = *program;
  told.strace_log = ReadFile(strace_log);
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
