#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <utility>

#include "correlate/decision.h"
#include "src/model/time.h"

namespace netcorr::correlate {

// The calls awaiting a decision, in the order they become decidable: by deadline (the end of
// their evidence window), then in the order they were scheduled.
class DecisionQueue {
 public:
  void Schedule(TimeNs deadline, Decision d);
  // The next decision whose deadline is <= watermark, taken out.
  std::optional<Decision> PopDue(TimeNs watermark);

  size_t size() const { return queue_.size(); }
  // The earliest entry of a waiting call, or `bound` if later.
  TimeNs EarliestEntry(TimeNs bound) const;

 private:
  std::multimap<std::pair<TimeNs, uint64_t>, Decision> queue_;
  uint64_t next_seq_ = 0;
};

}  // namespace netcorr::correlate
