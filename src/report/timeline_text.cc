#include "src/report/timeline_text.h"

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "src/report/spilled_rows.h"
#include "src/report/timeline.h"
#include "src/report/timeline_cells.h"
#include "src/report/timeline_spill.h"

namespace netcorr::report {

namespace {

std::string OmittedText(const TimelineRow& row) {
  std::vector<std::string> parts;
  if (row.omitted_calls > 0) parts.push_back(Plural(row.omitted_calls, "call", "calls"));
  if (row.omitted_packets > 0) {
    parts.push_back(Plural(row.omitted_packets, "packet", "packets"));
  }
  return absl::StrCat("... ", absl::StrJoin(parts, ", "), " omitted ...");
}

// Wrapping must not split strace's "<unfinished ...>" / "<... name" markers or a duration from
// its unit: those spaces become \x01 (never present in escaped text) until the line is wrapped.
constexpr char kGlue = '\x01';

std::string Glue(std::string text) {
  for (const std::string_view marker : {"<unfinished ...>", "<... "}) {
    for (size_t at = text.find(marker); at != std::string::npos;
         at = text.find(marker, at + marker.size())) {
      const size_t space = text.find(' ', at);
      if (space < at + marker.size()) text[space] = kGlue;
    }
  }
  for (size_t i = 1; i + 1 < text.size(); ++i) {
    if (text[i] != ' ' || text[i - 1] < '0' || text[i - 1] > '9') continue;
    size_t unit = i + 1;
    while (unit < text.size() && text[unit] >= 'a' && text[unit] <= 'z') ++unit;
    const std::string_view word(text.data() + i + 1, unit - i - 1);
    if (word == "ns" || word == "us" || word == "ms" || word == "s") text[i] = kGlue;
  }
  return text;
}

std::string Unglue(std::string text) {
  std::replace(text.begin(), text.end(), kGlue, ' ');
  return text;
}

std::string RStrip(std::string s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

// One row as the layout sees it, from memory or from the spill.
struct RowRef {
  TimelineRow::Kind kind;
  TimeNs time_ns;
  const TimelineRow* built = nullptr;
  const SpilledRow* spilled = nullptr;
  Cell cell() const { return built != nullptr ? RowCell(*built) : spilled->cell(); }
};

// Calls `visit` for every row in order; the spill's read error, if any, at the end.
using RowSource = std::function<absl::Status(const std::function<void(const RowRef&)>& visit)>;

}  // namespace

void RenderTimeline(const ReportInput& in, const TextOptions& options, TimeNs zero, Page& page) {
  const SpilledTimeline* spill = ShownSpill(in, options);
  std::vector<TimelineRow> built;
  if (spill == nullptr) built = BuildTimeline(in, options.all);
  const RowSource rows = [&](const std::function<void(const RowRef&)>& visit) {
    if (spill != nullptr) {
      return ForEachSpilledRow(*spill, in.findings, [&](const SpilledRow& r) {
        visit(RowRef{r.kind, r.time_ns, nullptr, &r});
      });
    }
    for (const TimelineRow& r : built) visit(RowRef{r.kind, r.time_ns, &r, nullptr});
    return absl::OkStatus();
  };

  page.Paragraph(absl::StrCat("TIMELINE: seconds since ", FormatTimeOfDay(zero), " UTC"), 4, kBold);
  page.Paragraph(
      "    !! failed or blocked call, >> successful call with a finding, [n] call of finding n, "
      "<-[n] evidence for finding n",
      4);
  const bool omitted = std::any_of(built.begin(), built.end(), [](const TimelineRow& row) {
    return row.kind == TimelineRow::Kind::kOmitted;
  });
  if (omitted) {
    page.Paragraph("    only the events around findings are shown; --all shows every event", 4);
  }
  if (spill != nullptr && !spill->error.ok()) {
    page.Paragraph(absl::StrCat("WARNING: this --all timeline is incomplete: ",
                                spill->error.message(), "; ",
                                Plural(spill->lost, "event", "events"), " from then on are missing"),
                   4, kRed);
  }
  // A first pass over the rows sizes the columns: the time column fits the relative time
  // farthest from the zero; the syscall column takes what its longest row needs, between 30%
  // and 50% of the room (time, space, 2-char mark, space, left, " | ", right), and packet
  // lines, longer as a rule, get the rest. Cells are rendered again row by row in the second
  // pass rather than kept: a --all timeline can have millions of rows. (The spill could track
  // the longest cell as it is written, but whether a call shows as one row or as entry and
  // exit depends on the event after it, known only once the runs are merged.)
  TimeNs farthest = 0;
  size_t longest_left = 0;
  uint64_t count = 0;
  absl::Status read = rows([&](const RowRef& row) {
    ++count;
    if (row.kind == TimelineRow::Kind::kOmitted) return;
    farthest = std::max(farthest, row.time_ns >= zero ? row.time_ns - zero : zero - row.time_ns);
    if (row.kind == TimelineRow::Kind::kPacket) return;
    longest_left = std::max(longest_left, EscapeForTerminal(row.cell().text).size());
  });
  if (count == 0 && read.ok()) {
    page.Line("    (no calls and no packets recorded)");
    return;
  }
  const size_t time_w = std::max<size_t>(9, Relative(zero + farthest, zero).size());
  const size_t avail = page.width() - time_w - 7;
  const size_t left_w = std::clamp(longest_left, avail * 30 / 100, avail * 50 / 100);
  const size_t right_w = avail - left_w;
  const std::string blank_prefix(time_w + 4, ' ');
  page.Line(RStrip(absl::StrCat(PadRight("TIME", time_w), "    ", PadRight("SYSCALLS", left_w),
                                " | PACKETS (#frame)")));
  page.Line(
      absl::StrCat(std::string(time_w + 4 + left_w + 1, '-'), "+", std::string(right_w + 1, '-')));
  read = rows([&](const RowRef& row) {
    if (row.kind == TimelineRow::Kind::kOmitted) {
      page.Line(absl::StrCat(blank_prefix, OmittedText(*row.built)), kDim);
      return;
    }
    const Cell cell = row.cell();
    std::vector<std::string> lines =
        WrapText(Glue(EscapeForTerminal(cell.text)), cell.left ? left_w : right_w, 2);
    for (std::string& line : lines) line = Unglue(std::move(line));
    for (size_t i = 0; i < lines.size(); ++i) {
      const std::string time = i == 0 ? Relative(row.time_ns, zero) : "";
      std::string line = absl::StrCat(std::string(time_w - time.size(), ' '), time, " ",
                                      i == 0 ? cell.mark : "  ", " ");
      if (cell.left) {
        absl::StrAppend(&line, page.Styled(lines[i], cell.style),
                        std::string(left_w - lines[i].size(), ' '), " |");
      } else {
        absl::StrAppend(&line, std::string(left_w, ' '), " | ", page.Styled(lines[i], cell.style));
      }
      page.Line(line);
    }
    page.Drain();
  });
  if (!read.ok()) {
    page.Paragraph(absl::StrCat("WARNING: this --all timeline stops here: ", read.message()), 4,
                   kRed);
  }
}

}  // namespace netcorr::report
