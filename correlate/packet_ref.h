#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "src/model/time.h"

namespace netcorr::correlate {

// A packet as evidence: its id in the capture and its time.
struct PacketRef {
  uint64_t id = 0;
  TimeNs ts = 0;
};

// The first kMax/2 and the latest kMax/2 references of a repeated event, plus how many there
// were in all: bounded memory for a flow that repeats something forever (a SYN retried for
// minutes, a retransmission storm), yet both how it began and what it is doing now, which is
// what a call that fails hours later is explained by.
class RefList {
 public:
  static constexpr size_t kMax = 32;

  void Add(PacketRef ref);
  void Clear() {
    head_.clear();
    tail_.clear();
    tail_next_ = 0;
    total_ = 0;
  }
  // The kept references in capture order (the first ones, then the latest ones).
  std::vector<PacketRef> items() const;
  uint32_t total() const { return total_; }
  bool empty() const { return total_ == 0; }
  // Kept references stamped in [from, to].
  std::vector<PacketRef> Between(TimeNs from, TimeNs to) const;

 private:
  std::vector<PacketRef> head_;  // the first kMax/2
  std::vector<PacketRef> tail_;  // ring of the latest kMax/2 after those
  size_t tail_next_ = 0;         // where the ring writes next once full
  uint32_t total_ = 0;
};

}  // namespace netcorr::correlate
