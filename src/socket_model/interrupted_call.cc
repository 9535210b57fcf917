#include "src/socket_model/interrupted_call.h"

namespace netcorr::socket_model {

// ERESTARTSYS, ERESTARTNOINTR, ERESTARTNOHAND, ERESTART_RESTARTBLOCK. 515 (ENOIOCTLCMD) is
// no restart code: the kernel turns it into ENOTTY before the call returns.
bool IsRestartErrno(int error) {
  return error == 512 || error == 513 || error == 514 || error == 516;
}

AfterInterruption NextCallAfterInterruption(std::string_view interrupted_name,
                                            std::string_view next_name) {
  if (next_name == "restart_syscall" || next_name == interrupted_name) {
    return AfterInterruption::kRestarted;
  }
  if (next_name == "rt_sigreturn" || next_name == "sigreturn") {
    return AfterInterruption::kHandlerReturning;
  }
  return AfterInterruption::kEintr;
}

}  // namespace netcorr::socket_model
