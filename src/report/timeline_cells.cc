#include "src/report/timeline_cells.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "src/report/call_format.h"
#include "src/report/packet_format.h"

namespace netcorr::report {

namespace {

// " [1]" or " [1,3]": the findings a call row belongs to.
std::string Tags(const std::vector<int>& findings) {
  if (findings.empty()) return "";
  return absl::StrCat(" [", absl::StrJoin(findings, ","), "]");
}

}  // namespace

CallMarks MarksOf(const SyscallEvent& call) {
  CallMarks m;
  m.failed = call.failed();
  m.finished = call.finished;
  m.resolves_call = call.resolves_call.has_value();
  m.revealed_error = call.resolves_call.has_value() && call.resolved_error != 0;
  return m;
}

std::string CallExitText(const SyscallEvent& c) {
  if (c.finished) {
    return absl::StrCat(FormatTask(c.pid, c.tid), " <... ", c.name, " resumed> ",
                        FormatCallOutcome(c));
  }
  return absl::StrCat(FormatTask(c.pid, c.tid), " <... ", c.name, " still blocked after ",
                      FormatHumanDuration(c.duration_ns()), ">");
}

Cell CallCell(TimelineRow::Kind kind, const std::string& head, const std::string& outcome,
              const std::string& exit_text, const CallMarks& marks,
              const std::vector<int>& findings) {
  Cell cell;
  if (kind == TimelineRow::Kind::kCallEntry) {
    cell.text = absl::StrCat(head, " <unfinished ...>");
    return cell;
  }
  cell.text = kind == TimelineRow::Kind::kCall ? absl::StrCat(head, " ", outcome) : exit_text;
  absl::StrAppend(&cell.text, Tags(findings));
  // A call that revealed a non-blocking connect's error shows a failure too.
  if (marks.failed || !marks.finished || marks.revealed_error) {
    cell.mark = "!!";
    cell.style = kRed;
  } else if (!findings.empty() && !marks.resolves_call) {
    cell.mark = ">>";
    cell.style = kRed;
  }
  return cell;
}

Cell PacketCell(uint64_t id, const std::string& packet_text, const std::vector<int>& findings) {
  Cell cell;
  cell.left = false;
  // The evidence tag comes first, next to the separator, pointing at the calls column.
  cell.text = absl::StrCat(
      findings.empty() ? "" : absl::StrCat("<-[", absl::StrJoin(findings, ","), "] "), "#", id,
      " ", packet_text);
  if (!findings.empty()) cell.style = kYellow;
  return cell;
}

Cell RowCell(const TimelineRow& row) {
  switch (row.kind) {
    case TimelineRow::Kind::kPacket:
      return PacketCell(row.packet->id, FormatPacket(*row.packet), row.findings);
    case TimelineRow::Kind::kCallEntry:
      return CallCell(row.kind, FormatCallHead(*row.call), "", "", MarksOf(*row.call),
                      row.findings);
    case TimelineRow::Kind::kCall:
      return CallCell(row.kind, FormatCallHead(*row.call), FormatCallOutcome(*row.call), "",
                      MarksOf(*row.call), row.findings);
    case TimelineRow::Kind::kCallExit:
      return CallCell(row.kind, "", "", CallExitText(*row.call), MarksOf(*row.call),
                      row.findings);
    case TimelineRow::Kind::kOmitted:
      break;
  }
  return Cell{};
}

}  // namespace netcorr::report
