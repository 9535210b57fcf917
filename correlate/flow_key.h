#pragma once

#include "src/model/endpoint.h"

namespace netcorr::correlate {

// A flow's 5-tuple with its two ends in a fixed order (a <= b), so both directions of a
// conversation, and a packet seen before we know which end is the program's, land on one key.
struct NormalizedFlowKey {
  Transport transport = Transport::kUnknown;
  Endpoint a;
  Endpoint b;

  static NormalizedFlowKey From(Transport transport, const Endpoint& x, const Endpoint& y) {
    return y < x ? NormalizedFlowKey{transport, y, x} : NormalizedFlowKey{transport, x, y};
  }
  static NormalizedFlowKey From(const FlowKey& flow) {
    return From(flow.transport, flow.local, flow.remote);
  }

  // Which side an endpoint is: 0 for a, 1 for b, -1 for neither.
  int SideOf(const Endpoint& e) const { return e == a ? 0 : e == b ? 1 : -1; }

  friend bool operator==(const NormalizedFlowKey&, const NormalizedFlowKey&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const NormalizedFlowKey& k) {
    return H::combine(std::move(h), k.transport, k.a, k.b);
  }
};

}  // namespace netcorr::correlate
