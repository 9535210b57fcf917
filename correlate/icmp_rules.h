#pragma once

#include <optional>

#include "correlate/flow_state.h"
#include "correlate/rule_context.h"
#include "src/model/finding.h"

namespace netcorr::correlate {

// RFC 792 / RFC 4443 error classes that matter to a failing call.
enum class IcmpClass : uint8_t {
  kNoRoute,          // v4 net-unreachable/net-unknown, v6 no-route/reject-route/beyond-scope
  kHostUnreachable,  // v4 host-unreachable/host-unknown, v6 address-unreachable
  kPortUnreachable,  // v4 code 3, v6 code 4: no socket on that port (UDP), or a REJECT rule
  kProhibited,       // v4 codes 9, 10, 13; v6 codes 1, 5: a firewall REJECT
  kProtocolUnreachable,
  kFragNeeded,  // v4 3/4, v6 packet-too-big: carries the next-hop MTU
  kTtlExceeded,
  kOther,
};
IcmpClass ClassifyIcmp(const IcmpError& e);

// The structured detail of an ICMP error about `flow` (the program's view), with the sender's
// role: the destination itself, one of this host's addresses, or else a hop on the path.
IcmpDetail DescribeIcmp(const IcmpError& e, const FlowKey& flow, const LocalAddresses& local);

// icmp_unreachable: `call` on `flow` failed (or hung) and `icmp` is the error about the flow that
// explains it. `sent` are our packets of the flow (the SYNs or datagrams), empty when none
// reached the wire — with an error from this host that means this host's own firewall.
Finding IcmpUnreachable(const SyscallEvent& call, const FlowKey& flow, int outcome_error,
                        const IcmpRecord& icmp, const std::vector<PacketRef>& sent,
                        const RuleContext& ctx);

}  // namespace netcorr::correlate
