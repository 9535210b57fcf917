#include "src/report/timeline.h"

#include <algorithm>
#include <limits>
#include <optional>

#include "absl/container/flat_hash_map.h"

namespace netcorr::report {

namespace {

// One event on the shared clock: a call (at its entry) or a packet.
struct Item {
  TimeNs time = 0;
  const SyscallEvent* call = nullptr;
  const Packet* packet = nullptr;
};

// An endpoint of a finding's flow matches when every part of it that is known is equal: a
// connect that failed before the kernel chose a source port has local port 0.
bool EndpointMatches(const Endpoint& want, const Endpoint& got) {
  if (want.addr.is_set() && !want.addr.is_unspecified() && want.addr != got.addr) return false;
  return want.port == 0 || want.port == got.port;
}

bool FlowMatches(const FlowKey& want, const FlowKey& got) {
  return want.transport == got.transport && EndpointMatches(want.local, got.local) &&
         EndpointMatches(want.remote, got.remote);
}

bool PacketOnFlow(const Packet& p, const FlowKey& flow) {
  // An ICMP error belongs to the flow whose packet it quotes, whoever sent it.
  if (p.icmp_error.has_value()) return FlowMatches(flow, p.icmp_error->original);
  const FlowKey sent = p.SenderFlow();
  return FlowMatches(flow, sent) || FlowMatches(flow, sent.Reversed());
}

bool CallOnFlow(const SyscallEvent& c, const Finding& f) {
  const SyscallEvent& fc = f.call;
  if (fc.fd >= 0 && c.pid == fc.pid) {
    if (c.fd == fc.fd) return true;
    for (const FdSocket& w : c.waited) {
      if (w.fd == fc.fd) return true;
    }
  }
  if (f.flow.has_value() && c.socket.has_value()) {
    const std::optional<FlowKey> flow = c.socket->Flow();
    if (flow.has_value() && FlowMatches(*f.flow, *flow)) return true;
  }
  return false;
}

bool ItemBefore(const Item& a, const Item& b) {
  if (a.time != b.time) return a.time < b.time;
  // At the same nanosecond a call's entry comes first: it is what sent the packet.
  if ((a.call != nullptr) != (b.call != nullptr)) return a.call != nullptr;
  if (a.call != nullptr) return a.call->id < b.call->id;
  return a.packet->id < b.packet->id;
}

}  // namespace

TimeNs FirstEventTime(const ReportInput& input) {
  std::optional<TimeNs> first;
  for (const SyscallEvent& c : input.calls) {
    if (!first || c.entry_ns < *first) first = c.entry_ns;
  }
  for (const Packet& p : input.packets) {
    if (!first || p.ts_ns < *first) first = p.ts_ns;
  }
  return first.value_or(0);
}

std::vector<TimelineRow> BuildTimeline(const ReportInput& input, bool all) {
  std::vector<Item> items;
  items.reserve(input.calls.size() + input.packets.size() + input.findings.size());
  absl::flat_hash_map<uint64_t, const SyscallEvent*> call_by_id;
  for (const SyscallEvent& c : input.calls) {
    items.push_back(Item{c.entry_ns, &c, nullptr});
    call_by_id.emplace(c.id, &c);
  }
  for (const Packet& p : input.packets) items.push_back(Item{p.ts_ns, nullptr, &p});
  // A finding whose call is missing from the call list still shows its call.
  for (const Finding& f : input.findings) {
    if (!call_by_id.contains(f.call.id)) {
      items.push_back(Item{f.call.entry_ns, &f.call, nullptr});
      call_by_id.emplace(f.call.id, &f.call);
    }
    if (f.resolved_by.has_value() && !call_by_id.contains(f.resolved_by->id)) {
      items.push_back(Item{f.resolved_by->entry_ns, &*f.resolved_by, nullptr});
      call_by_id.emplace(f.resolved_by->id, &*f.resolved_by);
    }
  }
  std::sort(items.begin(), items.end(), ItemBefore);

  absl::flat_hash_map<const SyscallEvent*, size_t> call_pos;
  absl::flat_hash_map<uint64_t, size_t> packet_pos;              // Packet::id -> position
  absl::flat_hash_map<uint64_t, std::vector<size_t>> resolvers;  // connect id -> resolving calls
  for (size_t i = 0; i < items.size(); ++i) {
    if (items[i].call != nullptr) {
      call_pos.emplace(items[i].call, i);
      if (items[i].call->resolves_call.has_value()) {
        resolvers[*items[i].call->resolves_call].push_back(i);
      }
    } else {
      packet_pos.emplace(items[i].packet->id, i);
    }
  }

  std::vector<bool> selected(items.size(), all);
  absl::flat_hash_map<size_t, std::vector<int>> tags;  // position -> finding numbers
  for (size_t n = 0; n < input.findings.size(); ++n) {
    const Finding& f = input.findings[n];
    const int number = static_cast<int>(n) + 1;
    const SyscallEvent* call = call_by_id.at(f.call.id);
    const size_t cpos = call_pos.at(call);
    selected[cpos] = true;
    tags[cpos].push_back(number);
    TimeNs lo = call->entry_ns;
    TimeNs hi = std::max(call->exit_ns, call->entry_ns);
    for (uint64_t id : f.evidence) {
      auto it = packet_pos.find(id);
      if (it == packet_pos.end()) continue;
      selected[it->second] = true;
      tags[it->second].push_back(number);
      lo = std::min(lo, items[it->second].time);
      hi = std::max(hi, items[it->second].time);
    }
    // The call that revealed a non-blocking connect's outcome, and the connect a resolving
    // call revealed, are the two halves of one story.
    if (auto it = resolvers.find(call->id); it != resolvers.end()) {
      for (size_t pos : it->second) selected[pos] = true;
    }
    // The later call that revealed or ended this one's outcome belongs to the finding too.
    if (f.resolved_by.has_value()) {
      const SyscallEvent* by = call_by_id.at(f.resolved_by->id);
      const size_t pos = call_pos.at(by);
      selected[pos] = true;
      tags[pos].push_back(number);
      hi = std::max(hi, std::max(by->exit_ns, by->entry_ns));
    }
    if (call->resolves_call.has_value()) {
      if (auto it = call_by_id.find(*call->resolves_call); it != call_by_id.end()) {
        selected[call_pos.at(it->second)] = true;
        lo = std::min(lo, it->second->entry_ns);
      }
    }
    if (all) continue;
    auto begin = std::lower_bound(items.begin(), items.end(), lo,
                                  [](const Item& item, TimeNs t) { return item.time < t; });
    // A failure on an established connection (reset, close, stall) reads better with the
    // connection's start: reach back to the connect() on the same socket, with its handshake,
    // when that costs only a few more rows. Bounded both in the items scanned and in the rows
    // added, so a connection that lived for hours does not drag its whole history in.
    if (call->kind != CallKind::kConnect && call->fd >= 0) {
      constexpr int kMaxScan = 2000;
      constexpr int kMaxAddedRows = 12;
      int scanned = 0, added = 0;
      for (auto it = begin; it != items.begin() && scanned < kMaxScan; ++scanned) {
        --it;
        const bool related = it->call != nullptr
                                 ? CallOnFlow(*it->call, f)
                                 : f.flow.has_value() && PacketOnFlow(*it->packet, *f.flow);
        if (!related) continue;
        if (++added > kMaxAddedRows) break;
        if (it->call != nullptr && it->call->kind == CallKind::kConnect &&
            it->call->pid == call->pid && it->call->fd == call->fd) {
          begin = it;
          break;
        }
      }
    }
    for (auto it = begin; it != items.end() && it->time <= hi; ++it) {
      const bool related = it->call != nullptr
                               ? CallOnFlow(*it->call, f)
                               : f.flow.has_value() && PacketOnFlow(*it->packet, *f.flow);
      if (related) selected[static_cast<size_t>(it - items.begin())] = true;
    }
  }

  // For each position, the time of the next shown item after it: a call is split into entry
  // and exit rows when something shown happens before it returns.
  std::vector<TimeNs> next_selected(items.size(), std::numeric_limits<TimeNs>::max());
  for (size_t i = items.size(); i-- > 1;) {
    next_selected[i - 1] = selected[i] ? items[i].time : next_selected[i];
  }

  std::vector<TimelineRow> rows;
  std::vector<TimelineRow> exits;
  TimelineRow omitted;
  omitted.kind = TimelineRow::Kind::kOmitted;
  const auto flush_omitted = [&] {
    if (omitted.omitted_calls + omitted.omitted_packets == 0) return;
    rows.push_back(omitted);
    omitted.omitted_calls = omitted.omitted_packets = 0;
  };
  for (size_t i = 0; i < items.size(); ++i) {
    const Item& item = items[i];
    if (!selected[i]) {
      if (omitted.omitted_calls + omitted.omitted_packets == 0) omitted.time_ns = item.time;
      ++(item.call != nullptr ? omitted.omitted_calls : omitted.omitted_packets);
      continue;
    }
    flush_omitted();
    TimelineRow row;
    row.time_ns = item.time;
    std::vector<int> row_tags;
    if (auto it = tags.find(i); it != tags.end()) row_tags = it->second;
    if (item.packet != nullptr) {
      row.kind = TimelineRow::Kind::kPacket;
      row.packet = item.packet;
      row.findings = std::move(row_tags);
      rows.push_back(std::move(row));
      continue;
    }
    row.call = item.call;
    if (next_selected[i] <= item.call->exit_ns) {
      row.kind = TimelineRow::Kind::kCallEntry;
      rows.push_back(row);
      row.kind = TimelineRow::Kind::kCallExit;
      row.time_ns = std::max(item.call->exit_ns, item.call->entry_ns);
      row.findings = std::move(row_tags);
      exits.push_back(std::move(row));
    } else {
      row.kind = TimelineRow::Kind::kCall;
      row.findings = std::move(row_tags);
      rows.push_back(std::move(row));
    }
  }
  flush_omitted();

  // Merge the exit rows in: after every row at or before their time (a packet stamped at the
  // same nanosecond as a return arrived first as far as the report can tell).
  std::stable_sort(exits.begin(), exits.end(), [](const TimelineRow& a, const TimelineRow& b) {
    return a.time_ns < b.time_ns;
  });
  std::vector<TimelineRow> merged;
  merged.reserve(rows.size() + exits.size());
  size_t e = 0;
  for (TimelineRow& row : rows) {
    while (e < exits.size() && exits[e].time_ns < row.time_ns)
      merged.push_back(std::move(exits[e++]));
    merged.push_back(std::move(row));
  }
  while (e < exits.size()) merged.push_back(std::move(exits[e++]));
  return merged;
}

}  // namespace netcorr::report
