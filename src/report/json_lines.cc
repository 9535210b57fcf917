// --json-lines: the streaming form of the --json document (docs/json.md, "Streaming"). Each
// line is one complete JSON object with a "type"; its objects are exactly the document's.

#include "absl/types/span.h"
#include "src/report/json_objects.h"
#include "src/report/json_writer.h"
#include "src/report/report.h"
#include "src/report/timeline.h"

namespace netcorr::report {

using json_internal::WriteFinding;

std::string RenderFindingJsonLine(const Finding& finding, int seq) {
  JsonWriter w;
  w.BeginObject();
  w.Field("type", "finding");
  w.Field("version", static_cast<int32_t>(kJsonSchemaVersion));
  w.Field("seq", static_cast<int32_t>(seq));
  w.Key("finding");
  WriteFinding(w, finding, seq);
  w.EndObject();
  return w.Take();
}

std::string RenderSummaryJsonLine(const ReportInput& in, absl::Span<const int> seqs, bool final) {
  JsonWriter w;
  w.BeginObject();
  w.Field("type", "summary");
  w.Field("final", final);
  json_internal::WriteHead(w, in.session, in.capture, FirstEventTime(in));
  json_internal::WriteTotals(w, in);
  w.Key("findings");
  w.BeginArray();
  for (size_t n = 0; n < in.findings.size(); ++n) {
    const Finding& f = in.findings[n];
    w.BeginObject();
    w.Field("id", static_cast<int32_t>(n + 1));
    w.Field("seq", static_cast<int32_t>(n < seqs.size() ? seqs[n] : 0));
    w.Field("kind", std::string(FindingKindName(f.kind)));
    w.Field("severity", std::string(FindingSeverityName(f.severity)));
    w.Field("later_calls", f.later_calls ? f.later_calls->count : 0u);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return w.Take();
}

}  // namespace netcorr::report
