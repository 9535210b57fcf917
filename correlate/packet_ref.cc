#include "correlate/packet_ref.h"

namespace netcorr::correlate {

void RefList::Add(PacketRef ref) {
  ++total_;
  if (head_.size() < kMax / 2) {
    head_.push_back(ref);
  } else if (tail_.size() < kMax / 2) {
    tail_.push_back(ref);
  } else {
    tail_[tail_next_] = ref;
    tail_next_ = (tail_next_ + 1) % tail_.size();
  }
}

std::vector<PacketRef> RefList::items() const {
  std::vector<PacketRef> out = head_;
  out.reserve(head_.size() + tail_.size());
  for (size_t i = 0; i < tail_.size(); ++i) out.push_back(tail_[(tail_next_ + i) % tail_.size()]);
  return out;
}

std::vector<PacketRef> RefList::Between(TimeNs from, TimeNs to) const {
  std::vector<PacketRef> out;
  for (const PacketRef& r : items()) {
    if (r.ts >= from && r.ts <= to) out.push_back(r);
  }
  return out;
}

}  // namespace netcorr::correlate
