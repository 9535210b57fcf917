#include "correlate/finding_text.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "src/model/errno_name.h"

namespace netcorr::correlate {

Finding NewFinding(FindingKind kind, const SyscallEvent& call, const std::optional<FlowKey>& flow,
                   int outcome_error) {
  Finding f;
  f.kind = kind;
  f.call = call;
  f.flow = flow;
  f.outcome_error = outcome_error;
  return f;
}

std::string CallName(const SyscallEvent& call) { return absl::StrCat(call.name, "()"); }

std::string Seconds(TimeNs d) {
  const double s = static_cast<double>(d) / 1e9;
  if (s >= 10) return absl::StrFormat("%.1f s", s);
  if (s >= 1) return absl::StrFormat("%.2f s", s);
  if (d >= 10'000'000) return absl::StrFormat("%d ms", static_cast<int64_t>(d / 1'000'000));
  if (d >= 1'000'000) return absl::StrFormat("%.1f ms", static_cast<double>(d) / 1e6);
  return absl::StrFormat("%d us", static_cast<int64_t>(d / 1'000));
}

std::string TimeList(const std::vector<TimeNs>& times) {
  if (times.empty()) return "";
  std::string out = FormatTimeOfDay(times.front()).substr(0, 12);  // HH:MM:SS.mmm
  for (size_t i = 1; i < times.size(); ++i) {
    absl::StrAppend(&out, ", +",
                    absl::StrFormat("%.2f s", static_cast<double>(times[i] - times.front()) / 1e9));
  }
  return out;
}

bool WaitTimedOut(const SyscallEvent& call) {
  return call.finished && call.error == 0 && call.result == 0 && call.kind == CallKind::kWait;
}

std::string CallEnding(const SyscallEvent& call) {
  const std::string after = Seconds(call.duration_ns());
  if (!call.finished) return absl::StrCat("was still blocked after ", after);
  if (WaitTimedOut(call)) return absl::StrCat("timed out after ", after);
  if (call.error != 0) return absl::StrCat("failed with ", ErrnoTag(call.error), " after ", after);
  return absl::StrCat("took ", after);
}

std::string Times(uint64_t n) { return n == 1 ? "once" : absl::StrCat(n, " times"); }

std::string ErrnoTag(int err) { return ErrnoName(err); }

void AddEvidence(Finding& f, const PacketRef& ref) { f.evidence.push_back(ref.id); }

void AddEvidence(Finding& f, const std::vector<PacketRef>& refs) {
  for (const PacketRef& r : refs) f.evidence.push_back(r.id);
}

void FinishEvidence(Finding& f) {
  std::sort(f.evidence.begin(), f.evidence.end());
  f.evidence.erase(std::unique(f.evidence.begin(), f.evidence.end()), f.evidence.end());
}

}  // namespace netcorr::correlate
