#include "src/report/session_record.h"

#include <algorithm>
#include <deque>
#include <functional>
#include <limits>
#include <queue>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "src/report/held_events.h"

namespace netcorr::report {

namespace {

constexpr TimeNs kNever = std::numeric_limits<TimeNs>::max();

void Sum(ServiceTotals& into, const ServiceTotals& t) {
  into.flows += t.flows;
  into.packets += t.packets;
  into.payload_bytes += t.payload_bytes;
  into.calls += t.calls;
  into.failed_calls += t.failed_calls;
}

FlowKey Canonical(const FlowKey& k) { return std::min(k, k.Reversed()); }

// A packet that may be evidence long after it was seen, whatever the flow did since.
bool NotableOnItsOwn(const Packet& p) {
  if (p.icmp_error || p.dns || p.neighbour) return true;
  if (p.tls && p.tls->alert) return true;
  if (p.tcp) {
    const TcpSegment& t = *p.tcp;
    return t.has(kTcpSyn) || t.has(kTcpFin) || t.has(kTcpRst) ||
           (t.window == 0 && !t.has(kTcpSyn));
  }
  return false;
}

}  // namespace

// The stories and the events they hold.
class SessionRecord::Stories {
 public:
  explicit Stories(const RecordLimits& limits) : limits_(limits) {}

  void AddCall(const SyscallEvent& call, SessionTotals& totals) {
    calls_.Add(call.id, call);
    Story& story = StoryForCall(call);
    if (story.type == Type::kSocket) socket_story_of_call_[call.id] = story.id;
    Keep(story, call.id, /*notable=*/false, /*is_call=*/true);
    story.last_ns = std::max(story.last_ns, std::max(call.exit_ns, call.entry_ns));
    if (call.socket) {
      if (auto flow = call.socket->Flow(); flow && flow->remote.port != 0) {
        Story& fs = FlowStory(Canonical(*flow));
        if (std::find(story.linked.begin(), story.linked.end(), fs.id) == story.linked.end()) {
          story.linked.push_back(fs.id);
          if (story.linked.size() > 4) story.linked.erase(story.linked.begin());
        }
        ++fs.calls;
        if (call.failed()) ++fs.failed_calls;
        const bool serving = call.kind == CallKind::kAccept || IsServing(*flow);
        if (!fs.oriented || (serving && !fs.served_by_program)) Orient(fs, *flow, serving);
      }
    }
    // A closed fd's story ends with it; the next socket on that fd starts a new one.
    if (call.kind == CallKind::kClose && call.fd >= 0 && story.type == Type::kSocket) {
      End(story);
      Unindex(story);
      story.indexed = false;
      for (uint64_t id : story.linked) {
        if (auto it = stories_.find(id); it != stories_.end() && it->second.transport_udp) {
          End(it->second);
        }
      }
    }
    ++totals.calls_by_name[call.name];
  }

  void AddPacket(const Packet& packet) {
    packets_.Add(packet.id, packet);
    Story& story = StoryForPacket(packet);
    bool notable = NotableOnItsOwn(packet);
    if (story.type == Type::kFlow && packet.tcp) notable |= TrackRetransmission(story, packet);
    Keep(story, packet.id, notable, /*is_call=*/false);
    story.last_ns = std::max(story.last_ns, packet.ts_ns);
    ++story.packets;
    story.payload_bytes += packet.payload_len;
  }

  // Holds, for good, what the report shows around `f`.
  void Pin(const Finding& f) {
    std::vector<const Story*> related;
    const SyscallEvent& call = f.call;
    if (const Story* socket = SocketStoryOf(call); socket != nullptr) {
      related.push_back(socket);
      for (uint64_t id : socket->linked) {
        if (auto l = stories_.find(id); l != stories_.end()) related.push_back(&l->second);
      }
    }
    if (f.flow) {
      if (auto it = flow_index_.find(Canonical(*f.flow)); it != flow_index_.end()) {
        related.push_back(&stories_.at(it->second));
      }
    }
    for (const Story* s : related) {
      for (uint64_t id : s->AllIds()) PinId(id, s->holds_calls);
    }
    if (auto it = waits_index_.find(call.pid); it != waits_index_.end() && call.fd >= 0) {
      for (uint64_t id : stories_.at(it->second).AllIds()) {
        // A wait belongs to this finding's context only if it waited on its socket.
        if (WaitedOn(id, call.fd)) PinId(id, /*is_call=*/true);
      }
    }
    for (uint64_t id : f.evidence) PinId(id, /*is_call=*/false);
    PinId(call.id, /*is_call=*/true);
    if (f.resolved_by) PinId(f.resolved_by->id, /*is_call=*/true);
  }

  void Release(TimeNs watermark, std::map<std::pair<Transport, Endpoint>, ServiceTotals>& done,
               ServiceTotals& others, size_t max_services) {
    // Only the stories whose deadline may have passed are looked at: walking every story at
    // every tick was a busy session's top cost after the tracer's own.
    std::vector<uint64_t> gone;
    while (!due_.empty() && due_.top().first < watermark) {
      const auto [deadline, id] = due_.top();
      due_.pop();
      auto it = stories_.find(id);
      if (it == stories_.end() || it->second.queued != deadline) continue;  // superseded
      Story& s = it->second;
      s.queued = kNever;
      if (Deadline(s) < watermark) {
        gone.push_back(id);
      } else {
        Schedule(s);  // it has had events since: its deadline moved on
      }
    }
    if (stories_.size() - gone.size() > limits_.max_stories) {
      std::vector<std::pair<TimeNs, uint64_t>> by_age;
      absl::flat_hash_set<uint64_t> going(gone.begin(), gone.end());
      for (const auto& [id, s] : stories_) {
        if (!going.contains(id)) by_age.emplace_back(s.last_ns, id);
      }
      std::sort(by_age.begin(), by_age.end());
      const size_t excess = by_age.size() - limits_.max_stories;
      for (size_t i = 0; i < excess; ++i) gone.push_back(by_age[i].second);
    }
    for (uint64_t id : gone) Forget(id, done, others, max_services);
  }

  // The totals of the flows still alive, as if they ended now.
  void AddAliveServices(std::map<std::pair<Transport, Endpoint>, ServiceTotals>& into) const {
    for (const auto& [id, s] : stories_) {
      if (s.type == Type::kFlow) Fold(s, into);
    }
  }

  std::vector<SyscallEvent> Calls() const { return calls_.SortedById(); }
  std::vector<Packet> Packets() const { return packets_.SortedById(); }
  size_t calls_kept() const { return calls_.size(); }
  size_t packets_kept() const { return packets_.size(); }
  size_t alive() const { return stories_.size(); }

 private:
  enum class Type : uint8_t { kSocket, kFlow, kWaits, kProcessCalls, kLink };

  struct Story {
    uint64_t id = 0;
    Type type = Type::kSocket;
    bool holds_calls = true;
    TimeNs last_ns = 0;
    bool ended = false;
    TimeNs queued = kNever;  // its earliest deadline in due_
    std::vector<uint64_t> first;
    std::deque<uint64_t> latest;
    std::vector<uint64_t> notable_first;
    std::deque<uint64_t> notable_latest;
    // Index keys, to unlink the story when it is let go.
    FlowKey flow;  // kFlow: canonical
    int32_t pid = 0;
    int32_t fd = -1;
    bool indexed = true;
    std::vector<uint64_t> linked;  // kSocket: the flow stories of its socket
    // kFlow: what the totals say about it.
    bool transport_udp = false;
    bool oriented = false;
    Endpoint service;
    bool served_by_program = false;
    bool fin[2] = {false, false};  // [0]: from the canonical local side
    bool seq_known[2] = {false, false};
    uint32_t next_seq[2] = {0, 0};
    uint64_t packets = 0, payload_bytes = 0, calls = 0, failed_calls = 0;

    std::vector<uint64_t> AllIds() const {
      std::vector<uint64_t> ids(first.begin(), first.end());
      ids.insert(ids.end(), latest.begin(), latest.end());
      ids.insert(ids.end(), notable_first.begin(), notable_first.end());
      ids.insert(ids.end(), notable_latest.begin(), notable_latest.end());
      return ids;
    }
  };

  void Hold(uint64_t id, bool is_call) { is_call ? calls_.Hold(id) : packets_.Hold(id); }
  void Drop(uint64_t id, bool is_call) { is_call ? calls_.Drop(id) : packets_.Drop(id); }

  void PinId(uint64_t id, bool is_call) {
    auto& pinned = is_call ? pinned_calls_ : pinned_packets_;
    const bool present = is_call ? calls_.contains(id) : packets_.contains(id);
    if (present && pinned.insert(id).second) Hold(id, is_call);
  }

  bool WaitedOn(uint64_t call_id, int fd) const {
    bool found = false;
    calls_.Visit(call_id, [&](const SyscallEvent& c) {
      for (const FdSocket& w : c.waited) found |= w.fd == fd;
    });
    return found;
  }

  void Keep(Story& s, uint64_t id, bool notable, bool is_call) {
    if (s.first.size() < limits_.first_events) {
      s.first.push_back(id);
      Hold(id, is_call);
      return;
    }
    s.latest.push_back(id);
    Hold(id, is_call);
    if (s.latest.size() > limits_.latest_events) {
      if (s.type == Type::kSocket) socket_story_of_call_.erase(s.latest.front());
      Drop(s.latest.front(), is_call);
      s.latest.pop_front();
    }
    if (!notable) return;
    if (s.notable_first.size() < limits_.notable_first) {
      s.notable_first.push_back(id);
      Hold(id, is_call);
      return;
    }
    s.notable_latest.push_back(id);
    Hold(id, is_call);
    if (s.notable_latest.size() > limits_.notable_latest) {
      Drop(s.notable_latest.front(), is_call);
      s.notable_latest.pop_front();
    }
  }

  Story& NewStory(Type type, bool holds_calls) {
    const uint64_t id = ++next_id_;
    Story& s = stories_[id];
    s.id = id;
    s.type = type;
    s.holds_calls = holds_calls;
    Schedule(s);
    return s;
  }

  // When a story may be let go: after linger_ns once ended, after idle_ns of silence anyway.
  // Events only move it later, so the queue may hold a deadline that is too early (it is then
  // rescheduled when it comes up), never one that is too late.
  TimeNs Deadline(const Story& s) const {
    const TimeNs idle = s.last_ns + limits_.idle_ns;
    return s.ended ? std::min(idle, s.last_ns + limits_.linger_ns) : idle;
  }
  void Schedule(Story& s) {
    const TimeNs d = Deadline(s);
    if (d >= s.queued) return;
    s.queued = d;
    due_.emplace(d, s.id);
  }

  Story& StoryForCall(const SyscallEvent& call) {
    if (call.kind == CallKind::kWait) return Indexed(waits_index_, call.pid, Type::kWaits);
    if (call.fd < 0) return Indexed(process_calls_index_, call.pid, Type::kProcessCalls);
    auto [it, inserted] = socket_index_.try_emplace({call.pid, call.fd}, 0);
    if (!inserted) return stories_.at(it->second);
    Story& s = NewStory(Type::kSocket, true);
    s.pid = call.pid;
    s.fd = call.fd;
    it->second = s.id;
    return s;
  }

  Story& Indexed(absl::flat_hash_map<int32_t, uint64_t>& index, int32_t pid, Type type) {
    auto [it, inserted] = index.try_emplace(pid, 0);
    if (!inserted) return stories_.at(it->second);
    Story& s = NewStory(type, true);
    s.pid = pid;
    it->second = s.id;
    return s;
  }

  Story& FlowStory(const FlowKey& canonical) {
    auto [it, inserted] = flow_index_.try_emplace(canonical, 0);
    if (!inserted) return stories_.at(it->second);
    Story& s = NewStory(Type::kFlow, false);
    s.flow = canonical;
    s.transport_udp = canonical.transport == Transport::kUdp;
    it->second = s.id;
    return s;
  }

  Story& StoryForPacket(const Packet& p) {
    FlowKey flow;
    if (p.icmp_error) {
      flow = p.icmp_error->original;
    } else if ((p.transport == Transport::kTcp || p.transport == Transport::kUdp) &&
               p.ip != IpAddress::Family::kNone) {
      flow = p.SenderFlow();
    } else {
      if (link_story_ == 0 || !stories_.contains(link_story_)) {
        link_story_ = NewStory(Type::kLink, false).id;
        stories_.at(link_story_).indexed = false;
      }
      return stories_.at(link_story_);
    }
    const FlowKey canonical = Canonical(flow);
    // A new connection on a reused 4-tuple is a new story.
    if (p.tcp && p.tcp->has(kTcpSyn) && !p.tcp->has(kTcpAck) && !p.icmp_error) {
      if (auto it = flow_index_.find(canonical); it != flow_index_.end()) {
        Story& old = stories_.at(it->second);
        if (old.ended) {
          old.indexed = false;
          flow_index_.erase(it);
        }
      }
    }
    Story& s = FlowStory(canonical);
    if (!p.icmp_error && p.tcp) {
      const int dir = p.SenderFlow() == canonical ? 0 : 1;
      if (!s.oriented && p.tcp->has(kTcpSyn)) {
        // The SYN goes to the server; the SYN-ACK comes from it.
        Orient(s, p.tcp->has(kTcpAck) ? p.SenderFlow().Reversed() : p.SenderFlow(), false);
        s.served_by_program = served_hint_.contains(s.service);
      }
      if (p.tcp->has(kTcpFin)) s.fin[dir] = true;
      if (p.tcp->has(kTcpRst) || (s.fin[0] && s.fin[1])) End(s);
    }
    return s;
  }

  // `seen_from`: a flow as seen by its client (local = client, remote = server), unless
  // `serving` says the local side is the server.
  void Orient(Story& s, const FlowKey& seen_from, bool serving) {
    s.oriented = true;
    s.service = serving ? seen_from.local : seen_from.remote;
    s.served_by_program = serving;
    if (serving) served_hint_.insert(s.service);
  }

  bool IsServing(const FlowKey& flow) const { return served_hint_.contains(flow.local); }

  // A data segment that starts before what the same side already sent: a retransmission.
  bool TrackRetransmission(Story& s, const Packet& p) {
    const TcpSegment& t = *p.tcp;
    const int dir = p.SenderFlow() == s.flow ? 0 : 1;
    const uint32_t len = p.payload_len + (t.has(kTcpSyn) ? 1 : 0) + (t.has(kTcpFin) ? 1 : 0);
    if (len == 0) return false;
    const uint32_t end = t.seq + len;
    bool resent = false;
    if (s.seq_known[dir]) {
      resent = static_cast<int32_t>(t.seq - s.next_seq[dir]) < 0;
      if (static_cast<int32_t>(end - s.next_seq[dir]) > 0) s.next_seq[dir] = end;
    } else {
      s.seq_known[dir] = true;
      s.next_seq[dir] = end;
    }
    return resent;
  }

  // The socket story that holds `call`. A finding is decided after its call's evidence window,
  // often after the socket closed and its fd named the next one: found by the call's id, not
  // by its fd. A call already rotated out of a long-lived socket's story: the fd's open story.
  const Story* SocketStoryOf(const SyscallEvent& call) const {
    if (auto it = socket_story_of_call_.find(call.id); it != socket_story_of_call_.end()) {
      if (auto s = stories_.find(it->second); s != stories_.end()) return &s->second;
    }
    if (call.fd < 0) return nullptr;
    auto it = socket_index_.find({call.pid, call.fd});
    return it == socket_index_.end() ? nullptr : &stories_.at(it->second);
  }

  void End(Story& s) {
    s.ended = true;
    Schedule(s);
  }

  static void Fold(const Story& s, std::map<std::pair<Transport, Endpoint>, ServiceTotals>& into) {
    if (s.packets == 0 && s.calls == 0) return;
    Endpoint service = s.service;
    if (!s.oriented) {
      // Without a SYN or a call to say which side serves: the lower port.
      service = s.flow.local.port <= s.flow.remote.port ? s.flow.local : s.flow.remote;
    }
    ServiceTotals& t = into[{s.flow.transport, service}];
    t.transport = s.flow.transport;
    t.service = service;
    t.served_by_program |= s.served_by_program;
    ServiceTotals one;
    one.flows = 1;
    one.packets = s.packets;
    one.payload_bytes = s.payload_bytes;
    one.calls = s.calls;
    one.failed_calls = s.failed_calls;
    Sum(t, one);
  }

  void Forget(uint64_t id, std::map<std::pair<Transport, Endpoint>, ServiceTotals>& done,
              ServiceTotals& others, size_t max_services) {
    auto it = stories_.find(id);
    if (it == stories_.end()) return;
    Story& s = it->second;
    if (s.type == Type::kFlow) {
      std::map<std::pair<Transport, Endpoint>, ServiceTotals> one;
      Fold(s, one);
      for (auto& [key, t] : one) {
        if (done.contains(key) || done.size() < 4 * max_services) {
          ServiceTotals& d = done[key];
          d.transport = t.transport;
          d.service = t.service;
          d.served_by_program |= t.served_by_program;
          Sum(d, t);
        } else {
          Sum(others, t);
        }
      }
    }
    for (uint64_t held : s.AllIds()) Drop(held, s.holds_calls);
    if (s.indexed) Unindex(s);
    if (s.type == Type::kSocket) {
      for (uint64_t call : s.AllIds()) socket_story_of_call_.erase(call);
    }
    if (link_story_ == id) link_story_ = 0;
    stories_.erase(it);
  }

  void Unindex(const Story& s) {
    const auto erase_if_mine = [&](auto& index, const auto& key) {
      if (auto it = index.find(key); it != index.end() && it->second == s.id) index.erase(it);
    };
    switch (s.type) {
      case Type::kSocket: erase_if_mine(socket_index_, std::make_pair(s.pid, s.fd)); break;
      case Type::kFlow: erase_if_mine(flow_index_, s.flow); break;
      case Type::kWaits: erase_if_mine(waits_index_, s.pid); break;
      case Type::kProcessCalls: erase_if_mine(process_calls_index_, s.pid); break;
      case Type::kLink: break;
    }
  }

  const RecordLimits& limits_;
  uint64_t next_id_ = 0;
  std::map<uint64_t, Story> stories_;
  // (deadline, story id), earliest first; entries whose story moved on are skipped.
  std::priority_queue<std::pair<TimeNs, uint64_t>, std::vector<std::pair<TimeNs, uint64_t>>,
                      std::greater<>>
      due_;
  absl::flat_hash_map<std::pair<int32_t, int32_t>, uint64_t> socket_index_;
  // call id -> its socket story, for the calls a socket story lists.
  absl::flat_hash_map<uint64_t, uint64_t> socket_story_of_call_;
  absl::flat_hash_map<FlowKey, uint64_t> flow_index_;
  absl::flat_hash_map<int32_t, uint64_t> waits_index_;
  absl::flat_hash_map<int32_t, uint64_t> process_calls_index_;
  uint64_t link_story_ = 0;
  // Endpoints the program's own sockets accepted on: flows to them are served by the program.
  absl::flat_hash_set<Endpoint> served_hint_;
  HeldEvents<SyscallEvent> calls_;
  HeldEvents<Packet> packets_;
  absl::flat_hash_set<uint64_t> pinned_calls_;
  absl::flat_hash_set<uint64_t> pinned_packets_;
};

SessionRecord::SessionRecord(RecordLimits limits)
    : limits_(limits), stories_(std::make_unique<Stories>(limits_)) {}
SessionRecord::~SessionRecord() = default;

void SessionRecord::AddCall(const SyscallEvent& call) {
  ++totals_.calls_seen;
  if (call.failed()) ++totals_.calls_failed;
  stories_->AddCall(call, totals_);
}

void SessionRecord::AddPacket(const Packet& packet) {
  ++totals_.packets_seen;
  stories_->AddPacket(packet);
}

void SessionRecord::AddProcess(const ProcessEvent& event) {
  ++totals_.process_events_seen;
  if (first_processes_.size() < limits_.process_events) {
    first_processes_.push_back(event);
    return;
  }
  if (latest_processes_.size() < limits_.process_events) {
    latest_processes_.push_back(event);
    return;
  }
  latest_processes_[latest_process_next_] = event;
  latest_process_next_ = (latest_process_next_ + 1) % latest_processes_.size();
}

bool SessionRecord::Keeps(const Finding& finding) const {
  if (finding.severity != FindingSeverity::kInfo) return true;
  auto it = info_kept_.find(finding.kind);
  return it == info_kept_.end() || it->second < limits_.info_findings_per_kind;
}

void SessionRecord::AddFinding(Finding finding) {
  if (!Keeps(finding)) {
    ++totals_.findings_let_go[std::string(FindingKindName(finding.kind))];
    return;
  }
  if (finding.severity == FindingSeverity::kInfo) ++info_kept_[finding.kind];
  stories_->Pin(finding);
  findings_.push_back(std::move(finding));
}

void SessionRecord::Release(TimeNs watermark) {
  stories_->Release(watermark, services_, totals_.others, limits_.max_services);
}

size_t SessionRecord::calls_kept() const { return stories_->calls_kept(); }
size_t SessionRecord::packets_kept() const { return stories_->packets_kept(); }
size_t SessionRecord::stories_alive() const { return stories_->alive(); }

SessionRecord::View SessionRecord::Snapshot() const {
  View v;
  v.calls = stories_->Calls();
  v.packets = stories_->Packets();
  v.processes = first_processes_;
  // The ring from its oldest entry on.
  for (size_t i = 0; i < latest_processes_.size(); ++i) {
    v.processes.push_back(latest_processes_[(latest_process_next_ + i) % latest_processes_.size()]);
  }
  v.findings = findings_;
  v.totals = totals_;
  v.totals.calls_kept = v.calls.size();
  v.totals.packets_kept = v.packets.size();
  std::map<std::pair<Transport, Endpoint>, ServiceTotals> services = services_;
  stories_->AddAliveServices(services);
  for (auto& [key, t] : services) v.totals.by_service.push_back(t);
  std::stable_sort(v.totals.by_service.begin(), v.totals.by_service.end(),
                   [](const ServiceTotals& a, const ServiceTotals& b) {
                     return a.packets + a.calls > b.packets + b.calls;
                   });
  while (v.totals.by_service.size() > limits_.max_services) {
    Sum(v.totals.others, v.totals.by_service.back());
    v.totals.by_service.pop_back();
  }
  return v;
}

void SessionRecord::View::Fill(ReportInput& input) const {
  input.calls = calls;
  input.packets = packets;
  input.processes = processes;
  input.findings = findings;
  input.totals = &totals;
}

}  // namespace netcorr::report
