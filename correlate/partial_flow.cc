#include "correlate/partial_flow.h"

namespace netcorr::correlate {

bool PartialFlow::LocalMatches(const Endpoint& e) const {
  if (!local) return true;
  if (local->port != 0 && local->port != e.port) return false;
  if (local->addr.is_set() && !local->addr.is_unspecified() && local->addr != e.addr) {
    return false;
  }
  return true;
}

bool PartialFlow::Exact() const {
  return local && local->port != 0 && local->addr.is_set() && !local->addr.is_unspecified();
}

std::vector<FlowRecord*> PartialFlow::RecordsIn(FlowTable& flows) const {
  std::vector<FlowRecord*> out;
  for (const Endpoint& remote : remotes) {
    if (Exact()) {
      if (FlowRecord* r = flows.FindMutable(NormalizedFlowKey::From(transport, *local, remote))) {
        out.push_back(r);
      }
      continue;
    }
    for (FlowRecord* r : flows.FindByRemote(transport, remote)) {
      const Endpoint& other = r->key.a == remote ? r->key.b : r->key.a;
      if (LocalMatches(other)) out.push_back(r);
    }
  }
  return out;
}

std::optional<FlowKey> PartialFlow::Known() const {
  if (!local || remotes.empty()) return std::nullopt;
  return FlowKey{transport, *local, remotes.front()};
}

FlowKey PartialFlow::AsFarAsKnown() const {
  return FlowKey{transport, local.value_or(Endpoint{}),
                 remotes.empty() ? Endpoint{} : remotes.front()};
}

FlowKey ProgramFlow(const NormalizedFlowKey& key, const Endpoint& remote) {
  return FlowKey{key.transport, key.a == remote ? key.b : key.a, remote};
}

}  // namespace netcorr::correlate
