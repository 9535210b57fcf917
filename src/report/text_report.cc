// RenderText: the end-of-session report a person reads (docs/report.md describes it).

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "src/model/blind_spot.h"
#include "src/model/errno_name.h"
#include "src/report/call_format.h"
#include "src/report/output.h"
#include "src/report/packet_format.h"
#include "src/report/report.h"
#include "src/report/terminal_text.h"
#include "src/report/timeline.h"

namespace netcorr::report {

namespace {

constexpr int kMinWidth = 80;
constexpr const char* kRed = "\x1b[31m";
constexpr const char* kYellow = "\x1b[33m";
constexpr const char* kBold = "\x1b[1m";
constexpr const char* kDim = "\x1b[2m";
constexpr const char* kReset = "\x1b[0m";

// Accumulates the report's lines; every line is wrapped to the width before colour is added,
// so colour never counts towards (or breaks) the layout.
class Page {
 public:
  Page(size_t width, bool color, Output& output) : width_(width), color_(color), output_(output) {}

  // A paragraph: escaped, wrapped with a hanging indent, optionally coloured.
  void Paragraph(const std::string& text, size_t indent = 4, const char* style = nullptr) {
    for (const std::string& line : WrapText(EscapeForTerminal(text), width_, indent)) {
      Line(line, style);
    }
  }
  void Line(const std::string& text, const char* style = nullptr) {
    if (color_ && style != nullptr && !text.empty()) {
      absl::StrAppend(&out_, style, text, kReset, "\n");
    } else {
      absl::StrAppend(&out_, text, "\n");
    }
  }
  void Blank() { out_.push_back('\n'); }
  std::string Styled(const std::string& text, const char* style) const {
    if (!color_ || style == nullptr || text.empty()) return text;
    return absl::StrCat(style, text, kReset);
  }
  size_t width() const { return width_; }
  // Hands the lines written so far to the output (in chunks when it is a file).
  void Drain() { output_.Drain(&out_); }
  absl::Status Finish() { return output_.Finish(&out_); }

 private:
  size_t width_;
  bool color_;
  Output& output_;
  std::string out_;
};

// "+1.234567": seconds from the timeline's zero, microsecond precision (strace -r style).
std::string Relative(TimeNs t, TimeNs zero) {
  const TimeNs d = t - zero;
  return absl::StrCat(d < 0 ? "-" : "+", FormatDurationSeconds(d < 0 ? -d : d));
}

// A command line as a shell would need it typed.
std::string ShellQuote(const std::vector<std::string>& argv) {
  std::vector<std::string> words;
  for (const std::string& arg : argv) {
    const bool plain = !arg.empty() && std::all_of(arg.begin(), arg.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             std::string_view("_./:=@%+,-").find(c) != std::string_view::npos;
    });
    if (plain) {
      words.push_back(arg);
      continue;
    }
    std::string quoted = "'";
    for (char c : arg) {
      if (c == '\'') {
        quoted.append("'\\''");
      } else {
        quoted.push_back(c);
      }
    }
    quoted.push_back('\'');
    words.push_back(std::move(quoted));
  }
  return absl::StrJoin(words, " ");
}

std::string Plural(uint64_t n, const char* one, const char* many) {
  return absl::StrCat(n, " ", n == 1 ? one : many);
}

std::string FrameList(const std::vector<uint64_t>& ids) { return absl::StrJoin(ids, ", "); }

// " [1]" or " [1,3]": the findings a call row belongs to.
std::string Tags(const std::vector<int>& findings) {
  if (findings.empty()) return "";
  return absl::StrCat(" [", absl::StrJoin(findings, ","), "]");
}

// "namespaces: net:[4026532845] (blue), pid 1 in its own PID namespace, cgroup /x; docker
// container 3f2a1b4c5d6e": said only when the program is somewhere else than netcorr, where a
// reader must know which network the packets are from.
std::string NamespaceLine(const TargetNamespace& ns, const std::vector<int32_t>& pids) {
  const bool elsewhere = !ns.own_netns || !ns.own_pidns || !ns.container_id.empty() ||
                         (!ns.own_cgroup && !ns.cgroup.empty());
  if (!elsewhere) return "";
  std::string line = absl::StrCat("namespaces: net:[", ns.netns_inode, "]");
  if (!ns.netns_name.empty()) absl::StrAppend(&line, " (", ns.netns_name, ")");
  if (ns.own_netns) absl::StrAppend(&line, ", netcorr's own");
  if (!ns.own_pidns && ns.ns_pid > 0) {
    absl::StrAppend(&line, ", ", pids.empty() ? "" : absl::StrCat("pid ", pids.front(), " is "),
                    "pid ", ns.ns_pid, " in its own PID namespace");
  }
  if (!ns.cgroup.empty() && !ns.own_cgroup) absl::StrAppend(&line, ", cgroup ", ns.cgroup);
  if (!ns.container_id.empty()) {
    // The short id, as `docker ps` and `podman ps` show it.
    absl::StrAppend(&line, "; ", ns.container_runtime.empty() ? "" : ns.container_runtime + " ",
                    "container ", ns.container_id.substr(0, 12));
  }
  return line;
}

void RenderHeader(const ReportInput& in, TimeNs zero, Page& page) {
  const SessionInfo& s = in.session;
  std::string what;
  if (s.mode == "analyze") {
    what = s.command.empty() ? "analyzed recorded files"
                             : absl::StrCat("analyzed ", absl::StrJoin(s.command, " and "));
  } else if (!s.command.empty()) {
    what = absl::StrCat("traced `", ShellQuote(s.command), "`");
    if (!s.pids.empty()) absl::StrAppend(&what, " (pid ", absl::StrJoin(s.pids, ", "), ")");
  } else if (!s.pids.empty()) {
    what = absl::StrCat("attached to pid ", absl::StrJoin(s.pids, ", "));
  } else {
    what = "traced session";
  }
  const std::string version = s.netcorr_version.empty() ? "" : " " + s.netcorr_version;
  page.Paragraph(absl::StrCat("netcorr", version, ": ", what), 4, kBold);

  // How long: the session's own bounds when known, else the events' span.
  TimeNs start = s.start_ns != 0 ? s.start_ns : zero;
  TimeNs end = s.end_ns;
  if (end == 0) {
    end = start;
    for (const SyscallEvent& c : in.calls) end = std::max(end, c.exit_ns);
    for (const Packet& p : in.packets) end = std::max(end, p.ts_ns);
  }
  std::string when = absl::StrCat("started ", FormatTimeOfDay(start), " UTC, ran ",
                                  FormatHumanDuration(end - start));
  if (!s.stop_reason.empty()) absl::StrAppend(&when, " (", s.stop_reason, ")");
  uint64_t failed = 0, blocked = 0;
  for (const SyscallEvent& c : in.calls) {
    failed += c.failed() ? 1 : 0;
    blocked += c.finished ? 0 : 1;
  }
  uint64_t traced = in.calls.size();
  if (in.totals != nullptr && in.totals->let_go()) {
    traced = in.totals->calls_seen;
    failed = in.totals->calls_failed;
  }
  absl::StrAppend(&when, "; ", Plural(traced, "call", "calls"), " traced, ", failed, " failed, ",
                  blocked, " still blocked");
  page.Paragraph(when);
  if (s.target_namespace) {
    if (std::string where = NamespaceLine(*s.target_namespace, s.pids); !where.empty()) {
      page.Paragraph(where);
    }
  }

  const CaptureStats& cap = in.capture;
  if (!cap.available) {
    page.Paragraph(
        absl::StrCat("capture: none (",
                     cap.unavailable_reason.empty() ? "not requested" : cap.unavailable_reason,
                     "): no packet evidence, findings are based on the syscalls only"));
    return;
  }
  std::string capture = absl::StrCat(
      "capture on ", s.interfaces.empty() ? std::string("any") : absl::StrJoin(s.interfaces, ","));
  if (s.snaplen > 0) absl::StrAppend(&capture, ", snaplen ", s.snaplen);
  if (!cap.opened) {
    absl::StrAppend(&capture, ": not opened, the program never touched the network");
    if (!s.capture_file.empty()) absl::StrAppend(&capture, "; ", s.capture_file, " holds no packet");
    page.Paragraph(capture);
    return;
  }
  absl::StrAppend(&capture, ": ", Plural(cap.received, "packet", "packets"), " received, ",
                  cap.kernel_dropped, " dropped by the kernel, ", cap.interface_dropped,
                  " by the interface");
  if (cap.undecodable > 0) absl::StrAppend(&capture, ", ", cap.undecodable, " undecodable");
  if (in.totals != nullptr && in.totals->let_go()) {
    absl::StrAppend(&capture, "; ", in.packets.size(), " of ", in.totals->packets_seen,
                    " kept for this report (the findings' context and the latest of each flow)");
  } else {
    absl::StrAppend(&capture, "; ", Plural(in.packets.size(), "packet", "packets"), " kept");
  }
  if (s.capture_files.size() > 1) {
    absl::StrAppend(&capture, "; written to ", s.capture_files.size(), " files, ",
                    s.capture_files.front().path, " to ", s.capture_files.back().path);
  } else if (!s.capture_file.empty()) {
    absl::StrAppend(&capture, "; written to ", s.capture_file);
  }
  page.Paragraph(capture);
  if (cap.kernel_dropped + cap.interface_dropped > 0) {
    page.Paragraph(
        absl::StrCat("WARNING: the capture lost ",
                     Plural(cap.kernel_dropped + cap.interface_dropped, "packet", "packets"),
                     ": a finding without evidence may be explained by the loss"),
        4, kRed);
  }
}

// `analyze --peer-pcap`: each peer capture and how its clock was aligned to ours.
void RenderPeerCaptures(const SessionInfo& s, Page& page) {
  for (const PeerCaptureInfo& p : s.peer_captures) {
    if (!p.aligned) {
      page.Paragraph(
          absl::StrCat("peer capture ", p.file, ": not aligned (", AsciiPunctuation(p.note), ")"));
      continue;
    }
    page.Paragraph(absl::StrFormat(
        "peer capture %s: clock %+.6f s from ours (+- %.6f s, %d packets matched%s)", p.file,
        static_cast<double>(p.offset_ns) / 1e9, static_cast<double>(p.bound_ns) / 1e9, p.matched,
        p.both_directions ? "" : ", one direction only: bound assumed"));
  }
}

// Where it was lost: the verdict of the peer captures, and what each shows.
void RenderPathVerdict(const PathVerdict& v, Page& page) {
  page.Paragraph(absl::StrCat("    path: ", std::string(PathVerdictName(v.verdict)), " -- ",
                              AsciiPunctuation(v.summary)),
                 8);
  for (const PeerPathEvidence& e : v.peers) {
    page.Paragraph(absl::StrCat("      ", e.capture, ": ", std::string(PathVerdictName(e.verdict)),
                                ", ", AsciiPunctuation(e.detail)),
                   10);
  }
  page.Paragraph(absl::StrCat("    path hint: ", AsciiPunctuation(v.hint)), 8);
}

void RenderSummary(const ReportInput& in, TimeNs zero, Page& page) {
  if (in.findings.empty()) {
    page.Paragraph(absl::StrCat("SUMMARY: no failing or hanging socket call found among ",
                                Plural(in.calls.size(), "call", "calls"), "."),
                   4, kBold);
    return;
  }
  page.Paragraph(absl::StrCat("SUMMARY: ", Plural(in.findings.size(), "finding", "findings"),
                              in.findings.size() > 1 ? ", most important first" : ""),
                 4, kBold);
  for (size_t n = 0; n < in.findings.size(); ++n) {
    const Finding& f = in.findings[n];
    const std::string number = absl::StrCat("[", n + 1, "] ");
    const std::vector<std::string> lines =
        WrapText(EscapeForTerminal(absl::StrCat(number, std::string(FindingKindName(f.kind)), ": ",
                                                AsciiPunctuation(f.summary))),
                 page.width(), 4);
    // The first line of each finding (its number and kind) stands out.
    for (size_t i = 0; i < lines.size(); ++i) {
      page.Line(lines[i], i == 0 ? kBold : nullptr);
    }
    page.Paragraph(
        absl::StrCat("    call: ", FormatCall(f.call), " at ", Relative(f.call.entry_ns, zero)), 8);
    if (f.resolved_by.has_value()) {
      page.Paragraph(
          absl::StrCat("    outcome: ",
                       f.outcome_error != 0 ? ErrnoName(f.outcome_error) : std::string("no error"),
                       ", revealed by ", FormatCall(*f.resolved_by), " at ",
                       Relative(f.resolved_by->entry_ns, zero)),
          8);
    }
    // Calls folded into this finding: the waits of the stall before it, the calls after it.
    auto span = [&](const char* label, const std::optional<CallSpan>& s) {
      if (!s.has_value()) return;
      page.Paragraph(
          absl::StrCat("    ", label, ": ", s->count, s->count == 1 ? " call, " : " calls, first ",
                       FormatCall(s->first), " at ", Relative(s->first.entry_ns, zero),
                       s->count == 1
                           ? std::string()
                           : absl::StrCat(", last at ", Relative(s->last.entry_ns, zero))),
          8);
    };
    span("stalled waits", f.stalled_waits);
    span("same cause later", f.later_calls);
    std::string flow = f.flow.has_value() ? absl::StrCat("    flow: ", f.flow->ToString(), "; ")
                                          : std::string("    ");
    absl::StrAppend(&flow,
                    f.evidence.empty()
                        ? std::string("evidence: no packet")
                        : absl::StrCat("evidence: ", f.evidence.size() == 1 ? "frame " : "frames ",
                                       FrameList(f.evidence)));
    page.Paragraph(flow, 8);
    if (!f.unexplained_reason.empty()) {
      page.Paragraph(
          absl::StrCat("    unexplained because: ", AsciiPunctuation(f.unexplained_reason)), 8);
    }
    if (!f.hint.empty()) page.Paragraph(absl::StrCat("    hint: ", AsciiPunctuation(f.hint)), 8);
    if (f.path.has_value()) RenderPathVerdict(*f.path, page);
  }
}

// The left (syscall) or right (packet) text of a timeline row, and whether to colour it.
struct Cell {
  std::string text;
  bool left = true;
  const char* style = nullptr;
  std::string mark = "  ";
};

Cell RowCell(const TimelineRow& row) {
  Cell cell;
  switch (row.kind) {
    case TimelineRow::Kind::kPacket:
      cell.left = false;
      // The evidence tag comes first, next to the separator, pointing at the calls column.
      cell.text = absl::StrCat(
          row.findings.empty() ? "" : absl::StrCat("<-[", absl::StrJoin(row.findings, ","), "] "),
          "#", row.packet->id, " ", FormatPacket(*row.packet));
      if (!row.findings.empty()) cell.style = kYellow;
      return cell;
    case TimelineRow::Kind::kCallEntry:
      cell.text = absl::StrCat(FormatCallHead(*row.call), " <unfinished ...>");
      return cell;
    case TimelineRow::Kind::kCall:
    case TimelineRow::Kind::kCallExit: {
      const SyscallEvent& c = *row.call;
      if (row.kind == TimelineRow::Kind::kCall) {
        cell.text = FormatCall(c);
      } else if (c.finished) {
        cell.text = absl::StrCat(FormatTask(c.pid, c.tid), " <... ", c.name, " resumed> ",
                                 FormatCallOutcome(c));
      } else {
        cell.text =
            absl::StrCat(FormatTask(c.pid, c.tid), " <... ", c.name, " still blocked after ",
                         FormatHumanDuration(c.duration_ns()), ">");
      }
      absl::StrAppend(&cell.text, Tags(row.findings));
      // A call that revealed a non-blocking connect's error shows a failure too.
      const bool revealed_error = c.resolves_call.has_value() && c.resolved_error != 0;
      if (c.failed() || !c.finished || revealed_error) {
        cell.mark = "!!";
        cell.style = kRed;
      } else if (!row.findings.empty() && !c.resolves_call.has_value()) {
        cell.mark = ">>";
        cell.style = kRed;
      }
      return cell;
    }
    case TimelineRow::Kind::kOmitted:
      break;
  }
  return cell;
}

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

void RenderTimeline(const ReportInput& in, const TextOptions& options, TimeNs zero, Page& page) {
  const std::vector<TimelineRow> rows = BuildTimeline(in, options.all);
  page.Paragraph(absl::StrCat("TIMELINE: seconds since ", FormatTimeOfDay(zero), " UTC"), 4, kBold);
  page.Paragraph(
      "    !! failed or blocked call, >> successful call with a finding, [n] call of finding n, "
      "<-[n] evidence for finding n",
      4);
  const bool omitted = std::any_of(rows.begin(), rows.end(), [](const TimelineRow& row) {
    return row.kind == TimelineRow::Kind::kOmitted;
  });
  if (omitted) {
    page.Paragraph("    only the events around findings are shown; --all shows every event", 4);
  }
  if (rows.empty()) {
    page.Line("    (no calls and no packets recorded)");
    return;
  }
  // The time column fits the relative time farthest from the zero.
  TimeNs farthest = 0;
  for (const TimelineRow& row : rows) {
    if (row.kind == TimelineRow::Kind::kOmitted) continue;
    farthest = std::max(farthest, row.time_ns >= zero ? row.time_ns - zero : zero - row.time_ns);
  }
  const size_t time_w = std::max<size_t>(9, Relative(zero + farthest, zero).size());
  // time, space, 2-char mark, space, left, " | ", right. The syscall column takes what its
  // longest row needs, between 30% and 50% of the room; packet lines, longer as a rule, get
  // the rest. Cells are rendered again row by row below rather than kept: a --all timeline
  // can have millions of rows.
  size_t longest_left = 0;
  for (const TimelineRow& row : rows) {
    if (row.kind == TimelineRow::Kind::kOmitted || row.kind == TimelineRow::Kind::kPacket) {
      continue;
    }
    longest_left = std::max(longest_left, EscapeForTerminal(RowCell(row).text).size());
  }
  const size_t avail = page.width() - time_w - 7;
  const size_t left_w = std::clamp(longest_left, avail * 30 / 100, avail * 50 / 100);
  const size_t right_w = avail - left_w;
  const std::string blank_prefix(time_w + 4, ' ');
  page.Line(RStrip(absl::StrCat(PadRight("TIME", time_w), "    ", PadRight("SYSCALLS", left_w),
                                " | PACKETS (#frame)")));
  page.Line(
      absl::StrCat(std::string(time_w + 4 + left_w + 1, '-'), "+", std::string(right_w + 1, '-')));
  for (size_t r = 0; r < rows.size(); ++r) {
    const TimelineRow& row = rows[r];
    if (row.kind == TimelineRow::Kind::kOmitted) {
      page.Line(absl::StrCat(blank_prefix, OmittedText(row)), kDim);
      continue;
    }
    const Cell cell = RowCell(row);
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
  }
}

// What the calls column cannot show (operations submitted through io_uring), said before the
// timeline so that a quiet calls column is not read as a quiet program.
void RenderBlindSpots(const ReportInput& in, Page& page) {
  const std::vector<BlindSpot> spots = BlindSpotsOf(in.calls);
  if (spots.empty()) return;
  page.Line("NOT SEEN BY PTRACE", kBold);
  for (const BlindSpot& s : spots) page.Paragraph(absl::StrCat("    ", DescribeBlindSpot(s)), 8);
  page.Blank();
}

// A long session's report shows only part of what was seen: these say what the rest was.
void RenderTotals(const ReportInput& in, Page& page) {
  if (in.totals == nullptr || !in.totals->let_go()) return;
  const SessionTotals& t = *in.totals;
  page.Line("TOTALS", kBold);
  page.Paragraph(absl::StrCat("    ", Plural(t.calls_seen, "call", "calls"), " (", t.calls_failed,
                              " failed), ", Plural(t.packets_seen, "packet", "packets"),
                              "; the timeline above keeps ", t.calls_kept, " calls and ",
                              t.packets_kept, " packets around the findings"),
                 8);
  constexpr size_t kShownServices = 10;
  for (size_t i = 0; i < t.by_service.size() && i < kShownServices; ++i) {
    const ServiceTotals& s = t.by_service[i];
    page.Paragraph(absl::StrCat("    ", absl::AsciiStrToUpper(std::string(TransportName(s.transport))), " ",
                                s.service.ToString(),
                                s.served_by_program ? " (served by the program)" : "", ": ",
                                Plural(s.flows, "flow", "flows"), ", ",
                                Plural(s.packets, "packet", "packets"), ", ", s.payload_bytes,
                                " payload bytes, ", Plural(s.calls, "call", "calls"), " (",
                                s.failed_calls, " failed)"),
                   8);
  }
  if (t.by_service.size() > kShownServices || t.others.flows > 0) {
    uint64_t flows = t.others.flows, packets = t.others.packets;
    for (size_t i = kShownServices; i < t.by_service.size(); ++i) {
      flows += t.by_service[i].flows;
      packets += t.by_service[i].packets;
    }
    page.Paragraph(absl::StrCat("    other services: ", Plural(flows, "flow", "flows"), ", ",
                                Plural(packets, "packet", "packets"), " (--json: totals)"),
                   8);
  }
  std::vector<std::string> let_go;
  for (const auto& [kind, count] : t.findings_let_go) let_go.push_back(absl::StrCat(count, " ", kind));
  if (!let_go.empty()) {
    page.Paragraph(absl::StrCat("    informational findings counted, not shown: ",
                                absl::StrJoin(let_go, ", ")),
                   8);
  }
  std::vector<std::string> names;
  for (const auto& [name, count] : t.calls_by_name) names.push_back(absl::StrCat(name, " ", count));
  if (!names.empty()) page.Paragraph(absl::StrCat("    calls: ", absl::StrJoin(names, ", ")), 8);
  page.Blank();
}

void RenderProcesses(const ReportInput& in, TimeNs zero, Page& page) {
  std::vector<std::string> lines;
  for (const ProcessEvent& e : in.processes) {
    const std::string at = absl::StrCat(" at ", Relative(e.time_ns, zero));
    const std::string task = absl::StrCat("[", e.pid, "] ");
    switch (e.kind) {
      case ProcessEvent::Kind::kExited:
        lines.push_back(absl::StrCat(task, "exited with status ", e.status, at));
        break;
      case ProcessEvent::Kind::kKilled: {
        const char* name = sigabbrev_np(e.status);
        lines.push_back(absl::StrCat(
            task, "killed by ",
            name != nullptr ? absl::StrCat("SIG", name) : absl::StrCat("signal ", e.status), at));
        break;
      }
      case ProcessEvent::Kind::kDetached:
        lines.push_back(absl::StrCat(task, "detached", at, ", still running"));
        break;
      case ProcessEvent::Kind::kStarted:
      case ProcessEvent::Kind::kAttached:
      case ProcessEvent::Kind::kExec:
        break;
    }
  }
  page.Line("PROCESSES", kBold);
  if (lines.empty()) lines.push_back("(no exit recorded)");
  for (const std::string& line : lines) page.Paragraph(absl::StrCat("    ", line), 8);
}

}  // namespace

namespace {

absl::Status RenderTextTo(const ReportInput& input, const TextOptions& options, Output& output) {
  Page page(static_cast<size_t>(std::max(options.width, kMinWidth)), options.color, output);
  TimeNs zero = FirstEventTime(input);
  if (input.calls.empty() && input.packets.empty()) zero = input.session.start_ns;
  RenderHeader(input, zero, page);
  RenderPeerCaptures(input.session, page);
  page.Blank();
  RenderSummary(input, zero, page);
  page.Blank();
  RenderBlindSpots(input, page);
  RenderTimeline(input, options, zero, page);
  page.Blank();
  RenderTotals(input, page);
  RenderProcesses(input, zero, page);
  return page.Finish();
}

}  // namespace

std::string RenderText(const ReportInput& input, const TextOptions& options) {
  std::string text;
  Output output(&text);
  // Appending to a string cannot fail.
  RenderTextTo(input, options, output).IgnoreError();
  return text;
}

absl::Status WriteText(const ReportInput& input, const TextOptions& options, std::FILE* out) {
  Output output(out);
  return RenderTextTo(input, options, output);
}

}  // namespace netcorr::report
