#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "correlate/evidence_window.h"
#include "src/model/packet.h"
#include "src/model/syscall_event.h"
#include "src/model/time.h"

namespace netcorr::cli {

// Joining a log and a capture recorded by different tools, maybe on different hosts' clocks.

// An estimate of (capture clock - log clock), from calls whose packets are unambiguous: a
// connect() and the first SYN to its destination.
struct ClockOffset {
  TimeNs offset_ns = 0;
  size_t samples = 0;
};

// Looks at every connect() with a destination and the SYNs to that destination; the median of
// (first SYN - connect entry) when the log's times do not already bracket the SYNs. nullopt when
// no connect has a matching SYN.
std::optional<ClockOffset> EstimateClockOffset(absl::Span<const SyscallEvent> calls,
                                               absl::Span<const Packet> packets);

// strace without -yy gives no 5-tuples. For each connect/sendto with a destination, the
// capture's first packet to that destination within the call's time tells the local end; the
// identity is then carried to later calls on the same (pid, fd) until it is closed. Returns how
// many calls got an inferred identity.
size_t InferSocketIdentities(std::vector<SyscallEvent>& calls, absl::Span<const Packet> packets,
                             const correlate::EvidenceWindow& window);

// The calls netcorr explains: those of a socket kind (CallKind), and waits on sockets.
bool IsSocketCall(const SyscallEvent& call);

}  // namespace netcorr::cli
