#pragma once

// One story, told twice: a program run under `netcorr` live, and the same program recorded as a
// colleague would on a production host (the real `strace -f -yy -ttt -T` while the real tcpdump
// captures) and read back by `netcorr analyze`. Issue 10's contract is that both give the same
// findings; the tests of each cause assert on both reports with the same expectations.
//
//   StoryRunner story(*world_, dir_);
//   auto live = story.Live({"/usr/bin/curl", ...});
//   auto offline = story.Recorded({"/usr/bin/curl", ...});
//   for (const Told* t : {&*live, &*offline}) {
//     EXPECT_THAT(FindingsOfKind(t->report, "syn_unanswered"), SizeIs(1)) << t->Describe();
//   }

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "src/report/testing/json_test_parser.h"
#include "tests/support/processes.h"
#include "tests/world/world.h"

namespace netcorr::testing {

using ::netcorr::report::testing::JsonValue;

// What netcorr said about one run: its --json report, and how the command ran.
struct Told {
  std::string how;          // "live" or "offline", for failure messages
  CommandResult netcorr;    // the netcorr (or netcorr analyze) command
  CommandResult program;    // offline: the program under strace (live: its output is in netcorr)
  JsonValue report;         // the parsed --json report
  std::string strace_log;   // offline: the log analyze read
  std::string strace_file;  // offline: its file
  std::string pcap;         // our capture: offline tcpdump's file, live the -w file
  std::string json;         // the --json report's file
  // With peer_captures: tcpdump's file in each of those namespaces, recorded during the same
  // run (for `analyze --peer-pcap`).
  std::vector<std::string> peer_pcaps;
  // A few lines for a failure message: how it ran, netcorr's text on stderr, the kinds found.
  std::string Describe() const;
};

struct LiveOptions {
  std::vector<std::string> flags;  // extra netcorr flags before "--" (e.g. {"--duration", "3"})
  Node node = Node::kClient;
  absl::Duration timeout = absl::Seconds(60);
  // Namespaces where tcpdump records during the session (as RecordOptions::peer_captures).
  std::vector<Node> peer_captures = {};
  std::string peer_filter = "";  // their capture filter
};

struct RecordOptions {
  Node node = Node::kClient;
  absl::Duration timeout = absl::Seconds(60);
  bool with_capture = true;  // false: `analyze --strace` alone, no tcpdump
  // tcpdump's capture filter; empty: everything on every interface of the namespace.
  std::string capture_filter;
  std::vector<std::string> analyze_flags;  // extra `netcorr analyze` flags (e.g. {"--html", F})
  // Namespaces where tcpdump also records during the run, as on the other hosts of a path
  // (headers only: -s 128, on every interface, with capture_filter).
  std::vector<Node> peer_captures = {};
};

class StoryRunner {
 public:
  // `dir` holds the reports, logs and captures; each call uses its own file names.
  StoryRunner(World& world, const TempDir& dir) : world_(world), dir_(dir) {}

  // `netcorr --json -o F -w P [flags] -- argv` in `node`.
  absl::StatusOr<Told> Live(const std::vector<std::string>& argv, const LiveOptions& options = {});
  // strace (+ tcpdump) of argv in `node`, then `netcorr analyze --json`.
  absl::StatusOr<Told> Recorded(const std::vector<std::string>& argv,
                                const RecordOptions& options = {});

 private:
  std::string NextFile(const std::string& suffix);
  // Starts tcpdump in each of `nodes` (headers only); their files go to `files`.
  absl::StatusOr<std::vector<pid_t>> StartPeerCaptures(const std::vector<Node>& nodes,
                                                       const std::string& filter,
                                                       std::vector<std::string>& files);

  World& world_;
  const TempDir& dir_;
  int runs_ = 0;
};

// The story told live, then recorded and analysed (gtest failures for a run that could not be
// told); the reports of those that were.
std::vector<Told> TellBothWays(StoryRunner& story, const std::vector<std::string>& argv,
                               const LiveOptions& live = {});

// The findings of a report with the given kind (and severity, unless empty).
std::vector<const JsonValue*> FindingsOfKind(const JsonValue& report, const std::string& kind,
                                             const std::string& severity = "");
// Every finding whose severity is "failure".
std::vector<const JsonValue*> Failures(const JsonValue& report);

}  // namespace netcorr::testing
