#pragma once

// SessionRecord's storage of kept events: each call or packet once, however many stories
// and findings hold it, let go when the last one drops it.

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/container/node_hash_map.h"

namespace netcorr::report {

// An event kept while at least one story list (or a finding) holds it.
template <typename T>
class HeldEvents {
 public:
  void Add(uint64_t id, const T& value) { held_.try_emplace(id, Held{value, 0}); }
  void Hold(uint64_t id) {
    if (auto it = held_.find(id); it != held_.end()) ++it->second.refs;
  }
  void Drop(uint64_t id) {
    auto it = held_.find(id);
    if (it != held_.end() && --it->second.refs == 0) held_.erase(it);
  }
  template <typename F>
  void Visit(uint64_t id, F&& f) const {
    if (auto it = held_.find(id); it != held_.end()) f(it->second.value);
  }
  bool contains(uint64_t id) const { return held_.contains(id); }
  size_t size() const { return held_.size(); }
  std::vector<T> SortedById() const {
    std::vector<std::pair<uint64_t, const T*>> ids;
    ids.reserve(held_.size());
    for (const auto& [id, h] : held_) ids.emplace_back(id, &h.value);
    std::sort(ids.begin(), ids.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<T> out;
    out.reserve(ids.size());
    for (const auto& [id, v] : ids) out.push_back(*v);
    return out;
  }

 private:
  struct Held {
    T value;
    uint32_t refs;
  };
  // Nodes, not slots: a table sized for a burst keeps its slots after the burst, and a Packet
  // slot is 450 bytes where a node pointer is 8.
  absl::node_hash_map<uint64_t, Held> held_;
};

}  // namespace netcorr::report
