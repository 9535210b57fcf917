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
#include "src/report/text_page.h"
#include "src/report/report.h"
#include "src/report/terminal_text.h"
#include "src/report/timeline.h"
#include "src/report/timeline_spill.h"
#include "src/report/timeline_text.h"

namespace netcorr::report {

namespace {

constexpr int kMinWidth = 80;

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

std::string FrameList(const std::vector<uint64_t>& ids) { return absl::StrJoin(ids, ", "); }

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

void RenderHeader(const ReportInput& in, const SpilledTimeline* spill, TimeNs zero, Page& page) {
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
    if (spill != nullptr) end = std::max(end, spill->last_ns);
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
  if (in.totals != nullptr && in.totals->let_go() && spill != nullptr && spill->error.ok()) {
    absl::StrAppend(&capture, "; ", Plural(spill->packets, "packet", "packets"),
                    " in the --all timeline");
  } else if (in.totals != nullptr && in.totals->let_go()) {
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
void RenderTotals(const ReportInput& in, const SpilledTimeline* spill, Page& page) {
  if (in.totals == nullptr || !in.totals->let_go()) return;
  const SessionTotals& t = *in.totals;
  page.Line("TOTALS", kBold);
  // What the timeline above holds: with --all, what its file holds (all of it unless writing
  // the file failed); else what was kept around the findings.
  std::string shown = absl::StrCat("the timeline above keeps ", t.calls_kept, " calls and ",
                                   t.packets_kept, " packets around the findings");
  if (spill != nullptr) {
    shown = spill->error.ok()
                ? absl::StrCat("the --all timeline above shows ", spill->calls, " calls and ",
                               spill->packets, " packets, streamed from a temporary file")
                : absl::StrCat("the --all timeline above shows only ", spill->calls,
                               " calls and ", spill->packets, " packets (its file failed: ",
                               spill->error.message(), ")");
  }
  page.Paragraph(absl::StrCat("    ", Plural(t.calls_seen, "call", "calls"), " (", t.calls_failed,
                              " failed), ", Plural(t.packets_seen, "packet", "packets"), "; ",
                              shown),
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
  // The zero of the relative clock is the earliest event: of all spilled ones with --all.
  const SpilledTimeline* spill = ShownSpill(input, options);
  TimeNs zero = FirstEventTime(input);
  if (input.calls.empty() && input.packets.empty()) zero = input.session.start_ns;
  if (spill != nullptr && spill->events() > 0) zero = spill->first_ns;
  RenderHeader(input, spill, zero, page);
  RenderPeerCaptures(input.session, page);
  page.Blank();
  RenderSummary(input, zero, page);
  page.Blank();
  RenderBlindSpots(input, page);
  RenderTimeline(input, options, zero, page);
  page.Blank();
  RenderTotals(input, spill, page);
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
