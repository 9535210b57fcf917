#pragma once

#include <optional>
#include <vector>

#include "correlate/flow_state.h"
#include "correlate/rule_context.h"
#include "src/model/finding.h"

namespace netcorr::correlate {

// A call on `flow` that failed with EHOSTUNREACH while nothing of the flow reached the wire
// (no SYN, no datagram), as the caller checked. The kernel queued the packet for a next hop
// whose address it first had to resolve; when its ARP requests or neighbour solicitations go
// unanswered (RFC 1122 2.3.2.2, RFC 4861 7.3.3: three probes a second apart by default) it
// drops the queue and fails the call, and reports that to itself as an ICMP host-unreachable
// on lo (`icmp`: the errors captured about the flow; only this host's own are used).
struct NeighbourQuestion {
  const SyscallEvent& call;
  FlowKey flow;
  int outcome_error = 0;
  TimeNs end_ns = 0;  // when the program learnt the outcome
  // Where to look for the next hop's resolution.
  TimeNs from = 0;
  TimeNs to = 0;
  // The failure had the shape of a resolution that timed out: a blocking connect that waited
  // CorrelatorOptions::neighbour_failure_min_ns or more (a REJECT rule answers at once), or a
  // UDP socket told by this host's own host-unreachable.
  bool waited_for_resolution = false;
  const std::vector<IcmpRecord>* icmp = nullptr;
};

// neighbour_unreachable when the capture shows requests for the next hop that nobody
// answered: the destination itself if it was asked for (it is on the link), else the one
// address this host asked for in vain (the gateway). When the failure waited like a
// resolution but the capture holds no unanswered request that fits (ARP not captured, or the
// next hop did answer), `unexplained` with the reason, never a firewall. Nothing when the
// failure was immediate: a route or a firewall, for the caller's rules.
std::optional<Finding> DecideNeighbourFailure(const NeighbourQuestion& q, const RuleContext& ctx);

// This host's own ICMP host-unreachable errors among `icmp` (how the kernel reports a
// neighbour that never answered), for a caller deciding `waited_for_resolution`.
std::vector<const IcmpRecord*> LocalHostUnreachable(const std::vector<IcmpRecord>& icmp,
                                                    const FlowKey& flow, const RuleContext& ctx);

}  // namespace netcorr::correlate
