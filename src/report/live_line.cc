// The short forms of a finding: the live stderr line and the pcapng evidence comment.

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "src/model/errno_name.h"
#include "src/report/call_format.h"
#include "src/report/report.h"
#include "src/report/terminal_text.h"

namespace netcorr::report {

namespace {

// The errno that tells the story: the call's own, or for a non-blocking connect the one its
// resolution revealed (the finding's outcome_error), e.g. "EINPROGRESS, then ECONNREFUSED".
std::string Outcome(const Finding& f) {
  const SyscallEvent& c = f.call;
  if (!c.finished) return "still blocked";
  if (f.outcome_error != 0 && f.outcome_error != c.error) {
    const std::string first = c.error != 0 ? ErrnoName(c.error) : absl::StrCat(c.result);
    return absl::StrCat("= ", first, ", then ", ErrnoName(f.outcome_error));
  }
  if (c.error != 0) return absl::StrCat("= ", ErrnoName(c.error));
  return absl::StrCat("= ", c.result);
}

// How long the story took: up to the call that revealed the outcome when there is one.
TimeNs StoryDuration(const Finding& f) {
  if (f.resolved_by.has_value() && f.resolved_by->exit_ns > f.call.entry_ns) {
    return f.resolved_by->exit_ns - f.call.entry_ns;
  }
  return f.call.duration_ns();
}

}  // namespace

std::string RenderLiveLine(const Finding& f) {
  std::string line =
      absl::StrCat("netcorr: ", FormatCallHead(f.call), " ", Outcome(f), " after ",
                   FormatHumanDuration(StoryDuration(f)), " -- ",
                   std::string(FindingKindName(f.kind)), ": ", AsciiPunctuation(f.summary));
  if (!f.evidence.empty()) {
    absl::StrAppend(&line, " (", f.evidence.size() == 1 ? "frame " : "frames ",
                    absl::StrJoin(f.evidence, ","), ")");
  }
  return EscapeForTerminal(line);
}

std::string EvidenceComment(const Finding& f) {
  // pcapng comments are UTF-8 text shown by Wireshark on one line: keep it to printable ASCII.
  return EscapeForTerminal(absl::StrCat("netcorr ", std::string(FindingKindName(f.kind)),
                                        ": explains ",
                                        f.call.name, "() ", Outcome(f), " by pid ", f.call.pid,
                                        " at ", FormatTimeOfDay(f.call.entry_ns)));
}

}  // namespace netcorr::report
