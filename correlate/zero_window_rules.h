#pragma once

#include <optional>

#include "correlate/flow_state.h"
#include "correlate/rule_context.h"
#include "src/model/finding.h"

namespace netcorr::correlate {

// zero_window: the peer's receive window was zero, so our data could not leave: its
// application is not reading its socket. A send/write still blocked when tracing stopped, one
// that failed with EAGAIN (SO_SNDTIMEO on a blocking socket) or ETIMEDOUT, or a wait (poll for
// POLLOUT...) that timed out or was still blocked, while the window was still zero at the end
// of the call: severity failure. A send that returned after waiting at least slow_call_ns for
// the window (reopened by then, or still zero: a signal or SO_SNDTIMEO cut it short): slow. nullopt otherwise, and for a wait with nothing of ours
// waiting for the window (no window probe, nothing in flight): the window alone is no reason
// for a wait on input to time out.
std::optional<Finding> DecideZeroWindow(const SyscallEvent& call, const FlowKey& flow,
                                        const TcpConnection& conn, const RuleContext& ctx);

}  // namespace netcorr::correlate
