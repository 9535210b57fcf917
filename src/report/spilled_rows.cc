#include "src/report/spilled_rows.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"

namespace netcorr::report {

Cell SpilledRow::cell() const {
  if (kind == TimelineRow::Kind::kPacket) return PacketCell(event->id, event->head, findings);
  return CallCell(kind, event->head, event->outcome, event->exit_text, event->marks, findings);
}

namespace {

bool SameItem(const SpillEvent& a, const SpillEvent& b) {
  return a.time_ns == b.time_ns && a.is_call == b.is_call && a.id == b.id;
}

// The spilled events merged with the findings' calls the spill does not hold, in timeline order.
class Items {
 public:
  Items(const SpilledTimeline& spill, absl::Span<const Finding> findings) : reader_(spill) {
    absl::flat_hash_set<uint64_t> ids;
    for (const Finding& f : findings) {
      if (ids.insert(f.call.id).second) extras_.push_back(SpillEventOf(f.call));
      if (f.resolved_by.has_value() && ids.insert(f.resolved_by->id).second) {
        extras_.push_back(SpillEventOf(*f.resolved_by));
      }
    }
    std::stable_sort(extras_.begin(), extras_.end(), SpillEventBefore);
    spilled_ = reader_.Next();
  }

  std::optional<SpillEvent> Next() {
    while (true) {
      const bool have_extra = extra_ < extras_.size();
      // On a tie the spilled copy wins: it is the call as the session recorded it.
      if (spilled_.has_value() &&
          (!have_extra || !SpillEventBefore(extras_[extra_], *spilled_))) {
        std::optional<SpillEvent> out = std::move(spilled_);
        spilled_ = reader_.Next();
        last_ = *out;
        return out;
      }
      if (!have_extra) return std::nullopt;
      SpillEvent& extra = extras_[extra_++];
      // Spilled already: a finding's call is shown once.
      if (last_.has_value() && SameItem(*last_, extra)) continue;
      last_ = extra;
      return std::move(extra);
    }
  }

  const absl::Status& status() const { return reader_.status(); }

 private:
  SpillReader reader_;
  std::optional<SpillEvent> spilled_;
  std::vector<SpillEvent> extras_;
  size_t extra_ = 0;
  std::optional<SpillEvent> last_;
};

// An exit row waiting for its time: after every row at or before it.
struct PendingExit {
  TimeNs time_ns;
  uint64_t seq;  // equal times keep the order of their entries
  SpillEvent event;
  std::vector<int> findings;
};

bool ExitAfter(const PendingExit& a, const PendingExit& b) {
  if (a.time_ns != b.time_ns) return a.time_ns > b.time_ns;
  return a.seq > b.seq;
}

}  // namespace

absl::Status ForEachSpilledRow(const SpilledTimeline& spill, absl::Span<const Finding> findings,
                               const std::function<void(const SpilledRow&)>& row) {
  // The tags, in the order BuildTimeline adds them: per finding its call, its evidence, the
  // call that revealed its outcome.
  absl::flat_hash_map<uint64_t, std::vector<int>> call_tags;
  absl::flat_hash_map<uint64_t, std::vector<int>> packet_tags;
  for (size_t n = 0; n < findings.size(); ++n) {
    const Finding& f = findings[n];
    const int number = static_cast<int>(n) + 1;
    call_tags[f.call.id].push_back(number);
    for (uint64_t id : f.evidence) packet_tags[id].push_back(number);
    if (f.resolved_by.has_value()) call_tags[f.resolved_by->id].push_back(number);
  }
  const auto tags_of = [&](const SpillEvent& e) {
    const auto& map = e.is_call ? call_tags : packet_tags;
    auto it = map.find(e.id);
    return it == map.end() ? std::vector<int>() : it->second;
  };

  std::vector<PendingExit> exits;  // a heap, the earliest on top
  uint64_t seq = 0;
  SpilledRow out;
  // The exit rows due before time `before` (all of them without it).
  const auto flush_exits = [&](std::optional<TimeNs> before) {
    while (!exits.empty() && (!before.has_value() || exits.front().time_ns < *before)) {
      std::pop_heap(exits.begin(), exits.end(), ExitAfter);
      PendingExit& e = exits.back();
      out.kind = TimelineRow::Kind::kCallExit;
      out.time_ns = e.time_ns;
      out.event = &e.event;
      out.findings = std::move(e.findings);
      row(out);
      exits.pop_back();
    }
  };
  // One item, once the next one's time is known: a call is split into entry and exit rows when
  // something happens before it returns.
  const auto emit = [&](SpillEvent& item, TimeNs next_time) {
    flush_exits(item.time_ns);
    out.time_ns = item.time_ns;
    out.event = &item;
    if (!item.is_call) {
      out.kind = TimelineRow::Kind::kPacket;
      out.findings = tags_of(item);
      row(out);
      return;
    }
    if (next_time <= item.exit_ns) {
      out.kind = TimelineRow::Kind::kCallEntry;
      out.findings.clear();
      row(out);
      const TimeNs at = std::max(item.exit_ns, item.time_ns);
      exits.push_back(PendingExit{at, seq++, std::move(item), {}});
      exits.back().findings = tags_of(exits.back().event);
      std::push_heap(exits.begin(), exits.end(), ExitAfter);
      return;
    }
    out.kind = TimelineRow::Kind::kCall;
    out.findings = tags_of(item);
    row(out);
  };

  Items items(spill, findings);
  std::optional<SpillEvent> current = items.Next();
  while (current.has_value()) {
    std::optional<SpillEvent> next = items.Next();
    emit(*current, next.has_value() ? next->time_ns : std::numeric_limits<TimeNs>::max());
    current = std::move(next);
  }
  flush_exits(std::nullopt);
  return items.status();
}

}  // namespace netcorr::report
