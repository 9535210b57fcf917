#pragma once

// The strace reader as a stream: what `netcorr analyze` reads a log with, so that memory follows
// what is alive in the log (calls in progress, sockets whose ends are not known yet), not the
// log's length. ParseStraceLog() and friends (strace_log.h) collect this same stream.
//
// Items come out in the order a live session would have seen them: each call at its exit, once
// final (strace_assembler.h says when), process events and signals at their time; calls that
// never finished come last. Ids number the calls in the order they completed (the whole-log
// functions renumber them in entry order); resolves_call uses the same ids.

#include <cstddef>
#include <fstream>
#include <istream>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "src/analyze/strace_log.h"
#include "src/analyze/strace_reorder.h"

namespace netcorr::analyze {

class Assembler;
struct StraceSource;

// "app.strace.1234" -> 1234: the tid of a `-ff` file; 0 when the name has no numeric suffix.
int32_t StraceTidFromSuffix(const std::string& path);

class StraceStream {
 public:
  // One log, or the files of `strace -ff -o PREFIX` (several paths: the tid of each line comes
  // from its file's numeric suffix; lines are merged in timestamp order). The error names the
  // path that cannot be opened.
  static absl::StatusOr<std::unique_ptr<StraceStream>> OpenFiles(
      const std::vector<std::string>& paths, const StraceParseOptions& options);
  // A stream or text in memory; either must outlive the StraceStream.
  static std::unique_ptr<StraceStream> FromStream(std::istream& in,
                                                  const StraceParseOptions& options);
  static std::unique_ptr<StraceStream> FromText(std::string_view text,
                                                const StraceParseOptions& options);
  ~StraceStream();
  StraceStream(const StraceStream&) = delete;
  StraceStream& operator=(const StraceStream&) = delete;

  // The next item, or nullopt at the end of the log. Fails when the input cannot be read or is
  // clearly not an strace log (binary data; not one recognisable line), with a one-line message.
  absl::StatusOr<std::optional<StraceItem>> Next();

  // What was learnt of the log so far (all of it once Next() has returned nullopt).
  const StraceLogFacts& facts() const;
  // Gives an item the pid and tid that the log has revealed by now. Items leave relabelled
  // already; calling it again at the end fixes the few that left before the log told (a log
  // without pids reveals its pid with set_tid_address at its start).
  void Relabel(StraceItem& item) const;
  // Calls read but not handed out yet: held for their socket's ends or waiting for their turn.
  size_t buffered_calls() const;

 private:
  StraceStream(std::vector<std::unique_ptr<std::ifstream>> files, const StraceParseOptions& o);
  bool Probe();       // checks the sources are text; sets error_ if not
  bool ReadLine();    // consumes one line of the earliest source; false when all ended
  void Finish();      // the end of every source

  StraceParseOptions options_;
  std::vector<std::unique_ptr<std::ifstream>> files_;
  std::vector<StraceSource> sources_;
  ReorderBuffer out_;
  std::unique_ptr<Assembler> assembler_;
  using SourceKey = std::pair<TimeNs, size_t>;  // the time of a source's current line, its index
  std::priority_queue<SourceKey, std::vector<SourceKey>, std::greater<SourceKey>> heap_;
  bool started_ = false;
  bool finished_ = false;
  absl::Status error_;
  ItemKey bound_;           // items below it are final and in order
  size_t lines_since_bound_ = 0;
};

}  // namespace netcorr::analyze
