#pragma once

#include <string>

namespace netcorr::tracer {

// A raw waitpid() status classified once, so the event loop is one switch (rr's WaitStatus).
// Assumes the tracee was seized with PTRACE_O_TRACESYSGOOD.
struct WaitStatus {
  enum class Kind {
    kExited,       // code = exit status
    kKilled,       // code = signal number
    kSyscallStop,  // syscall entry or exit stop (SIGTRAP|0x80)
    kSeccompStop,  // PTRACE_EVENT_SECCOMP: entry of a call the filter flagged
    kForkEvent,    // PTRACE_EVENT_FORK / VFORK / CLONE: the new tid is in PTRACE_GETEVENTMSG
    kVforkEvent,
    kCloneEvent,
    kExecEvent,  // PTRACE_EVENT_EXEC: the former tid is in PTRACE_GETEVENTMSG
    kVforkDoneEvent,
    kExitEvent,      // PTRACE_EVENT_EXIT
    kGroupStop,      // PTRACE_EVENT_STOP with a stopping signal: resume with PTRACE_LISTEN
    kInterruptStop,  // PTRACE_EVENT_STOP otherwise: PTRACE_INTERRUPT, or a new child's first stop
    kSignalStop,     // signal-delivery stop: code = the signal to pass on
    kUnknown,
  };

  static WaitStatus Decode(int raw);

  Kind kind = Kind::kUnknown;
  int code = 0;
  bool core_dumped = false;
  int raw = 0;

  std::string ToString() const;
};

}  // namespace netcorr::tracer
