#pragma once

// Findings from the packets alone, for the flows a process drove through io_uring: ptrace saw
// the ring being fed (io_uring_enter) but never the connect on it, so no call can be explained.
// What the packets prove on their own is still worth saying, with EvidenceBasis::kPacketsOnly
// and a call object that stands for the unseen operation (SyscallEvent::unseen, name
// "io_uring"). Only what needs no call to be true is claimed: our SYN answered by a RST that
// acknowledges it is a refused connection whatever the program did next; an unanswered SYN is
// not a failure until the program is seen to give up, which it is not, so nothing is said.

#include <cstddef>
#include <deque>
#include <functional>
#include <vector>

#include "correlate/flow_state.h"
#include "correlate/rule_context.h"
#include "src/model/finding.h"

namespace netcorr::correlate {

class PacketsOnlyFindings {
 public:
  // A SYN sent this long after a submission's io_uring_enter returned is still its own
  // (strace's -T exit stamp is taken a little after the kernel's).
  static constexpr TimeNs kSubmissionSlackNs = 1'000'000;

  // Submissions kept for attributing flows: the latest ones, bounded for long sessions.
  static constexpr size_t kMaxSubmissions = 1024;

  // Every traced call; an io_uring submission makes its process the candidate owner of the
  // flows whose first SYN left while it was in the kernel.
  void AddCall(const SyscallEvent& call);

  // Decides each connection attempt whose last packet is before `horizon` (once: a decided
  // attempt is claimed) that no traced connect claimed, on no flow a traced socket knows
  // (`traced_socket`), whose SYN left from this host (when the local addresses tell) while a
  // process's io_uring_enter was submitting. Returns the findings, in no particular order.
  std::vector<Finding> Decide(FlowTable& flows, const RuleContext& ctx,
                              const std::function<bool(const NormalizedFlowKey&)>& traced_socket,
                              TimeNs horizon);

  // TcpConnection::claimed_by of an attempt this file decided (no call has this id).
  static constexpr uint64_t kClaimedByPackets = ~uint64_t{0};

 private:
  // The latest io_uring_enter that was in the kernel at `t` (within kSubmissionSlackNs of its
  // exit): a synchronous submission sends its connect's SYN before the call returns.
  const SyscallEvent* SubmissionAt(TimeNs t) const;

  std::deque<SyscallEvent> submissions_;
};

}  // namespace netcorr::correlate
