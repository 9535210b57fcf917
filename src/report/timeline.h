#pragma once

#include <cstdint>
#include <vector>

#include "src/model/finding.h"
#include "src/model/packet.h"
#include "src/model/syscall_event.h"
#include "src/model/time.h"
#include "src/report/report.h"

namespace netcorr::report {

// One row of the side-by-side timeline, before layout: which event, at which time, and which
// findings it belongs to. The text renderer turns rows into lines.
struct TimelineRow {
  enum class Kind : uint8_t {
    kCall,       // a call that nothing shown interrupts: its entry and its outcome on one row
    kCallEntry,  // a call's entry, its outcome comes later (strace's "<unfinished ...>")
    kCallExit,   // that call's outcome (strace's "<... connect resumed>"), at its exit time
    kPacket,
    kOmitted,  // a run of events the default view leaves out
  };
  Kind kind = Kind::kCall;
  TimeNs time_ns = 0;
  const SyscallEvent* call = nullptr;  // kCall, kCallEntry, kCallExit
  const Packet* packet = nullptr;      // kPacket
  // 1-based finding numbers: the finding's own call, or the findings a packet is evidence of.
  std::vector<int> findings;
  uint64_t omitted_calls = 0;  // kOmitted
  uint64_t omitted_packets = 0;
};

// The timeline rows in time order. With all=false only the events around findings are kept:
// each finding's call, its evidence packets, and within the finding's time window (its call's
// entry to exit, widened to cover the evidence) the calls on the same socket or flow and the
// packets of the flow (both directions, and ICMP errors quoting it); every run of left-out
// events becomes one kOmitted row. A call is split into entry and exit rows only when a shown
// event happens while it is in the kernel, so the packets it caused appear inside it.
std::vector<TimelineRow> BuildTimeline(const ReportInput& input, bool all);

// The earliest event time (call entries and packets), or 0 when there are none: the zero of the
// timeline's relative clock.
TimeNs FirstEventTime(const ReportInput& input);

}  // namespace netcorr::report
