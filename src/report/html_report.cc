// RenderHtml / WriteHtml: the --html page. One self-contained file: the --json document of the
// events it shows (the whole session with --all, else the context around findings that the text
// report's timeline keeps) embedded as a <script type="application/json"> block, a small block
// of page facts (what was left out, which capture file the frame numbers refer to), and the
// inline style and script (html_style.h; html_diagram.h and html_script.h) that draw the findings and their
// sequence diagrams. The C++ side only selects and serialises; the page does the drawing.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "src/model/finding.h"
#include "src/report/call_format.h"
#include "src/report/html_script.h"
#include "src/report/html_style.h"
#include "src/report/json_objects.h"
#include "src/report/json_writer.h"
#include "src/report/output.h"
#include "src/report/report.h"
#include "src/report/timeline.h"

namespace netcorr::report {

namespace {

// The gaps the page lists when it shows only the context: more are counted, not listed.
constexpr size_t kMaxListedGaps = 10000;

// What the page shows: the input itself with --all, else the rows of the text report's default
// timeline (each finding's call, its evidence, and its flow's events inside its time window).
struct Shown {
  std::vector<SyscallEvent> calls;
  std::vector<Packet> packets;
  std::vector<TimelineRow> gaps;  // kOmitted rows, at most kMaxListedGaps
  uint64_t omitted_calls = 0;
  uint64_t omitted_packets = 0;
};

Shown SelectContext(const ReportInput& in) {
  Shown shown;
  absl::flat_hash_set<const SyscallEvent*> seen;
  for (const TimelineRow& row : BuildTimeline(in, /*all=*/false)) {
    switch (row.kind) {
      case TimelineRow::Kind::kPacket:
        shown.packets.push_back(*row.packet);
        break;
      case TimelineRow::Kind::kCall:
      case TimelineRow::Kind::kCallEntry:
      case TimelineRow::Kind::kCallExit:
        if (seen.insert(row.call).second) shown.calls.push_back(*row.call);
        break;
      case TimelineRow::Kind::kOmitted:
        shown.omitted_calls += row.omitted_calls;
        shown.omitted_packets += row.omitted_packets;
        if (shown.gaps.size() < kMaxListedGaps) shown.gaps.push_back(row);
        break;
    }
  }
  return shown;
}

// The page facts: the clock's zero as a string (times above 2^53 ns do not survive a double;
// the page subtracts it exactly), what was left out, and where the frames are.
std::string PageFacts(const ReportInput& in, const HtmlOptions& options, const Shown* shown) {
  JsonWriter w;
  w.BeginObject();
  w.Field("t0_ns", absl::StrCat(FirstEventTime(in)));
  w.Field("all", options.all);
  w.Field("capture_file", options.capture_file);
  w.Field("total_calls", static_cast<uint64_t>(in.calls.size()));
  w.Field("total_packets", static_cast<uint64_t>(in.packets.size()));
  w.Field("omitted_calls", shown == nullptr ? uint64_t{0} : shown->omitted_calls);
  w.Field("omitted_packets", shown == nullptr ? uint64_t{0} : shown->omitted_packets);
  w.Key("gaps");
  w.BeginArray();
  if (shown != nullptr) {
    for (const TimelineRow& gap : shown->gaps) {
      w.BeginObject();
      w.Field("time_ns", gap.time_ns);
      w.Field("calls", gap.omitted_calls);
      w.Field("packets", gap.omitted_packets);
      w.EndObject();
    }
  }
  w.EndArray();
  w.EndObject();
  return w.Take();
}

// The page's title, its <noscript> text and the like: text, never markup.
void AppendText(std::string_view text, std::string* out) {
  for (char c : text) {
    switch (c) {
      case '&':
        out->append("&amp;");
        break;
      case '<':
        out->append("&lt;");
        break;
      case '>':
        out->append("&gt;");
        break;
      case '"':
        out->append("&quot;");
        break;
      case '\'':
        out->append("&#39;");
        break;
      default:
        out->push_back(c);
    }
  }
}

// The findings as plain text, for a browser without scripts (and for `grep` on the file).
void AppendNoscript(const ReportInput& in, std::string* out) {
  out->append(
      "<noscript><p>The diagrams of this report are drawn by its inline script; without it, "
      "the findings:</p><ol>");
  for (const Finding& f : in.findings) {
    out->append("<li><b>");
    AppendText(FindingSeverityName(f.severity), out);
    out->append(" ");
    AppendText(FindingKindName(f.kind), out);
    out->append("</b>: ");
    AppendText(f.summary, out);
    out->append("<br>call: <code>");
    AppendText(FormatCall(f.call), out);
    out->append("</code><br>hint: ");
    AppendText(f.hint, out);
    out->append("</li>");
  }
  out->append("</ol></noscript>\n");
}

absl::Status RenderHtmlTo(const ReportInput& in, const HtmlOptions& options, Output& output) {
  Shown context;
  ReportInput shown = in;
  if (!options.all) {
    context = SelectContext(in);
    shown.calls = context.calls;
    shown.packets = context.packets;
  }

  std::string page =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      // Nothing leaves the file: no fetch, no image, no font, no frame from anywhere.
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n<title>netcorr: ";
  if (in.findings.empty()) {
    page.append("no findings");
  } else {
    AppendText(absl::StrCat(in.findings.size(),
                            in.findings.size() == 1 ? " finding: " : " findings: ",
                            std::string(FindingKindName(in.findings[0].kind))),
               &page);
  }
  page.append("</title>\n<style>\n");
  page.append(kHtmlStyle);
  page.append("</style>\n</head>\n<body>\n");
  AppendNoscript(in, &page);
  page.append("<div id=\"app\"></div>\n<script type=\"application/json\" id=\"netcorr-page\">");
  // Everything before a switch of escaping is written out first: the JSON blocks are escaped
  // for the <script> element they sit in, the markup around them is not.
  const auto write_out = [&](bool escape_next) {
    absl::Status s = output.Finish(&page);
    output.set_escape_for_script(escape_next);
    return s;
  };
  if (absl::Status s = write_out(true); !s.ok()) return s;
  page.append(PageFacts(in, options, options.all ? nullptr : &context));
  if (absl::Status s = write_out(false); !s.ok()) return s;
  page.append("</script>\n<script type=\"application/json\" id=\"netcorr-data\">");
  if (absl::Status s = write_out(true); !s.ok()) return s;
  if (absl::Status s = json_internal::WriteJsonDocument(shown, output); !s.ok()) return s;
  output.set_escape_for_script(false);
  page.append("</script>\n<script>\n");
  for (std::string_view part : kHtmlScriptParts) page.append(part);
  page.append("</script>\n</body>\n</html>\n");
  return output.Finish(&page);
}

}  // namespace

std::string RenderHtml(const ReportInput& input, const HtmlOptions& options) {
  std::string text;
  Output output(&text);
  // Appending to a string cannot fail.
  RenderHtmlTo(input, options, output).IgnoreError();
  return text;
}

absl::Status WriteHtml(const ReportInput& input, const HtmlOptions& options, std::FILE* out) {
  Output output(out);
  return RenderHtmlTo(input, options, output);
}

}  // namespace netcorr::report
