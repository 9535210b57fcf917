#include "src/report/call_format.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "src/model/errno_name.h"

namespace netcorr::report {

std::string FormatHumanDuration(TimeNs d) {
  if (d < 0) d = 0;
  if (d < 1'000) return absl::StrCat(d, " ns");
  if (d < 1'000'000) return absl::StrFormat("%.1f us", static_cast<double>(d) / 1e3);
  if (d < 1'000'000'000) return absl::StrFormat("%.1f ms", static_cast<double>(d) / 1e6);
  return absl::StrFormat("%.1f s", static_cast<double>(d) / 1e9);
}

std::string FormatTask(int32_t pid, int32_t tid) {
  if (tid == 0 || tid == pid) return absl::StrCat("[", pid, "]");
  return absl::StrCat("[", pid, "/", tid, "]");
}

std::string FormatCallHead(const SyscallEvent& call) {
  std::string args = call.args;
  if (args.empty() && call.address.has_value()) args = call.address->ToString();
  if (args.empty() && !call.waited.empty()) {
    // poll/select/epoll_wait without decoded arguments: at least the fds waited on.
    std::vector<std::string> fds;
    for (const FdSocket& w : call.waited) fds.push_back(absl::StrCat(w.fd));
    args = absl::StrCat("[", absl::StrJoin(fds, ", "), "]");
  }
  std::string inside;
  if (call.fd >= 0) {
    inside = args.empty() ? absl::StrCat(call.fd) : absl::StrCat(call.fd, ", ", args);
  } else {
    inside = args;
  }
  return absl::StrCat(FormatTask(call.pid, call.tid), " ", call.name, "(", inside, ")");
}

std::string FormatCallOutcome(const SyscallEvent& call) {
  if (!call.finished) {
    return absl::StrCat("... still blocked after ", FormatHumanDuration(call.duration_ns()));
  }
  std::string out = call.error != 0 ? absl::StrCat("= -1 ", ErrnoName(call.error))
                                    : absl::StrCat("= ", call.result);
  absl::StrAppend(&out, " (", FormatHumanDuration(call.duration_ns()), ")");
  if (call.resolves_call.has_value()) {
    absl::StrAppend(
        &out, " [connect outcome: ",
        call.resolved_error == 0 ? std::string("connected") : ErrnoName(call.resolved_error), "]");
  }
  return out;
}

std::string FormatCall(const SyscallEvent& call) {
  return absl::StrCat(FormatCallHead(call), " ", FormatCallOutcome(call));
}

std::string FormatCallResultShort(const SyscallEvent& call) {
  if (!call.finished) return "still blocked";
  if (call.error != 0) return ErrnoName(call.error);
  return absl::StrCat("= ", call.result);
}

}  // namespace netcorr::report
