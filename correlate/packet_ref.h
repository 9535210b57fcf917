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

// The first kMax references of a repeated event plus how many there were in all: bounded memory
// for a flow that repeats something forever (a SYN retried for minutes, a retransmission storm).
class RefList {
 public:
  static constexpr size_t kMax = 32;

  void Add(PacketRef ref) {
    ++total_;
    if (items_.size() < kMax) items_.push_back(ref);
  }
  void Clear() {
    items_.clear();
    total_ = 0;
  }
  const std::vector<PacketRef>& items() const { return items_; }
  uint32_t total() const { return total_; }
  bool empty() const { return total_ == 0; }
  // Kept references stamped in [from, to].
  std::vector<PacketRef> Between(TimeNs from, TimeNs to) const;

 private:
  std::vector<PacketRef> items_;
  uint32_t total_ = 0;
};

}  // namespace netcorr::correlate
