#pragma once

#include <optional>

#include "correlate/flow_state.h"
#include "correlate/rule_context.h"
#include "src/model/finding.h"

namespace netcorr::correlate {

// A UDP send/recv/connect that failed: ECONNREFUSED after ICMP port-unreachable, EMSGSIZE after
// ICMP frag-needed, EHOSTUNREACH/ENETUNREACH/EPERM with an ICMP error or with nothing on the
// wire. `record` is null when nothing of the flow was captured.
std::optional<Finding> DecideUdpError(const SyscallEvent& call, const FlowKey& flow,
                                      const FlowRecord* record, const RuleContext& ctx);

// no_response: `call` stopped waiting for an answer (recv EAGAIN after SO_RCVTIMEO, a poll that
// timed out, a recv still blocked at the end) while requests sent on the flow got nothing back.
// Nothing when no request is outstanding (an idle socket waiting is normal).
// `exited_ns`: the program exited then with the socket still open, `call` being its last call
// on it.
std::optional<Finding> DecideNoResponse(const SyscallEvent& call, const FlowKey& flow,
                                        const FlowRecord& record, const RuleContext& ctx,
                                        std::optional<TimeNs> exited_ns = std::nullopt);

}  // namespace netcorr::correlate
