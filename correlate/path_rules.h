#pragma once

#include <optional>

#include "correlate/flow_state.h"
#include "correlate/rule_context.h"
#include "correlate/tcp_connect_rules.h"
#include "src/model/finding.h"

namespace netcorr::correlate {

// A connect that succeeded only after its SYN was retransmitted: the program waited for RTOs.
std::optional<Finding> DecideSlowConnect(const ConnectOutcome& outcome,
                                         const TcpConnection& attempt, const RuleContext& ctx);

// A call on an established TCP connection that was slow (success after slow_call_ns), failed
// with a timeout, or was still blocked: retransmitted data in the call's window explains it —
// as a path MTU black hole when only large segments are lost, else as retransmissions.
std::optional<Finding> DecidePath(const SyscallEvent& call, const FlowKey& flow,
                                  const TcpConnection& conn, const FlowRecord& record,
                                  const RuleContext& ctx);

}  // namespace netcorr::correlate
