#pragma once

#include <cstdint>
#include <string>

#include "correlate/flow_state.h"
#include "correlate/rule_context.h"
#include "src/model/endpoint.h"

namespace netcorr::correlate {

// How many distinct local ports the program's TCP flows towards `remote` hold, as far as the
// capture showed them (the newest FlowTable::kMaxFlowsPerRemote flows): open connections and
// those closed but kept in TIME_WAIT both occupy an ephemeral port for that destination.
uint32_t LocalPortsTowards(FlowTable& flows, const Endpoint& remote);

// Why a connect to `flow.remote` failed EADDRNOTAVAIL with no SYN sent, and where to look: the
// kernel found no free local port for the 4-tuple (Linux __inet_hash_connect) — the program's
// own `ports_in_use` against the host's range (CorrelatorOptions::local_port_range, unknown
// offline) — or the socket was bound to an address this host does not have.
struct NoLocalPort {
  std::string why;
  std::string hint;
};
NoLocalPort DescribeNoLocalPort(const FlowKey& flow, uint32_t ports_in_use, const RuleContext& ctx);

}  // namespace netcorr::correlate
