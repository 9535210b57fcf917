#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "correlate/evidence_window.h"
#include "src/model/endpoint.h"
#include "src/model/finding.h"
#include "src/model/packet.h"
#include "src/model/port_range.h"
#include "src/model/syscall_event.h"
#include "src/model/time.h"

namespace netcorr::correlate {

struct CorrelatorOptions {
  // Which packets may explain a call: from clock_slack_ns before its entry to grace_ns after its
  // end. A call is decided once the watermark passes the window's end.
  EvidenceWindow evidence_window;
  // A successful call that took longer than this while its flow retransmitted is "slow".
  TimeNs slow_call_ns = 200'000'000;
  // EHOSTUNREACH after at least this long with nothing on the wire: neighbour (ARP/ND) failure.
  TimeNs neighbour_failure_min_ns = 1'000'000'000;
  // A closed flow (RST, or FIN both ways) no open socket refers to is forgotten this long after
  // its last packet; a flow that is merely idle, after idle_flow_timeout_ns.
  // (No decision still pending can need a closed flow: Sweep never forgets one inside the
  // evidence horizon of a pending call; the retention only covers stray late packets.)
  TimeNs closed_flow_retention_ns = 4'000'000'000;
  TimeNs idle_flow_timeout_ns = 300'000'000'000;
  // This host's addresses as the session knows them (interfaces of the traced namespace). The
  // correlator adds every local address it sees in syscalls. An ICMP error sent by one of them
  // comes from this host's own firewall.
  std::vector<IpAddress> local_addresses;
  // The interface the capture listens on ("any" for all); named in `unexplained` reasons.
  std::string capture_interface = "any";
  // The traced namespace's ephemeral port range, when the session could read it (live);
  // unset offline. Named in the hint of a connect that found no free local port.
  std::optional<PortRange> local_port_range;
};

// Joins a program's socket calls with the packets of its flows and explains each failing,
// hanging or slow call with a Finding (the kinds are listed in docs/json.md, "Finding kinds";
// docs/report.md shows how a user reads them).
//
// Streaming: feed packets in capture order and calls as they exit, then call Advance() with a
// watermark (every packet stamped <= watermark has been delivered). Memory grows with the flows
// alive and the calls awaiting their evidence window, not with the length of the capture.
// Not thread-safe: one thread (the session's correlation loop) owns it.
class Correlator {
 public:
  explicit Correlator(CorrelatorOptions options = {});
  ~Correlator();
  Correlator(const Correlator&) = delete;
  Correlator& operator=(const Correlator&) = delete;

  // Packets in capture order (ids increasing). Packets that are not IP are ignored.
  void AddPacket(const Packet& packet);
  // A call at its exit; calls still blocked when tracing stopped come last with finished=false.
  void AddSyscall(const SyscallEvent& call);
  // A process exited or was detached: its sockets are gone (their flows may be forgotten once
  // quiet) and a non-blocking connect it left pending is decided as abandoned. Optional; without
  // it those sockets count as open until Finish().
  void AddProcessEvent(const ProcessEvent& event);
  // What the capture admits to losing; used to say why evidence is missing. May be called again
  // with newer numbers at any time.
  void SetCaptureStats(const CaptureStats& stats);

  // Every packet stamped <= watermark has been delivered: decides the calls whose evidence
  // window is closed. Findings come in the order their calls exited.
  std::vector<Finding> Advance(TimeNs watermark);
  // End of trace: decides everything still pending, unfinished calls included. Returns only the
  // findings not returned by Advance(), most important first (see SortByImportance).
  std::vector<Finding> Finish();

  // Later calls folded into findings already returned (every retry of a refused connect, the
  // EPIPE after an ECONNRESET): sets their `later_calls`. Call before reporting.
  void UpdateFolded(std::vector<Finding>& reported) const;

  // Introspection for tests, the benchmark and the session's statistics.
  size_t live_flow_count() const;
  size_t pending_call_count() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// Ranking used by Finish() and by the report's summary, most important first:
//   1. severity: failures, then slow calls, then informational findings;
//   2. among failures, explained ones before `unexplained` (a fact before a missing fact);
//   3. earlier calls first (the first failure often causes the next ones); then by call id.
// Lower is more important; stable across runs.
int FindingRank(const Finding& finding);
void SortByImportance(std::vector<Finding>& findings);

}  // namespace netcorr::correlate
