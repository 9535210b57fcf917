#pragma once

#include "correlate/correlator.h"
#include "correlate/local_addresses.h"
#include "correlate/neighbour_state.h"
#include "src/model/packet.h"

namespace netcorr::correlate {

// What every rule may consult besides the call and its flow's evidence: the thresholds, what the
// capture admits to having missed, this host's addresses, and the address resolution the
// capture showed (null: none kept).
struct RuleContext {
  const CorrelatorOptions& options;
  const CaptureStats& capture;
  const LocalAddresses& local;
  const NeighbourTable* neighbours = nullptr;

  const EvidenceWindow& window() const { return options.evidence_window; }
};

}  // namespace netcorr::correlate
