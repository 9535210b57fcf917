#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/types/span.h"
#include "correlate/evidence_window.h"
#include "src/model/packet.h"
#include "src/model/syscall_event.h"
#include "src/model/time.h"
#include "src/socket_model/fd_table.h"

namespace netcorr::cli {

// Joining a log and a capture recorded by different tools, maybe on different hosts' clocks.
// Both steps take the log's calls one at a time, in the order the log gives them, so that
// `netcorr analyze` can stream the log; the span forms are the same over a whole log.

// An estimate of (capture clock - log clock), from calls whose packets are unambiguous: a
// connect() and the first SYN to its destination.
struct ClockOffset {
  TimeNs offset_ns = 0;
  size_t samples = 0;
};

// Looks at every connect() with a destination (the first to each destination) and the first
// SYN to that destination: as soon as one SYN falls inside its connect, the clocks agree
// (offset 0); otherwise the median of (first SYN - connect entry).
class ClockOffsetEstimator {
 public:
  // `packets` (in capture order) must outlive the estimator.
  explicit ClockOffsetEstimator(absl::Span<const Packet> packets);
  // Takes one call; true once the estimate cannot change any more (the clocks agree).
  bool Add(const SyscallEvent& call);
  // nullopt when no connect had a matching SYN.
  std::optional<ClockOffset> Result() const;

 private:
  absl::Span<const Packet> packets_;
  bool usable_ = false;
  bool agreed_ = false;
  // Only the first connect to each destination: the first SYN to it is that connect's, while
  // a later connect would be paired with a SYN from long before it.
  absl::flat_hash_set<Endpoint> seen_;
  std::vector<TimeNs> deltas_;
};

std::optional<ClockOffset> EstimateClockOffset(absl::Span<const SyscallEvent> calls,
                                               absl::Span<const Packet> packets);

// strace without -yy gives no 5-tuples, and even with -yy a connect that failed shows none. For
// each connect/sendto with a destination, the capture tells the local end: for a connect, the
// SYN to that destination inside the call's [entry, exit], else the nearest one within the
// evidence window, and each SYN explains one connect only (in dense traffic an earlier
// connection's SYN to the same server is often within the window too); for a datagram, the
// first packet to the destination within the call's time. The identity is then carried to
// later calls on the same (pid, fd) until it is closed.
class SocketIdentityInference {
 public:
  // `packets` (in capture order) must outlive the inference.
  SocketIdentityInference(absl::Span<const Packet> packets, const correlate::EvidenceWindow& window);
  // Fills in the call's socket from what the capture and earlier calls told; true when it got
  // an inferred identity.
  bool Infer(SyscallEvent& call);

 private:
  // The unclaimed SYN from us to `remote` that best explains `call`, or nullptr.
  const Packet* SynFor(const SyscallEvent& call, const Endpoint& remote);
  // Marks the SYN of a connect whose ends strace showed, so that no other connect takes it.
  void ClaimOwnSyn(const SyscallEvent& call);

  absl::Span<const Packet> packets_;
  correlate::EvidenceWindow window_;
  bool usable_ = false;
  // What each process's fds were inferred to be, kept by the same socket model the strace
  // reader used, so a reused fd number starts over exactly where it did there.
  absl::flat_hash_map<int32_t, socket_model::FdTable> tables_;
  absl::flat_hash_set<size_t> claimed_;  // indexes of SYNs already paired with a connect
};

// The whole-log form; returns how many calls got an inferred identity.
size_t InferSocketIdentities(std::vector<SyscallEvent>& calls, absl::Span<const Packet> packets,
                             const correlate::EvidenceWindow& window);

// The calls netcorr explains: those of a socket kind (CallKind), and waits on sockets.
bool IsSocketCall(const SyscallEvent& call);

}  // namespace netcorr::cli
