#pragma once

#include "src/model/time.h"
#include "src/report/report.h"
#include "src/report/text_page.h"

namespace netcorr::report {

// The TIMELINE section of the text report: the rows of BuildTimeline, or with options.all and
// a spill (ReportInput::spill) the whole session's rows streamed from it, laid out in two
// columns. Rows are written to the page as they are produced. A spill that could not be
// written or read in full is said in the section, never cut short silently.
void RenderTimeline(const ReportInput& in, const TextOptions& options, TimeNs zero, Page& page);

// The spill the timeline is streamed from, or null when it is built from the kept events.
inline const SpilledTimeline* ShownSpill(const ReportInput& in, const TextOptions& options) {
  return options.all ? in.spill : nullptr;
}

}  // namespace netcorr::report
