#pragma once

#include <optional>
#include <vector>

#include "correlate/flow_key.h"
#include "correlate/flow_state.h"
#include "src/model/endpoint.h"

namespace netcorr::correlate {

// A flow as far as a call tells it: the local end may be partly unknown (port 0 before the
// kernel bound it, or an unspecified address for a socket bound to 0.0.0.0/::); the remote may
// be one of several destinations of an unconnected UDP socket.
struct PartialFlow {
  Transport transport = Transport::kUnknown;
  std::optional<Endpoint> local;
  std::vector<Endpoint> remotes;

  // Whether `e` may be the local end: every part of it that is known is equal.
  bool LocalMatches(const Endpoint& e) const;
  // Both the local address and port are known: one 5-tuple per remote.
  bool Exact() const;
  // The flows of the capture this may be, for each remote in turn: the exact 5-tuple, or else
  // the flows recently opened towards the remote from a matching local end.
  std::vector<FlowRecord*> RecordsIn(FlowTable& flows) const;
  // The flow to the first remote, when both ends are known.
  std::optional<FlowKey> Known() const;
  // The flow to the first remote with what is unknown left zero (for a finding's flow).
  FlowKey AsFarAsKnown() const;
};

// A captured flow as the program sees it: from the end that is not `remote`, to `remote`.
FlowKey ProgramFlow(const NormalizedFlowKey& key, const Endpoint& remote);

}  // namespace netcorr::correlate
