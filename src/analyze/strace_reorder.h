#pragma once

// The order in which the streaming strace reader hands out what it read: a call at its exit, a
// process event or signal when it happened, as a live session would have seen them. strace
// prints lines in entry order; a call is final only later (at its exit, and once nothing can
// still change it), so finished items wait here until no item yet to come can sort before them.

#include <compare>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <queue>
#include <variant>
#include <vector>

#include "src/analyze/strace_log.h"
#include "src/model/syscall_event.h"
#include "src/model/time.h"

namespace netcorr::analyze {

// One thing the reader read: a final call, a process event, or a signal.
struct StraceItem {
  std::variant<SyscallEvent, ProcessEvent, StraceSignal> value;
  // The order in which the reader produced items (for a stable order among equal times).
  uint64_t order = 0;
};

// Where an item sorts: calls by exit time, then entry time; process events and signals by
// their time, after the calls that exited at the same time; then in the order they were made.
// A call that never finished sorts last (time = max), as when a live session stops.
struct ItemKey {
  TimeNs time = 0;
  TimeNs entry = 0;
  uint64_t order = 0;
  auto operator<=>(const ItemKey&) const = default;

  static constexpr ItemKey Max() {
    return {std::numeric_limits<TimeNs>::max(), std::numeric_limits<TimeNs>::max(),
            std::numeric_limits<uint64_t>::max()};
  }
};

class ReorderBuffer {
 public:
  void Push(const ItemKey& key, StraceItem item) {
    if (std::holds_alternative<SyscallEvent>(item.value)) ++calls_;
    heap_.push(Entry{key, std::move(item)});
  }

  // The lowest item whose key is below `bound`, removed; false when there is none.
  bool PopBelow(const ItemKey& bound, StraceItem& out) {
    if (heap_.empty() || !(heap_.top().key < bound)) return false;
    return Pop(out);
  }

  // The lowest item, removed; false when there is none.
  bool Pop(StraceItem& out) {
    if (heap_.empty()) return false;
    // The heap's top is const; its item is moved out just before the pop discards it.
    out = std::move(const_cast<Entry&>(heap_.top()).item);
    heap_.pop();
    if (std::holds_alternative<SyscallEvent>(out.value)) --calls_;
    return true;
  }

  size_t size() const { return heap_.size(); }
  size_t calls() const { return calls_; }

 private:
  struct Entry {
    ItemKey key;
    StraceItem item;
    bool operator>(const Entry& other) const { return key > other.key; }
  };
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap_;
  size_t calls_ = 0;
};

}  // namespace netcorr::analyze
