#pragma once

// What a timed-out wait means is decided by what the program did next (docs/report.md, "Waits
// and stalls"): curl polls a stalled upload once a second and carries on, a resolver polls,
// resends and gets its answer. A wait that timed out with evidence on its socket (retransmissions,
// a path MTU black hole, an unanswered request) is held here as part of a stall until the
// program's next move on that socket ends it:
//   - a call on the socket fails (ETIMEDOUT on the recv): a failure at that call;
//   - the program closes the socket or exits: a failure at the last wait (it gave up);
//   - data moves again: `slow` if the stall was long, else nothing;
//   - tracing stops first: a failure that says the socket was still stalled.
// Each ending gives one finding, with the stall's waits counted in it.

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "correlate/flow_key.h"
#include "src/model/finding.h"
#include "src/model/syscall_event.h"
#include "src/model/time.h"

namespace netcorr::correlate {

struct Stall {
  int32_t pid = 0;
  int fd = -1;
  uint32_t waits = 0;
  SyscallEvent first_wait;
  SyscallEvent last_wait;
  // The latest wait's explanation, and the flow record its evidence came from.
  Finding explanation;
  std::optional<NormalizedFlowKey> record;

  TimeNs span_ns() const { return last_wait.exit_ns - first_wait.entry_ns; }
};

// A wait that timed out (poll/select/epoll returned 0), or a blocking socket's own timeout
// (SO_RCVTIMEO/SO_SNDTIMEO: EAGAIN without O_NONBLOCK): the program's patience ran out, and
// what it does next says whether it gives up.
bool TimedOutWaiting(const SyscallEvent& call);

class StallTable {
 public:
  // Adds a timed-out wait on (pid, fd) whose explanation is `f`.
  void Add(int32_t pid, int fd, const SyscallEvent& wait, Finding f,
           std::optional<NormalizedFlowKey> record);
  std::optional<Stall> Take(int32_t pid, int fd);
  // Puts back a stall taken out by a call that did not end it.
  void Restore(Stall stall);
  std::vector<Stall> TakeProcess(int32_t pid);  // in the order they began
  std::vector<Stall> TakeAll();
  bool empty() const { return stalls_.empty(); }
  size_t size() const { return stalls_.size(); }
  // The entry of the oldest stall's first wait, or `bound` if later: its flows must be kept.
  TimeNs EarliestEntry(TimeNs bound) const;

 private:
  std::vector<Stall> TakeIf(bool (*keep)(const Stall&, int32_t), int32_t pid);

  absl::flat_hash_map<uint64_t, Stall> stalls_;  // by SocketKey(pid, fd)
};

// Whether `call` goes on with a stall rather than ending it: a request sent again on a socket
// whose requests go unanswered (a resolver resending its query) is the same silence.
bool ContinuesStall(const Stall& stall, const SyscallEvent& call);

// The finding for each way a stall ends. `at` is the call that ended it.
// A call on the socket failed; `own` is that call's own explanation, used when it has one (the
// evidence of the whole stall is then in it), else the stall's is carried over to it.
Finding StallFailedAt(Stall stall, const SyscallEvent& at, std::optional<Finding> own);
// The program closed the socket (`at` the close) or exited (`at` empty) after the stall.
Finding StallAbandoned(Stall stall, const std::optional<SyscallEvent>& at);
// Tracing stopped (or netcorr ended the program) while the socket was still stalled.
Finding StallInterrupted(Stall stall);
// Data moved again at `at`: `slow` when the stall lasted at least `slow_ns`, else nothing.
std::optional<Finding> StallRecovered(Stall stall, const SyscallEvent& at, TimeNs slow_ns);

}  // namespace netcorr::correlate
