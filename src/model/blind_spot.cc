#include "src/model/blind_spot.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"

namespace netcorr {

namespace {

bool Succeeded(const SyscallEvent& call) { return call.finished && call.error == 0; }

std::string Count(uint64_t n, const char* one, const char* many) {
  return absl::StrCat(n, " ", n == 1 ? one : many);
}

}  // namespace

bool IsIoUringSubmission(const SyscallEvent& call) {
  // io_uring_enter returns how many submission entries the kernel consumed.
  return call.kind == CallKind::kIoUring && !call.unseen && call.name == "io_uring_enter" &&
         Succeeded(call) && call.result > 0;
}

std::vector<BlindSpot> BlindSpotsOf(absl::Span<const SyscallEvent> calls) {
  std::map<int32_t, BlindSpot> by_pid;
  for (const SyscallEvent& c : calls) {
    if (c.kind != CallKind::kIoUring || c.unseen) continue;
    auto [it, inserted] = by_pid.try_emplace(c.pid);
    BlindSpot& s = it->second;
    if (inserted) {
      s.pid = c.pid;
      s.first_ns = c.entry_ns;
      s.last_ns = c.exit_ns;
    }
    s.first_ns = std::min(s.first_ns, c.entry_ns);
    s.last_ns = std::max(s.last_ns, c.exit_ns);
    if (c.name == "io_uring_setup" && Succeeded(c)) ++s.rings;
    if (c.name == "io_uring_enter") ++s.enter_calls;
    if (IsIoUringSubmission(c)) s.submissions += static_cast<uint64_t>(c.result);
  }
  std::vector<BlindSpot> out;
  out.reserve(by_pid.size());
  for (auto& [pid, spot] : by_pid) out.push_back(std::move(spot));
  return out;
}

std::string DescribeBlindSpot(const BlindSpot& spot) {
  return absl::StrCat("pid ", spot.pid, " submitted ",
                      Count(spot.submissions, "operation", "operations"), " through ",
                      spot.mechanism, " (", Count(spot.rings, "ring", "rings"), ", ",
                      Count(spot.enter_calls, "io_uring_enter call", "io_uring_enter calls"),
                      ") that ptrace cannot see: their connects, sends and receives are not "
                      "among the calls; what their packets alone show is reported as "
                      "packets_only");
}

}  // namespace netcorr
