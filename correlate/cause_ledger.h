#pragma once

// One finding per cause: the causes already reported, and the later calls folded into them.
//
// A decided call repeats a reported cause when
//   - every packet of its evidence already explains that cause (the write that gets EPIPE after
//     the read that got ECONNRESET from the same RST; a second recv on the same ICMP error), or
//   - it is the same failure towards the same destination by the same process (a program
//     retrying a refused or unanswered connect: each attempt is a new flow, the cause is one).
// Such a call is counted in the reported finding's `later_calls` instead of making a finding.

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "correlate/flow_state.h"
#include "src/model/finding.h"

namespace netcorr::correlate {

class CauseLedger {
 public:
  // Bound on the destination-level causes remembered (oldest forgotten first).
  static constexpr size_t kMaxDestinationCauses = 4096;

  // The reported cause `f` repeats, or 0. `record` is the flow record of its evidence (or null).
  uint64_t RepeatOf(const Finding& f, const FlowRecord* record) const;
  // `f` is reported: gives it its cause id and makes its evidence explain it.
  void Report(Finding& f, FlowRecord* record);
  // `call` hit the reported cause `cause` again.
  void Fold(uint64_t cause, const SyscallEvent& call);
  // Sets later_calls on the reported findings that have folded calls.
  void UpdateReported(std::vector<Finding>& reported) const;

 private:
  // "pid|kind|errno|severity|remote" for failures whose cause is the destination, else "".
  static std::string DestinationKey(const Finding& f);

  uint64_t next_cause_ = 1;
  absl::flat_hash_map<std::string, uint64_t> by_destination_;
  std::deque<std::string> destination_order_;
  absl::flat_hash_map<uint64_t, CallSpan> folded_;  // cause id -> later calls
};

}  // namespace netcorr::correlate
