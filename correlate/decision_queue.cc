#include "correlate/decision_queue.h"

#include <algorithm>

namespace netcorr::correlate {

void DecisionQueue::Schedule(TimeNs deadline, Decision d) {
  queue_.emplace(std::make_pair(deadline, next_seq_++), std::move(d));
}

std::optional<Decision> DecisionQueue::PopDue(TimeNs watermark) {
  if (queue_.empty() || queue_.begin()->first.first > watermark) return std::nullopt;
  auto node = queue_.extract(queue_.begin());
  return std::move(node.mapped());
}

TimeNs DecisionQueue::EarliestEntry(TimeNs bound) const {
  for (const auto& [key, d] : queue_) bound = std::min(bound, d.call.entry_ns);
  return bound;
}

}  // namespace netcorr::correlate
