#include "correlate/pending_connects.h"

#include <algorithm>

namespace netcorr::correlate {

void PendingConnects::Add(PendingConnect p) {
  by_socket_[p.socket_key] = p.call.id;
  const uint64_t id = p.call.id;
  by_id_[id] = std::move(p);
}

std::optional<PendingConnect> PendingConnects::Take(uint64_t connect_id) {
  auto it = by_id_.find(connect_id);
  if (it == by_id_.end()) return std::nullopt;
  PendingConnect p = std::move(it->second);
  by_id_.erase(it);
  by_socket_.erase(p.socket_key);
  return p;
}

std::optional<PendingConnect> PendingConnects::TakeBySocket(uint64_t socket_key) {
  auto pc = by_socket_.find(socket_key);
  if (pc == by_socket_.end()) return std::nullopt;
  const uint64_t id = pc->second;
  by_socket_.erase(pc);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return std::nullopt;
  PendingConnect p = std::move(it->second);
  by_id_.erase(it);
  return p;
}

PendingConnect* PendingConnects::FindBySocket(uint64_t socket_key) {
  auto pc = by_socket_.find(socket_key);
  if (pc == by_socket_.end()) return nullptr;
  auto it = by_id_.find(pc->second);
  return it == by_id_.end() ? nullptr : &it->second;
}

std::vector<PendingConnect> PendingConnects::TakeSorted(const std::vector<uint64_t>& ids) {
  std::vector<uint64_t> sorted = ids;
  std::sort(sorted.begin(), sorted.end());
  std::vector<PendingConnect> out;
  for (uint64_t id : sorted) {
    if (std::optional<PendingConnect> p = Take(id)) out.push_back(std::move(*p));
  }
  return out;
}

std::vector<PendingConnect> PendingConnects::TakeProcess(int32_t pid) {
  std::vector<uint64_t> ids;
  for (const auto& [id, p] : by_id_) {
    if (p.call.pid == pid) ids.push_back(id);
  }
  return TakeSorted(ids);
}

std::vector<PendingConnect> PendingConnects::TakeAll() {
  std::vector<uint64_t> ids;
  for (const auto& [id, p] : by_id_) ids.push_back(id);
  std::vector<PendingConnect> out = TakeSorted(ids);
  by_socket_.clear();
  return out;
}

TimeNs PendingConnects::EarliestEntry(TimeNs bound) const {
  for (const auto& [id, p] : by_id_) bound = std::min(bound, p.call.entry_ns);
  return bound;
}

}  // namespace netcorr::correlate
