#pragma once

// Which of the captured packets are a call's evidence, once its evidence window has closed: the
// connection attempt that is a connect's, the connection alive during a call on a TCP socket,
// the requests a UDP receive waited on. What those packets mean is for the *_rules.h functions
// these call. The correlator calls DecideCall; the others are its parts, each defined in the
// file for its kind of call (connect_decisions.cc, tcp_call_decisions.cc, udp_call_decisions.cc).

#include <optional>

#include "correlate/decision.h"
#include "correlate/flow_state.h"
#include "correlate/partial_flow.h"
#include "correlate/rule_context.h"
#include "src/model/syscall_event.h"

namespace netcorr::correlate {

// A connect, a wait, a call on a TCP or UDP socket; a failure with a network errno that no rule
// explains is `unexplained`, never dropped.
std::optional<Explanation> DecideCall(Decision& d, FlowTable& flows, const RuleContext& ctx);

// A TCP connect (d.connect set): finds the connection attempt on the wire that is this
// connect's (claiming it, so no other connect takes it), sets the outcome's flow from it, and
// explains a failed, hung or abandoned connect, or one made slow by lost SYNs.
std::optional<Explanation> DecideConnectCall(Decision& d, FlowTable& flows, const RuleContext& ctx);

// Any other call on a TCP socket: a TLS alert this call sent or was told of, a send held back
// by the peer's zero window, else the stream rules (reset, close, ICMP, retransmissions) on the
// connection alive during the call.
std::optional<Explanation> DecideTcpCall(const Decision& d, FlowTable& flows,
                                         const RuleContext& ctx);
// A wait that timed out (or still blocked) on an established TCP connection `waited`: whether
// the peer's zero window, retransmissions or a PMTU black hole on it are why it waited.
std::optional<Explanation> DecideTcpWait(const SyscallEvent& call, const PartialFlow& waited,
                                         FlowTable& flows, const RuleContext& ctx);

// A call on a UDP socket: a failed send or receive (ICMP errors, nothing sent), a DNS answer
// with an error RCODE the receive returned, a receive that timed out with requests unanswered.
std::optional<Explanation> DecideUdpCall(const Decision& d, FlowTable& flows,
                                         const RuleContext& ctx);
// no_response for a call that stopped waiting on `flow` (a receive or a wait that timed out, or
// one still blocked): once per silence, not for every retry of the same unanswered request.
std::optional<Explanation> DecideUdpSilence(const SyscallEvent& call, const PartialFlow& flow,
                                            FlowTable& flows, const RuleContext& ctx);

}  // namespace netcorr::correlate
