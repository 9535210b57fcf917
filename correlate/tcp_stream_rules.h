#pragma once

#include <optional>

#include "correlate/flow_state.h"
#include "correlate/rule_context.h"
#include "src/model/finding.h"

namespace netcorr::correlate {

// Explains a receive or send on an established TCP connection: ECONNRESET/EPIPE by a RST from
// the peer (reset_by_peer), end of stream or EPIPE after the peer's FIN (closed_by_peer), an ICMP
// error after retransmissions, and slow/timed-out/hung calls (via path_rules). `conn` and
// `record` are null when nothing of the flow was captured. `first_eof` is false when an earlier
// read on this socket already reported the end of stream.
std::optional<Finding> DecideStreamCall(const SyscallEvent& call, const FlowKey& flow,
                                        const TcpConnection* conn, const FlowRecord* record,
                                        bool first_eof, const RuleContext& ctx);

}  // namespace netcorr::correlate
