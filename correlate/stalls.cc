#include "correlate/stalls.h"

#include <algorithm>
#include <cerrno>

#include "absl/strings/str_cat.h"
#include "correlate/finding_text.h"
#include "correlate/socket_table.h"

namespace netcorr::correlate {

bool TimedOutWaiting(const SyscallEvent& call) {
  if (!call.finished) return false;
  if (call.kind == CallKind::kWait) return call.error == 0 && call.result == 0;
  const bool traffic = call.kind == CallKind::kSend || call.kind == CallKind::kRecv;
  return traffic && call.error == EAGAIN && !call.nonblocking;
}

void StallTable::Add(int32_t pid, int fd, const SyscallEvent& wait, Finding f,
                     std::optional<NormalizedFlowKey> record) {
  Stall& s = stalls_[SocketKey(pid, fd)];
  if (s.waits == 0) {
    s.pid = pid;
    s.fd = fd;
    s.first_wait = wait;
  }
  ++s.waits;
  s.last_wait = wait;
  s.explanation = std::move(f);
  s.record = std::move(record);
}

std::optional<Stall> StallTable::Take(int32_t pid, int fd) {
  auto it = stalls_.find(SocketKey(pid, fd));
  if (it == stalls_.end()) return std::nullopt;
  Stall s = std::move(it->second);
  stalls_.erase(it);
  return s;
}

void StallTable::Restore(Stall stall) {
  const uint64_t key = SocketKey(stall.pid, stall.fd);
  stalls_.insert_or_assign(key, std::move(stall));
}

bool ContinuesStall(const Stall& stall, const SyscallEvent& call) {
  return call.finished && call.error == 0 && call.kind == CallKind::kSend &&
         stall.explanation.kind == FindingKind::kNoResponse;
}

std::vector<Stall> StallTable::TakeIf(bool (*keep)(const Stall&, int32_t), int32_t pid) {
  std::vector<Stall> out;
  for (auto it = stalls_.begin(); it != stalls_.end();) {
    if (keep(it->second, pid)) {
      out.push_back(std::move(it->second));
      stalls_.erase(it++);
    } else {
      ++it;
    }
  }
  std::sort(out.begin(), out.end(), [](const Stall& a, const Stall& b) {
    return a.first_wait.id < b.first_wait.id;
  });
  return out;
}

std::vector<Stall> StallTable::TakeProcess(int32_t pid) {
  return TakeIf([](const Stall& s, int32_t p) { return s.pid == p; }, pid);
}

std::vector<Stall> StallTable::TakeAll() {
  return TakeIf([](const Stall&, int32_t) { return true; }, 0);
}

TimeNs StallTable::EarliestEntry(TimeNs bound) const {
  for (const auto& [key, s] : stalls_) bound = std::min(bound, s.first_wait.entry_ns);
  return bound;
}

namespace {

// What the explanation says is the cause: the part of its summary after "<call> on <flow> ...: ".
std::string Reason(const Finding& f) {
  const size_t colon = f.summary.find(": ");
  return colon == std::string::npos ? f.summary : f.summary.substr(colon + 2);
}

std::string FlowText(const Finding& f) {
  return f.flow ? absl::StrCat(" on ", f.flow->ToString()) : std::string();
}

std::string Waits(const Stall& s) {
  return s.waits == 1 ? std::string("1 wait timed out")
                      : absl::StrCat(s.waits, " waits timed out");
}

CallSpan SpanOf(const Stall& s) { return CallSpan{s.waits, s.first_wait, s.last_wait}; }

}  // namespace

Finding StallFailedAt(Stall stall, const SyscallEvent& at, std::optional<Finding> own) {
  const std::string stalled =
      absl::StrCat(Seconds(at.exit_ns - stall.first_wait.entry_ns), " into a stall (",
                   Waits(stall), ")");
  Finding f;
  if (own && own->kind != FindingKind::kUnexplained && !own->evidence.empty()) {
    f = std::move(*own);
    f.summary = absl::StrCat(CallName(at), FlowText(f), " failed with ", ErrnoTag(at.error), " ",
                             stalled, ": ", Reason(f));
  } else {
    f = std::move(stall.explanation);
    f.call = at;
    f.outcome_error = at.error;
    f.summary = absl::StrCat(CallName(at), FlowText(f), " failed with ", ErrnoTag(at.error), " ",
                             stalled, ": ", Reason(f));
  }
  f.severity = FindingSeverity::kFailure;
  f.stalled_waits = SpanOf(stall);
  return f;
}

Finding StallAbandoned(Stall stall, const std::optional<SyscallEvent>& at) {
  Finding f = std::move(stall.explanation);
  f.call = stall.last_wait;
  f.resolved_by = at;
  f.severity = FindingSeverity::kFailure;
  f.summary = absl::StrCat(
      "the program gave up", FlowText(f), " after waiting ", Seconds(stall.span_ns()), " (",
      Waits(stall), ") and ",
      at ? absl::StrCat("closed the socket (", CallName(*at), ")") : std::string("exited"), ": ",
      Reason(f));
  if (stall.waits > 1) f.stalled_waits = SpanOf(stall);
  return f;
}

Finding StallInterrupted(Stall stall) {
  Finding f = std::move(stall.explanation);
  f.call = stall.last_wait;
  f.severity = FindingSeverity::kFailure;
  f.summary = absl::StrCat("still stalled when tracing stopped", FlowText(f), ", after ",
                           Seconds(stall.span_ns()), " (", Waits(stall), "): ", Reason(f));
  if (stall.waits > 1) f.stalled_waits = SpanOf(stall);
  return f;
}

std::optional<Finding> StallRecovered(Stall stall, const SyscallEvent& at, TimeNs slow_ns) {
  const TimeNs lost = at.exit_ns - stall.first_wait.entry_ns;
  if (lost < slow_ns) return std::nullopt;
  Finding f = std::move(stall.explanation);
  f.call = stall.first_wait;
  f.resolved_by = at;
  f.outcome_error = 0;
  f.severity = FindingSeverity::kSlow;
  f.summary = absl::StrCat("the program waited ", Seconds(lost), FlowText(f), " (",
                           Waits(stall), ") before ", CallName(at), " went through: ", Reason(f));
  f.stalled_waits = SpanOf(stall);
  return f;
}

}  // namespace netcorr::correlate
