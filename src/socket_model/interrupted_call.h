#pragma once

#include <cstdint>
#include <string_view>

namespace netcorr::socket_model {

// -ERESTARTSYS (512), -ERESTARTNOINTR, -ERESTARTNOHAND, -ERESTART_RESTARTBLOCK (516): the kernel-internal codes a tracer sees (and strace prints as "= ? ERESTARTSYS") when
// a signal interrupts a blocking call. The program never sees them: the call is restarted, or
// turns into EINTR when the handler returns. Never a final outcome.
bool IsRestartErrno(int error);
inline bool IsRestartReturn(int64_t rval) { return rval < 0 && IsRestartErrno(-rval); }

// What the next call a thread enters says of its call interrupted by a signal:
enum class AfterInterruption : uint8_t {
  kRestarted,  // the same call again, or restart_syscall: one call, from the original entry
  kHandlerReturning,  // rt_sigreturn: the handler is done; the call after it decides
  kEintr,             // anything else: the program got EINTR when the handler returned
};
AfterInterruption NextCallAfterInterruption(std::string_view interrupted_name,
                                            std::string_view next_name);

}  // namespace netcorr::socket_model
