#pragma once

// What a traced process did that ptrace cannot see: the operations it submitted through
// io_uring (a connect, send or recv on the ring is no syscall of its own). The report lists
// them (`blind_spots`), so a user knows what of the program's network activity the calls leave
// out; correlate/packets_only_findings.h explains the flows they made from the packets alone.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "src/model/syscall_event.h"
#include "src/model/time.h"

namespace netcorr {

struct BlindSpot {
  int32_t pid = 0;
  std::string mechanism = "io_uring";
  uint32_t rings = 0;        // io_uring_setup calls that made a ring
  uint32_t enter_calls = 0;  // io_uring_enter calls
  // Entries the kernel took from the process's submission queues: the sum of io_uring_enter's
  // results. Each is one operation the traced calls do not show.
  uint64_t submissions = 0;
  TimeNs first_ns = 0;  // entry of the process's first io_uring call
  TimeNs last_ns = 0;   // exit of its last one
};

// An io_uring_enter that handed the kernel at least one entry: while it runs, the process may
// start flows no traced call shows.
bool IsIoUringSubmission(const SyscallEvent& call);

// One blind spot per process that made io_uring calls, by pid; the calls in any order.
std::vector<BlindSpot> BlindSpotsOf(absl::Span<const SyscallEvent> calls);

// "pid 4242 submitted 3 operations through io_uring (1 ring, 2 io_uring_enter calls) that
// ptrace cannot see: ...": one sentence for the text report and the JSON `summary`.
std::string DescribeBlindSpot(const BlindSpot& spot);

}  // namespace netcorr
