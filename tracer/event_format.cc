#include "tracer/event_format.h"

#include "absl/strings/str_cat.h"
#include "src/model/errno_name.h"

namespace netcorr::tracer {
namespace {

// Calls whose return value is a new socket fd: the event's socket describes that fd.
bool ReturnsSocketFd(const std::string& name) {
  return name == "socket" || name == "accept" || name == "accept4";
}

}  // namespace

std::string FormatEventLine(const SyscallEvent& e) {
  std::string line = absl::StrCat(FormatTimeOfDay(e.entry_ns), " [", e.tid, "] ", e.name, "(");
  const bool new_fd = ReturnsSocketFd(e.name);
  if (e.fd >= 0) {
    absl::StrAppend(&line, e.fd);
    if (e.socket && !new_fd) absl::StrAppend(&line, "<", e.socket->ToString(), ">");
    if (!e.args.empty()) absl::StrAppend(&line, ", ");
  }
  absl::StrAppend(&line, e.args, ")");
  if (!e.finished) {
    absl::StrAppend(&line, " <unfinished ...> <", FormatDurationSeconds(e.duration_ns()), ">");
    return line;
  }
  if (e.error != 0) {
    absl::StrAppend(&line, " = -1 ", ErrnoName(e.error), " (", ErrnoDescription(e.error), ")");
  } else {
    absl::StrAppend(&line, " = ", e.result);
    if (new_fd && e.result >= 0 && e.socket) absl::StrAppend(&line, "<", e.socket->ToString(), ">");
  }
  absl::StrAppend(&line, " <", FormatDurationSeconds(e.duration_ns()), ">");
  if (e.resolves_call) {
    absl::StrAppend(&line, " [resolves connect #", *e.resolves_call, ": ",
                    e.resolved_error == 0 ? std::string("connected") : ErrnoName(e.resolved_error),
                    "]");
  }
  return line;
}

std::string FormatProcessLine(const ProcessEvent& p) {
  std::string line = absl::StrCat(FormatTimeOfDay(p.time_ns), " [", p.pid, "] ");
  switch (p.kind) {
    case ProcessEvent::Kind::kStarted:
      if (p.parent_pid != 0) {
        absl::StrAppend(&line, "+++ forked from ", p.parent_pid, " +++");
      } else {
        absl::StrAppend(&line, "+++ started ", p.detail, " +++");
      }
      break;
    case ProcessEvent::Kind::kAttached:
      absl::StrAppend(&line, "+++ attached ", p.detail, " (", p.sockets.size(),
                      " open sockets) +++");
      break;
    case ProcessEvent::Kind::kExec:
      absl::StrAppend(&line, "+++ exec ", p.detail, " +++");
      break;
    case ProcessEvent::Kind::kExited:
      absl::StrAppend(&line, "+++ exited with ", p.status, " +++");
      break;
    case ProcessEvent::Kind::kKilled:
      absl::StrAppend(&line, "+++ killed by signal ", p.status, p.detail.empty() ? "" : " ",
                      p.detail, " +++");
      break;
    case ProcessEvent::Kind::kDetached:
      absl::StrAppend(&line, "+++ detached +++");
      break;
  }
  return line;
}

}  // namespace netcorr::tracer
