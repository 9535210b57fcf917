#include "correlate/packet_ref.h"

namespace netcorr::correlate {

std::vector<PacketRef> RefList::Between(TimeNs from, TimeNs to) const {
  std::vector<PacketRef> out;
  for (const PacketRef& r : items_) {
    if (r.ts >= from && r.ts <= to) out.push_back(r);
  }
  return out;
}

}  // namespace netcorr::correlate
