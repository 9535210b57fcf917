#pragma once

#include "correlate/correlator.h"
#include "correlate/local_addresses.h"
#include "src/model/packet.h"

namespace netcorr::correlate {

// What every rule may consult besides the call and its flow's evidence: the thresholds, what the
// capture admits to having missed, and this host's addresses.
struct RuleContext {
  const CorrelatorOptions& options;
  const CaptureStats& capture;
  const LocalAddresses& local;

  const EvidenceWindow& window() const { return options.evidence_window; }
};

}  // namespace netcorr::correlate
