#pragma once

// What a session keeps for its report while it runs: the findings, the context the report shows
// around each of them, the recent history of every socket and flow still alive, and bounded
// totals. Everything else is counted and let go (it is in the -w file when there is one), so a
// session attached to a busy service for hours holds what is alive, not what it has seen.
//
// Events are grouped into stories: the calls on one socket (pid, fd), the packets of one flow
// (both directions, and the ICMP errors quoting it), the waits of one process, the link-layer
// packets (ARP/ND). A story keeps its first events (the handshake, the request), its latest
// ones, and its notable packets (SYN, FIN, RST, ICMP, DNS, TLS alerts, zero windows,
// retransmissions). A story that ended (close, RST, FIN both ways) is let go once the watermark
// passes its last event by `linger_ns`, longer than any finding about it takes to be decided;
// one that went silent, after `idle_ns`. A finding pins the stories of its socket and flow as
// they are when it is decided: the report's timeline (BuildTimeline) then picks its context
// from them, the same rule as for a short session that kept everything.
//
// No I/O, no clock: the caller passes the watermark. Not thread-safe.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "src/model/endpoint.h"
#include "src/model/finding.h"
#include "src/model/packet.h"
#include "src/model/syscall_event.h"
#include "src/model/time.h"
#include "src/report/report.h"

namespace netcorr::report {

struct RecordLimits {
  size_t first_events = 16;    // per story: its first events
  size_t latest_events = 48;   // and its latest
  size_t notable_first = 16;   // notable packets beyond those: the first ones
  size_t notable_latest = 16;  // and the latest ones
  TimeNs linger_ns = 2'000'000'000;
  TimeNs idle_ns = 120'000'000'000;
  size_t max_stories = 8192;      // beyond it, the stories silent longest are let go first
  size_t process_events = 256;    // kept from the start and from the end, each
  size_t max_services = 256;      // rows of the per-service totals; the rest are summed
  // Informational findings kept per kind (a busy server's every client closing its connection
  // is a closed_by_peer): beyond it they are counted, not kept. Failures and slow calls are
  // always kept.
  size_t info_findings_per_kind = 64;
};

class SessionRecord {
 public:
  explicit SessionRecord(RecordLimits limits = {});
  ~SessionRecord();
  SessionRecord(const SessionRecord&) = delete;
  SessionRecord& operator=(const SessionRecord&) = delete;

  void AddCall(const SyscallEvent& call);
  void AddPacket(const Packet& packet);
  void AddProcess(const ProcessEvent& event);
  // Whether AddFinding will keep `finding` (false: it is only counted, see
  // info_findings_per_kind).
  bool Keeps(const Finding& finding) const;
  // A decided finding: kept to the end, with the context its stories hold now, or counted.
  void AddFinding(Finding finding);
  // Findings whose later_calls changed (Correlator::UpdateFolded): applied to the kept ones.
  std::vector<Finding>& mutable_findings() { return findings_; }
  const std::vector<Finding>& findings() const { return findings_; }

  // Lets go of the stories no finding still needs: ended ones `linger_ns` after their last
  // event, silent ones after `idle_ns`, the quietest ones beyond `max_stories`.
  void Release(TimeNs watermark);

  // Everything kept, as the report renders it. `ranked` sorts the findings most important
  // first (SortByImportance's order must be applied by the caller beforehand otherwise).
  struct View {
    std::vector<SyscallEvent> calls;    // by id
    std::vector<Packet> packets;        // by id (frame number)
    std::vector<ProcessEvent> processes;
    std::vector<Finding> findings;
    SessionTotals totals;
    // Points `input`'s spans at this view's vectors and sets its totals.
    void Fill(ReportInput& input) const;
  };
  View Snapshot() const;

  uint64_t calls_seen() const { return totals_.calls_seen; }
  uint64_t packets_seen() const { return totals_.packets_seen; }
  size_t calls_kept() const;
  size_t packets_kept() const;
  size_t stories_alive() const;

 private:
  class Stories;
  RecordLimits limits_;
  std::unique_ptr<Stories> stories_;
  std::vector<ProcessEvent> first_processes_;
  std::vector<ProcessEvent> latest_processes_;  // a ring once full
  size_t latest_process_next_ = 0;
  std::vector<Finding> findings_;
  std::map<FindingKind, uint64_t> info_kept_;
  SessionTotals totals_;
  // Totals of the flows let go, by service (at most 4 * max_services keys; the rest in others).
  std::map<std::pair<Transport, Endpoint>, ServiceTotals> services_;
};

}  // namespace netcorr::report
