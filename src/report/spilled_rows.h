#pragma once

// The --all timeline's rows from a spill (timeline_spill.h), streamed: the same rows, in the
// same order, as BuildTimeline(input, /*all=*/true) builds in memory from the same events, with
// memory bounded by the calls in the kernel at one moment, not by the session.

#include <functional>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "src/model/finding.h"
#include "src/model/time.h"
#include "src/report/timeline.h"
#include "src/report/timeline_cells.h"
#include "src/report/timeline_spill.h"

namespace netcorr::report {

struct SpilledRow {
  TimelineRow::Kind kind = TimelineRow::Kind::kCall;  // never kOmitted
  TimeNs time_ns = 0;
  const SpillEvent* event = nullptr;  // valid during the callback only
  std::vector<int> findings;          // 1-based numbers of the ranked `findings`
  Cell cell() const;
};

// Calls `row` for every row, in order. `findings` are ranked (their numbers are the tags); a
// finding's call (or the call that revealed its outcome) that was never spilled is shown too,
// as BuildTimeline shows it. Returns the reader's error when the file could not be read to its
// end: the rows before it were delivered.
absl::Status ForEachSpilledRow(const SpilledTimeline& spill, absl::Span<const Finding> findings,
                               const std::function<void(const SpilledRow&)>& row);

}  // namespace netcorr::report
