#pragma once

// The log `netcorr analyze` explains, as items in the order a live session would have fed them
// (calls at their exit, process events when they happened, unfinished calls last): an strace
// log streamed (src/analyze/strace_stream.h: memory follows what is alive in it), or a live
// session's --json record (small by nature: a record keeps only the findings' context, so it
// is read whole).

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "src/analyze/strace_log.h"
#include "src/analyze/strace_reorder.h"
#include "src/analyze/strace_stream.h"

namespace netcorr::cli {

class AnalyzeLog {
 public:
  // --strace PATH...: each a log, or the PREFIX of `strace -ff -o PREFIX` (PREFIX.<tid> files).
  static absl::StatusOr<std::unique_ptr<AnalyzeLog>> OpenStrace(
      const std::vector<std::string>& paths);
  // --record: the document's calls and processes.
  static std::unique_ptr<AnalyzeLog> FromRecord(analyze::StraceParseResult record);

  // The same log from its start again (the alignment's first pass reads its beginning).
  absl::StatusOr<std::unique_ptr<AnalyzeLog>> Reopen() const;

  // The next item, nullopt at the end; an error (one line) when the log cannot be read.
  absl::StatusOr<std::optional<analyze::StraceItem>> Next();
  // What the log told of itself so far (all of it at its end).
  const analyze::StraceLogFacts& facts() const;
  // Calls read and not handed out yet (the reader's own buffers).
  size_t buffered_calls() const;

 private:
  AnalyzeLog() = default;

  std::vector<std::string> files_;                  // strace: the files, -ff prefixes expanded
  std::unique_ptr<analyze::StraceStream> stream_;  // strace
  std::shared_ptr<const std::vector<analyze::StraceItem>> record_items_;  // --record
  std::shared_ptr<const analyze::StraceLogFacts> record_facts_;
  size_t next_record_item_ = 0;
};

}  // namespace netcorr::cli
