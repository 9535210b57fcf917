#include "correlate/neighbour_state.h"

#include <algorithm>

#include "absl/algorithm/container.h"

namespace netcorr::correlate {

void NeighbourTable::Add(const Packet& p) {
  if (!p.neighbour || p.neighbour->IsAddressProbe()) return;
  const NeighbourMessage& m = *p.neighbour;
  const IpAddress& address = m.resolved();
  if (!address.is_set()) return;
  if (!neighbours_.contains(address) && neighbours_.size() >= kMaxNeighbours) EvictQuietest();
  Neighbour& n = neighbours_[address];
  n.v6 = m.v6;
  n.events.push_back(Event{PacketRef{p.id, p.ts_ns}, m.is_reply, m.sender_ip});
  if (n.events.size() > kMaxEventsPerNeighbour) n.events.pop_front();
  n.last_ts = std::max(n.last_ts, p.ts_ns);
}

std::optional<NeighbourTable::Resolution> NeighbourTable::Resolve(const IpAddress& address,
                                                                  const Neighbour& n, TimeNs from,
                                                                  TimeNs to) {
  Resolution r;
  r.address = address;
  r.v6 = n.v6;
  for (const Event& e : n.events) {
    if (e.ref.ts < from || e.ref.ts > to) continue;
    if (e.reply) {
      // An answer counts once something asked: a reply before the window's first request is
      // an older resolution, not this one's.
      if (!r.requests.empty()) r.answered = true;
      continue;
    }
    r.requests.push_back(e.ref);
    if (!absl::c_linear_search(r.requesters, e.requester)) r.requesters.push_back(e.requester);
  }
  if (r.requests.empty()) return std::nullopt;
  return r;
}

std::optional<NeighbourTable::Resolution> NeighbourTable::Find(const IpAddress& address,
                                                               TimeNs from, TimeNs to) const {
  auto it = neighbours_.find(address);
  if (it == neighbours_.end()) return std::nullopt;
  return Resolve(address, it->second, from, to);
}

std::vector<NeighbourTable::Resolution> NeighbourTable::Unanswered(IpAddress::Family family,
                                                                   TimeNs from, TimeNs to) const {
  std::vector<Resolution> out;
  for (const auto& [address, n] : neighbours_) {
    if (address.family() != family) continue;
    std::optional<Resolution> r = Resolve(address, n, from, to);
    if (r && !r->answered) out.push_back(*std::move(r));
  }
  absl::c_sort(out, [](const Resolution& a, const Resolution& b) {
    return a.requests.front().ts < b.requests.front().ts;
  });
  return out;
}

size_t NeighbourTable::Expire(TimeNs before) {
  return absl::erase_if(neighbours_, [&](const auto& kv) { return kv.second.last_ts < before; });
}

void NeighbourTable::EvictQuietest() {
  auto quietest = neighbours_.end();
  for (auto it = neighbours_.begin(); it != neighbours_.end(); ++it) {
    if (quietest == neighbours_.end() || it->second.last_ts < quietest->second.last_ts) {
      quietest = it;
    }
  }
  if (quietest != neighbours_.end()) neighbours_.erase(quietest);
}

}  // namespace netcorr::correlate
