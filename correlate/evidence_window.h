#pragma once

#include "src/model/syscall_event.h"
#include "src/model/time.h"

namespace netcorr::correlate {

// Which packets, by their capture time, may explain a call: from a little before its entry to a
// while after its end. Every rule and the decision queue take their bounds from here.
struct EvidenceWindow {
  // Packets stamped up to this long before a call's entry still count as its evidence: the
  // tracer's and libpcap's timestamps are taken at slightly different places. The same slack
  // bounds what a receive may have read before it returned.
  TimeNs clock_slack_ns = 20'000'000;
  // How long after a call's end packets may still arrive that explain it: a late RST or ICMP,
  // capture latency. A call is decided once the capture watermark passes that.
  TimeNs grace_ns = 200'000'000;

  // The earliest packet time that may be evidence for a call that entered at `entry_ns`.
  TimeNs EarliestFor(TimeNs entry_ns) const { return entry_ns - clock_slack_ns; }
  TimeNs EarliestFor(const SyscallEvent& call) const { return EarliestFor(call.entry_ns); }

  // The latest packet time that may still explain a call whose outcome came at `end_ns` (its
  // exit; for a non-blocking connect, when the program learnt the outcome). Once the capture
  // watermark passes it, the call can be decided.
  TimeNs LatestFor(TimeNs end_ns) const { return end_ns + grace_ns; }
  TimeNs LatestFor(const SyscallEvent& call) const { return LatestFor(call.exit_ns); }

  // The latest packet time a call may itself have received before it returned (an answer or an
  // alert a receive read): its exit, give or take the clock slack.
  TimeNs LatestReceivedBy(const SyscallEvent& call) const { return call.exit_ns + clock_slack_ns; }

  // A packet stamped `ts` may be evidence for `call`.
  bool Contains(const SyscallEvent& call, TimeNs ts) const {
    return ts >= EarliestFor(call) && ts <= LatestFor(call);
  }
  // A packet stamped `ts` may have been received by `call` while it ran.
  bool ReceivedDuring(const SyscallEvent& call, TimeNs ts) const {
    return ts >= EarliestFor(call) && ts <= LatestReceivedBy(call);
  }
};

}  // namespace netcorr::correlate
