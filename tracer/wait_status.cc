#include "tracer/wait_status.h"

#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include "absl/strings/str_cat.h"

namespace netcorr::tracer {

WaitStatus WaitStatus::Decode(int raw) {
  WaitStatus s;
  s.raw = raw;
  if (WIFEXITED(raw)) {
    s.kind = Kind::kExited;
    s.code = WEXITSTATUS(raw);
    return s;
  }
  if (WIFSIGNALED(raw)) {
    s.kind = Kind::kKilled;
    s.code = WTERMSIG(raw);
    s.core_dumped = WCOREDUMP(raw);
    return s;
  }
  if (!WIFSTOPPED(raw)) return s;
  const int sig = WSTOPSIG(raw);
  const int event = (raw >> 16) & 0xff;
  s.code = sig;
  switch (event) {
    case 0:
      s.kind = sig == (SIGTRAP | 0x80) ? Kind::kSyscallStop : Kind::kSignalStop;
      return s;
    case PTRACE_EVENT_SECCOMP:
      s.kind = Kind::kSeccompStop;
      return s;
    case PTRACE_EVENT_FORK:
      s.kind = Kind::kForkEvent;
      return s;
    case PTRACE_EVENT_VFORK:
      s.kind = Kind::kVforkEvent;
      return s;
    case PTRACE_EVENT_CLONE:
      s.kind = Kind::kCloneEvent;
      return s;
    case PTRACE_EVENT_EXEC:
      s.kind = Kind::kExecEvent;
      return s;
    case PTRACE_EVENT_VFORK_DONE:
      s.kind = Kind::kVforkDoneEvent;
      return s;
    case PTRACE_EVENT_EXIT:
      s.kind = Kind::kExitEvent;
      return s;
    case PTRACE_EVENT_STOP:
      // Under PTRACE_SEIZE a group-stop reports the stopping signal; any other
      // PTRACE_EVENT_STOP (PTRACE_INTERRUPT, a new child's first stop) reports SIGTRAP.
      s.kind = (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU)
                   ? Kind::kGroupStop
                   : Kind::kInterruptStop;
      return s;
    default:
      return s;
  }
}

std::string WaitStatus::ToString() const {
  static constexpr const char* kNames[] = {
      "exited",     "killed",         "syscall-stop", "seccomp-stop", "fork",
      "vfork",      "clone",          "exec",         "vfork-done",   "exit-event",
      "group-stop", "interrupt-stop", "signal-stop",  "unknown"};
  return absl::StrCat(kNames[static_cast<int>(kind)], "(", code, ")");
}

}  // namespace netcorr::tracer
