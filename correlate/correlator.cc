#include "correlate/correlator.h"

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <limits>
#include <map>
#include <optional>
#include <string_view>

#include "absl/algorithm/container.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "correlate/dns_rules.h"
#include "correlate/finding_text.h"
#include "correlate/flow_state.h"
#include "correlate/local_addresses.h"
#include "correlate/path_rules.h"
#include "correlate/rule_context.h"
#include "correlate/tcp_connect_rules.h"
#include "correlate/tcp_stream_rules.h"
#include "correlate/tls_rules.h"
#include "correlate/udp_rules.h"
#include "correlate/unexplained.h"
#include "src/socket_model/observed_identity.h"

namespace netcorr::correlate {

namespace {

constexpr size_t kMaxDestinationsPerSocket = 8;
constexpr TimeNs kSweepIntervalNs = 1'000'000'000;

// Errnos that say something about the network; a failing call with one of them that no rule
// explains is reported as unexplained rather than dropped.
bool IsNetworkErrno(int err) {
  switch (err) {
    case ECONNREFUSED:
    case ECONNRESET:
    case ECONNABORTED:
    case ETIMEDOUT:
    case EHOSTUNREACH:
    case ENETUNREACH:
    case ENETDOWN:
    case EPIPE:
    case EMSGSIZE:
    case EADDRNOTAVAIL:
    case EACCES:
    case EPERM:
      return true;
    default:
      return false;
  }
}

// The calls whose packets are their own evidence: they connect to, send to or receive from a peer.
bool CarriesTraffic(CallKind kind) {
  return kind == CallKind::kConnect || kind == CallKind::kSend || kind == CallKind::kRecv;
}

Transport TransportOf(const SocketIdentity& s) {
  if (s.transport != Transport::kUnknown) return s.transport;
  if (s.family != AF_INET && s.family != AF_INET6) return Transport::kUnknown;
  if (s.type == SOCK_STREAM) return Transport::kTcp;
  if (s.type == SOCK_DGRAM) return Transport::kUdp;
  return Transport::kUnknown;
}

uint64_t SocketKey(int32_t pid, int fd) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(pid)) << 32) | static_cast<uint32_t>(fd);
}

// A flow as far as a call tells it: the local end may be partly unknown (port 0 before the
// kernel bound it, or an unspecified address for a socket bound to 0.0.0.0/::); the remote may
// be one of several destinations of an unconnected UDP socket.
struct PartialFlow {
  Transport transport = Transport::kUnknown;
  std::optional<Endpoint> local;
  std::vector<Endpoint> remotes;

  bool LocalMatches(const Endpoint& e) const {
    if (!local) return true;
    if (local->port != 0 && local->port != e.port) return false;
    if (local->addr.is_set() && !local->addr.is_unspecified() && local->addr != e.addr) {
      return false;
    }
    return true;
  }
  bool Exact() const {
    return local && local->port != 0 && local->addr.is_set() && !local->addr.is_unspecified();
  }
};

// Whether an attempt's packets tell the same story as the connect's outcome.
bool Agrees(const TcpConnection& c, const ConnectOutcome& o) {
  const bool rst = c.dir[0].rst.has_value() || c.dir[1].rst.has_value();
  if (o.error == 0 && o.ending != ConnectOutcome::Ending::kStillBlocked &&
      o.ending != ConnectOutcome::Ending::kAppGaveUp) {
    return c.syn_ack.has_value();
  }
  if (o.error == ECONNREFUSED) return rst || !c.icmp.empty();
  if (o.error == ETIMEDOUT || o.error == 0) return !c.syn_ack && !rst;
  return !c.icmp.empty() || (!c.syn_ack && !rst);
}

}  // namespace

class Correlator::Impl {
 public:
  explicit Impl(CorrelatorOptions options) : options_(std::move(options)) {
    for (const IpAddress& a : options_.local_addresses) local_.Add(a);
  }

  void AddPacket(const Packet& p) {
    if (p.ip == IpAddress::Family::kNone) return;
    flows_.Add(p);
    last_time_ = std::max(last_time_, p.ts_ns);
  }

  void SetCaptureStats(const CaptureStats& stats) { capture_ = stats; }
  void AddProcessEvent(const ProcessEvent& event);

  void AddSyscall(const SyscallEvent& call);
  std::vector<Finding> Advance(TimeNs watermark, bool finish);
  std::vector<Finding> Finish();

  size_t live_flow_count() const { return flows_.size(); }
  size_t pending_call_count() const { return queue_.size() + pending_connects_.size(); }

 private:
  struct SocketState {
    SocketIdentity identity;
    std::optional<Endpoint> peer;   // connect()'s address
    std::vector<Endpoint> sent_to;  // sendto destinations of an unconnected socket
    std::optional<NormalizedFlowKey> registered;
    std::optional<std::pair<Transport, uint16_t>> registered_port;  // unconnected sockets
    bool eof_seen = false;
  };

  struct PendingConnect {
    SyscallEvent call;
    PartialFlow flow;
    std::optional<SyscallEvent> timed_out_wait;
  };

  struct Decision {
    SyscallEvent call;
    PartialFlow flow;
    std::optional<ConnectOutcome> connect;
    bool first_eof = false;
    // Waits: the UDP sockets a timed-out poll was waiting on.
    std::vector<PartialFlow> waited;
  };

  RuleContext Context() const { return RuleContext{options_, capture_, local_}; }
  const EvidenceWindow& window() const { return options_.evidence_window; }

  SocketState* StateFor(const SyscallEvent& call);
  PartialFlow FlowFor(const SyscallEvent& call, const SocketState* state) const;
  void Register(SocketState& s);
  void Unregister(SocketState& s);
  void Schedule(TimeNs deadline, Decision d);
  void ScheduleConnect(const PendingConnect& p, ConnectOutcome::Ending ending,
                       std::optional<SyscallEvent> resolved_by, int error, TimeNs end_ns);

  // A finding and the flow record its evidence came from (null when it has no evidence).
  struct Explanation {
    Finding finding;
    FlowRecord* record = nullptr;
  };

  std::vector<FlowRecord*> Records(const PartialFlow& flow);
  std::optional<Explanation> Decide(Decision& d);
  std::optional<Explanation> DecideConnectCall(Decision& d);
  std::optional<Explanation> DecideTcpCall(const Decision& d, const FlowKey& key,
                                           FlowRecord* record);
  std::optional<Explanation> DecideUdpCall(const Decision& d);
  std::optional<Explanation> NoResponse(const SyscallEvent& call, const PartialFlow& flow);
  void Sweep(TimeNs watermark);

  CorrelatorOptions options_;
  CaptureStats capture_;
  LocalAddresses local_;
  FlowTable flows_;
  absl::flat_hash_map<uint64_t, SocketState> sockets_;
  absl::flat_hash_map<uint64_t, PendingConnect> pending_connects_;  // by connect call id
  absl::flat_hash_map<uint64_t, uint64_t> pending_by_socket_;       // socket key -> connect id
  std::multimap<std::pair<TimeNs, uint64_t>, Decision> queue_;
  uint64_t next_seq_ = 0;
  absl::flat_hash_map<NormalizedFlowKey, int> open_flows_;
  absl::flat_hash_set<NormalizedFlowKey> closed_flows_;
  absl::flat_hash_map<std::pair<Transport, uint16_t>, int> open_ports_;
  TimeNs last_time_ = 0;
  TimeNs last_sweep_ = 0;
};

Correlator::Impl::SocketState* Correlator::Impl::StateFor(const SyscallEvent& call) {
  if (call.fd < 0) return nullptr;
  const uint64_t key = SocketKey(call.pid, call.fd);
  if (call.socket) {
    const SocketIdentity& id = *call.socket;
    if (id.family != AF_INET && id.family != AF_INET6 && TransportOf(id) == Transport::kUnknown) {
      return nullptr;
    }
    SocketState& s = sockets_[key];
    if (id.inode != 0 && s.identity.inode != 0 && s.identity.inode != id.inode) {
      // The fd now names another socket (the close went unseen: close_range, exec): forget the
      // old one's state and let its flows expire.
      Unregister(s);
      pending_by_socket_.erase(key);
      s = SocketState{};
    }
    // What the call shows adds to what was known, by the rule the decoders share (a failed
    // connect leaves no peer, and may forget the source address).
    socket_model::MergeObserved(s.identity, id);
    if (id.local) local_.Add(id.local->addr);
    return &s;
  }
  auto it = sockets_.find(key);
  return it == sockets_.end() ? nullptr : &it->second;
}

PartialFlow Correlator::Impl::FlowFor(const SyscallEvent& call, const SocketState* s) const {
  PartialFlow f;
  if (s == nullptr) return f;
  f.transport = TransportOf(s->identity);
  f.local = s->identity.local;
  if (s->identity.remote) {
    f.remotes.push_back(*s->identity.remote);
  } else if (call.address && CarriesTraffic(call.kind)) {
    f.remotes.push_back(*call.address);
  } else if (s->peer) {
    f.remotes.push_back(*s->peer);
  }
  for (const Endpoint& e : s->sent_to) {
    if (absl::c_find(f.remotes, e) == f.remotes.end()) f.remotes.push_back(e);
  }
  return f;
}

void Correlator::Impl::Register(SocketState& s) {
  std::optional<FlowKey> key = s.identity.Flow();
  if (!key || key->local.addr.is_unspecified() || key->local.port == 0) {
    // An unconnected socket (a resolver's sendto socket bound to 0.0.0.0:port) talks on many
    // flows: protect every flow on its local port while it is open.
    const Transport t = TransportOf(s.identity);
    if (!s.registered_port && s.identity.local && s.identity.local->port != 0) {
      s.registered_port = std::make_pair(t, s.identity.local->port);
      ++open_ports_[*s.registered_port];
    }
    return;
  }
  const NormalizedFlowKey n = NormalizedFlowKey::From(*key);
  if (s.registered && *s.registered == n) return;
  Unregister(s);
  ++open_flows_[n];
  closed_flows_.erase(n);
  s.registered = n;
}

void Correlator::Impl::Unregister(SocketState& s) {
  if (s.registered_port) {
    auto it = open_ports_.find(*s.registered_port);
    if (it != open_ports_.end() && --it->second <= 0) open_ports_.erase(it);
    s.registered_port.reset();
  }
  if (!s.registered) return;
  auto it = open_flows_.find(*s.registered);
  if (it != open_flows_.end() && --it->second <= 0) {
    open_flows_.erase(it);
    closed_flows_.insert(*s.registered);
  }
  s.registered.reset();
}

void Correlator::Impl::Schedule(TimeNs deadline, Decision d) {
  queue_.emplace(std::make_pair(deadline, next_seq_++), std::move(d));
}

void Correlator::Impl::ScheduleConnect(const PendingConnect& p, ConnectOutcome::Ending ending,
                                       std::optional<SyscallEvent> resolved_by, int error,
                                       TimeNs end_ns) {
  Decision d;
  d.call = p.call;
  d.flow = p.flow;
  ConnectOutcome o;
  o.call = p.call;
  o.resolved_by = std::move(resolved_by);
  o.ending = ending;
  o.error = error;
  o.end_ns = end_ns;
  d.connect = std::move(o);
  Schedule(window().LatestFor(end_ns), std::move(d));
}

void Correlator::Impl::AddSyscall(const SyscallEvent& call) {
  last_time_ = std::max(last_time_, call.exit_ns);
  if (call.address && call.kind == CallKind::kBind) local_.Add(call.address->addr);

  // A later call revealed the outcome of a non-blocking connect: decide the connect with it.
  if (call.resolves_call) {
    auto it = pending_connects_.find(*call.resolves_call);
    if (it != pending_connects_.end()) {
      ScheduleConnect(it->second, ConnectOutcome::Ending::kResolved, call, call.resolved_error,
                      call.exit_ns);
      pending_by_socket_.erase(SocketKey(it->second.call.pid, it->second.call.fd));
      pending_connects_.erase(it);
      // Its own error is the connect's outcome, explained there.
      if (call.error == call.resolved_error) return;
    }
  }

  SocketState* s = StateFor(call);
  const uint64_t skey = SocketKey(call.pid, call.fd);

  if (call.kind == CallKind::kWait) {
    const bool timed_out = call.finished && call.error == 0 && call.result == 0;
    Decision d;
    d.call = call;
    for (const FdSocket& w : call.waited) {
      auto pc = pending_by_socket_.find(SocketKey(call.pid, w.fd));
      if (pc != pending_by_socket_.end() && timed_out) {
        pending_connects_[pc->second].timed_out_wait = call;
        continue;
      }
      const Transport wt = TransportOf(w.socket);
      if (wt == Transport::kTcp) {
        // An established connection the program gave up waiting on: its retransmissions (or a
        // PMTU black hole) may be why nothing came.
        if (pc == pending_by_socket_.end() && w.socket.local && w.socket.remote) {
          PartialFlow f;
          f.transport = Transport::kTcp;
          f.local = w.socket.local;
          f.remotes.push_back(*w.socket.remote);
          d.waited.push_back(std::move(f));
        }
        continue;
      }
      if (wt != Transport::kUdp) continue;
      auto st = sockets_.find(SocketKey(call.pid, w.fd));
      SyscallEvent probe = call;
      probe.fd = w.fd;
      PartialFlow f = FlowFor(probe, st == sockets_.end() ? nullptr : &st->second);
      if (f.transport == Transport::kUnknown) {
        f.transport = Transport::kUdp;
        f.local = w.socket.local;
        if (w.socket.remote) f.remotes.push_back(*w.socket.remote);
      }
      d.waited.push_back(std::move(f));
    }
    if ((timed_out || !call.finished) && !d.waited.empty()) {
      Schedule(window().LatestFor(call), std::move(d));
    }
    return;
  }

  if (s == nullptr) return;  // not an IP socket call
  if (call.kind == CallKind::kClose) {
    auto pc = pending_by_socket_.find(skey);
    if (pc != pending_by_socket_.end()) {
      PendingConnect& p = pending_connects_[pc->second];
      std::optional<SyscallEvent> by = p.timed_out_wait ? p.timed_out_wait : call;
      ScheduleConnect(p, ConnectOutcome::Ending::kAppGaveUp, std::move(by), 0, call.exit_ns);
      pending_connects_.erase(pc->second);
      pending_by_socket_.erase(pc);
    }
    Decision d;
    d.call = call;
    d.flow = FlowFor(call, s);
    Unregister(*s);
    sockets_.erase(skey);
    if (d.flow.transport == Transport::kTcp) Schedule(window().LatestFor(call), std::move(d));
    return;
  }

  Register(*s);
  const Transport transport = TransportOf(s->identity);
  if (call.kind == CallKind::kConnect) {
    if (call.address) s->peer = call.address;
    if (transport == Transport::kTcp) {
      PendingConnect p{call, FlowFor(call, s), std::nullopt};
      if (call.finished && (call.error == EINPROGRESS || call.error == EALREADY)) {
        if (call.error == EINPROGRESS) {
          pending_by_socket_[skey] = call.id;
          pending_connects_[call.id] = std::move(p);
        }
        return;
      }
      ScheduleConnect(
          p,
          call.finished ? ConnectOutcome::Ending::kReturned : ConnectOutcome::Ending::kStillBlocked,
          std::nullopt, call.finished ? call.error : 0, call.exit_ns);
      return;
    }
  }
  if (!CarriesTraffic(call.kind)) return;
  if (transport == Transport::kUdp && call.kind == CallKind::kSend && call.address &&
      !s->identity.remote && absl::c_find(s->sent_to, *call.address) == s->sent_to.end()) {
    s->sent_to.push_back(*call.address);
    if (s->sent_to.size() > kMaxDestinationsPerSocket) s->sent_to.erase(s->sent_to.begin());
  }
  // Non-blocking sockets answer EAGAIN when nothing is there yet: normal, not a finding.
  if (call.finished && (call.error == EAGAIN || call.error == EINTR) && call.nonblocking) return;
  Decision d;
  d.call = call;
  d.flow = FlowFor(call, s);
  if (transport == Transport::kTcp && call.kind == CallKind::kRecv && call.finished &&
      call.error == 0 && call.result == 0) {
    d.first_eof = !s->eof_seen;
    s->eof_seen = true;
  }
  Schedule(window().LatestFor(call), std::move(d));
}

void Correlator::Impl::AddProcessEvent(const ProcessEvent& event) {
  if (event.kind != ProcessEvent::Kind::kExited && event.kind != ProcessEvent::Kind::kKilled &&
      event.kind != ProcessEvent::Kind::kDetached) {
    return;
  }
  last_time_ = std::max(last_time_, event.time_ns);
  // A detached process keeps running: its pending connect is undecided, not abandoned.
  const bool gone = event.kind != ProcessEvent::Kind::kDetached;
  std::vector<uint64_t> connects;
  for (const auto& [id, p] : pending_connects_) {
    if (p.call.pid == event.pid) connects.push_back(id);
  }
  std::sort(connects.begin(), connects.end());
  for (uint64_t id : connects) {
    const PendingConnect& p = pending_connects_[id];
    ScheduleConnect(
        p, gone ? ConnectOutcome::Ending::kAppGaveUp : ConnectOutcome::Ending::kStillBlocked,
        p.timed_out_wait, 0, std::max(event.time_ns, p.call.exit_ns));
    pending_by_socket_.erase(SocketKey(p.call.pid, p.call.fd));
    pending_connects_.erase(id);
  }
  for (auto it = sockets_.begin(); it != sockets_.end();) {
    if (static_cast<int32_t>(it->first >> 32) == event.pid) {
      Unregister(it->second);
      sockets_.erase(it++);
    } else {
      ++it;
    }
  }
}

std::vector<FlowRecord*> Correlator::Impl::Records(const PartialFlow& flow) {
  std::vector<FlowRecord*> out;
  for (const Endpoint& remote : flow.remotes) {
    if (flow.Exact()) {
      if (FlowRecord* r =
              flows_.FindMutable(NormalizedFlowKey::From(flow.transport, *flow.local, remote))) {
        out.push_back(r);
      }
      continue;
    }
    for (FlowRecord* r : flows_.FindByRemote(flow.transport, remote)) {
      const Endpoint& other = r->key.a == remote ? r->key.b : r->key.a;
      if (flow.LocalMatches(other)) out.push_back(r);
    }
  }
  return out;
}

std::optional<Correlator::Impl::Explanation> Correlator::Impl::DecideConnectCall(Decision& d) {
  ConnectOutcome& o = *d.connect;
  const TimeNs from = window().EarliestFor(o.call);
  const TimeNs to = window().LatestFor(o.end_ns);
  TcpConnection* attempt = nullptr;
  FlowRecord* attempt_record = nullptr;
  bool attempt_agrees = false;
  for (FlowRecord* r : Records(d.flow)) {
    for (TcpConnection& c : r->tcp) {
      if (c.claimed_by != 0 && c.claimed_by != o.call.id) continue;
      if (c.first_ts < from || c.first_ts > to) continue;
      if (c.initiator_side >= 0 && d.flow.local) {
        const Endpoint& init = c.initiator_side == 0 ? r->key.a : r->key.b;
        if (!d.flow.LocalMatches(init)) continue;
      }
      // With the local port unknown, several attempts may fit the window (two threads
      // connecting at once): prefer the one whose packets agree with the outcome.
      const bool agrees = Agrees(c, o);
      if (attempt == nullptr || (agrees && !attempt_agrees) ||
          (agrees == attempt_agrees && c.first_ts < attempt->first_ts)) {
        attempt = &c;
        attempt_record = r;
        attempt_agrees = agrees;
      }
    }
  }
  if (attempt) {
    attempt->claimed_by = o.call.id;
    const NormalizedFlowKey& k = attempt_record->key;
    const Endpoint& remote = d.flow.remotes.empty() ? k.b : d.flow.remotes.front();
    o.flow = FlowKey{Transport::kTcp, k.a == remote ? k.b : k.a, remote};
  } else {
    o.flow = FlowKey{Transport::kTcp, d.flow.local.value_or(Endpoint{}),
                     d.flow.remotes.empty() ? Endpoint{} : d.flow.remotes.front()};
  }
  const RuleContext ctx = Context();
  std::optional<Finding> f;
  if (o.error == 0 && (o.ending == ConnectOutcome::Ending::kReturned ||
                       o.ending == ConnectOutcome::Ending::kResolved)) {
    if (attempt) f = DecideSlowConnect(o, *attempt, ctx);
  } else {
    f = DecideConnect(o, attempt, ctx);
  }
  if (!f) return std::nullopt;
  return Explanation{std::move(*f), attempt_record};
}

std::optional<Correlator::Impl::Explanation> Correlator::Impl::DecideTcpCall(const Decision& d,
                                                                             const FlowKey& key,
                                                                             FlowRecord* record) {
  const SyscallEvent& call = d.call;
  const RuleContext ctx = Context();
  TcpConnection* conn = nullptr;
  if (record) {
    // The connection alive during the call: the latest one that started before it ended.
    for (TcpConnection& c : record->tcp) {
      if (c.first_ts <= window().LatestFor(call)) conn = &c;
    }
  }
  if (conn) {
    const NormalizedFlowKey n = NormalizedFlowKey::From(key);
    const int remote = n.SideOf(key.remote);
    for (const TlsAlertRecord& a : conn->alerts) {
      if (record->Explained(a.ref.id) || a.description == 0) continue;  // 0: close_notify
      const bool from_peer = a.from_side == remote;
      const bool failing = call.kind == CallKind::kClose || (call.finished && call.error != 0);
      bool mine = false;
      if (from_peer) {
        mine = (call.kind == CallKind::kRecv && a.ref.ts <= window().LatestReceivedBy(call)) ||
               (failing && a.ref.ts <= window().LatestFor(call));
      } else {
        mine = (call.kind == CallKind::kSend || call.kind == CallKind::kClose) &&
               window().Contains(call, a.ref.ts);
      }
      if (mine) return Explanation{TlsAlertFinding(call, key, *conn, a, from_peer), record};
    }
  }
  if (call.kind == CallKind::kClose) return std::nullopt;
  std::optional<Finding> f = DecideStreamCall(call, key, conn, record, d.first_eof, ctx);
  if (!f) return std::nullopt;
  return Explanation{std::move(*f), record};
}

std::optional<Correlator::Impl::Explanation> Correlator::Impl::NoResponse(const SyscallEvent& call,
                                                                          const PartialFlow& flow) {
  const RuleContext ctx = Context();
  for (FlowRecord* r : Records(flow)) {
    for (const Endpoint& rem : flow.remotes) {
      const int rs = r->key.SideOf(rem);
      if (rs < 0) continue;
      const Endpoint& loc = rs == 0 ? r->key.b : r->key.a;
      const FlowKey key{flow.transport, loc, rem};
      const RefList& pending = r->udp.unanswered[1 - rs];
      // One finding per silence: a resolver retrying with poll after poll is one no_response.
      if (pending.empty() || r->Explained(pending.items().front().id)) continue;
      if (std::optional<Finding> f = DecideNoResponse(call, key, *r, ctx)) {
        return Explanation{std::move(*f), r};
      }
    }
  }
  return std::nullopt;
}

std::optional<Correlator::Impl::Explanation> Correlator::Impl::DecideUdpCall(const Decision& d) {
  const SyscallEvent& call = d.call;
  const RuleContext ctx = Context();
  std::vector<FlowRecord*> records = Records(d.flow);
  auto key_of = [&](const FlowRecord* r) {
    const Endpoint& remote = d.flow.remotes.front();
    return FlowKey{Transport::kUdp, r->key.a == remote ? r->key.b : r->key.a, remote};
  };
  if (d.flow.remotes.empty()) return std::nullopt;
  const FlowKey fallback{Transport::kUdp, d.flow.local.value_or(Endpoint{}),
                         d.flow.remotes.front()};

  if (call.finished && call.error != 0 && call.error != EAGAIN && call.error != EINTR) {
    FlowRecord* r = records.empty() ? nullptr : records.front();
    std::optional<Finding> f = DecideUdpError(call, r ? key_of(r) : fallback, r, ctx);
    if (!f) return std::nullopt;
    return Explanation{std::move(*f), r};
  }
  if (call.kind == CallKind::kRecv && call.finished && call.error == 0) {
    // RFC 1035 4.1.1: the answer's RCODE; a receive that returned it got the bad news.
    for (FlowRecord* r : records) {
      const int remote = r->key.SideOf(d.flow.remotes.front());
      for (const DnsQueryRecord& q : r->dns) {
        if (!q.response || r->Explained(q.response->id) || q.rcode == 0 ||
            q.query_side != 1 - remote) {
          continue;
        }
        if (!window().ReceivedDuring(call, q.response->ts)) continue;
        return Explanation{DnsError(call, key_of(r), q), r};
      }
    }
    return std::nullopt;
  }
  if (call.kind == CallKind::kRecv && (!call.finished || call.error == EAGAIN)) {
    return NoResponse(call, d.flow);
  }
  return std::nullopt;
}

std::optional<Correlator::Impl::Explanation> Correlator::Impl::Decide(Decision& d) {
  if (d.connect) return DecideConnectCall(d);
  if (d.call.kind == CallKind::kWait) {
    for (const PartialFlow& f : d.waited) {
      if (f.transport == Transport::kTcp) {
        for (FlowRecord* r : Records(f)) {
          if (r->tcp.empty()) continue;
          const FlowKey key{Transport::kTcp, *f.local, f.remotes.front()};
          if (std::optional<Finding> finding =
                  DecidePath(d.call, key, r->tcp.back(), *r, Context())) {
            return Explanation{std::move(*finding), r};
          }
        }
        continue;
      }
      if (std::optional<Explanation> e = NoResponse(d.call, f)) return e;
    }
    return std::nullopt;
  }
  std::optional<Explanation> e;
  if (d.flow.transport == Transport::kTcp) {
    std::vector<FlowRecord*> records = Records(d.flow);
    FlowRecord* r = records.empty() ? nullptr : records.front();
    std::optional<FlowKey> key;
    if (r && !d.flow.remotes.empty()) {
      const Endpoint& remote = d.flow.remotes.front();
      key = FlowKey{Transport::kTcp, r->key.a == remote ? r->key.b : r->key.a, remote};
    } else if (d.flow.local && !d.flow.remotes.empty()) {
      key = FlowKey{Transport::kTcp, *d.flow.local, d.flow.remotes.front()};
    }
    if (key) e = DecideTcpCall(d, *key, r);
  } else if (d.flow.transport == Transport::kUdp) {
    e = DecideUdpCall(d);
  }
  if (!e && d.call.finished && IsNetworkErrno(d.call.error) && d.call.kind != CallKind::kClose) {
    std::optional<FlowKey> key;
    if (d.flow.local && !d.flow.remotes.empty()) {
      key = FlowKey{d.flow.transport, *d.flow.local, d.flow.remotes.front()};
    }
    e = Explanation{
        Unexplained(d.call, key, d.call.error, "no packet of this flow explains it", Context())};
  }
  return e;
}

void Correlator::Impl::Sweep(TimeNs watermark) {
  if (watermark - last_sweep_ < kSweepIntervalNs) return;
  last_sweep_ = watermark;
  // No flow a pending decision may still read is forgotten: the horizon is the oldest pending
  // call's entry.
  TimeNs horizon = watermark;
  for (const auto& [k, d] : queue_) horizon = std::min(horizon, d.call.entry_ns);
  for (const auto& [id, p] : pending_connects_) horizon = std::min(horizon, p.call.entry_ns);
  horizon = window().EarliestFor(horizon);
  const TimeNs closed_before = std::min(horizon, watermark - options_.closed_flow_retention_ns);
  const TimeNs idle_before = std::min(horizon, watermark - options_.idle_flow_timeout_ns);
  const size_t forgotten =
      flows_.Expire(closed_before, idle_before, [&](const NormalizedFlowKey& k) {
        if (open_flows_.contains(k) || open_ports_.contains({k.transport, k.a.port}) ||
            open_ports_.contains({k.transport, k.b.port})) {
          return FlowTable::FlowUse::kOpenSocket;
        }
        if (closed_flows_.contains(k)) return FlowTable::FlowUse::kClosedSocket;
        return FlowTable::FlowUse::kUnknown;
      });
  if (forgotten > 0) {
    absl::erase_if(closed_flows_,
                   [&](const NormalizedFlowKey& k) { return flows_.Find(k) == nullptr; });
  }
}

std::vector<Finding> Correlator::Impl::Advance(TimeNs watermark, bool finish) {
  std::vector<Finding> out;
  while (!queue_.empty() && (finish || queue_.begin()->first.first <= watermark)) {
    auto node = queue_.extract(queue_.begin());
    if (std::optional<Explanation> e = Decide(node.mapped())) {
      Finding& f = e->finding;
      // The same packets already explained an earlier call (a read got ECONNRESET, then the
      // write after it EPIPE; a slow write and read sharing the retransmissions): one finding.
      const bool repeat =
          !node.mapped().connect && !f.evidence.empty() && e->record != nullptr &&
          absl::c_all_of(f.evidence, [&](uint64_t id) { return e->record->Explained(id); });
      if (repeat) continue;
      // An informational finding (end of stream) does not claim its packets: a later failure on
      // the same FIN (EPIPE) is still worth its own finding.
      if (f.severity != FindingSeverity::kInfo && e->record != nullptr) {
        e->record->MarkExplained(f.evidence);
      }
      out.push_back(std::move(f));
    }
  }
  if (!finish) Sweep(watermark);
  return out;
}

std::vector<Finding> Correlator::Impl::Finish() {
  // Non-blocking connects never resolved: abandoned after a timed-out wait, or still pending.
  std::vector<uint64_t> ids;
  for (const auto& [id, p] : pending_connects_) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  for (uint64_t id : ids) {
    const PendingConnect& p = pending_connects_[id];
    const TimeNs end = std::max(last_time_, p.call.exit_ns);
    if (p.timed_out_wait) {
      ScheduleConnect(p, ConnectOutcome::Ending::kAppGaveUp, p.timed_out_wait, 0, end);
    } else {
      ScheduleConnect(p, ConnectOutcome::Ending::kStillBlocked, std::nullopt, 0, end);
    }
  }
  pending_connects_.clear();
  pending_by_socket_.clear();
  std::vector<Finding> out = Advance(std::numeric_limits<TimeNs>::max(), /*finish=*/true);
  SortByImportance(out);
  return out;
}

Correlator::Correlator(CorrelatorOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}
Correlator::~Correlator() = default;

void Correlator::AddPacket(const Packet& packet) { impl_->AddPacket(packet); }
void Correlator::AddSyscall(const SyscallEvent& call) { impl_->AddSyscall(call); }
void Correlator::SetCaptureStats(const CaptureStats& stats) { impl_->SetCaptureStats(stats); }
void Correlator::AddProcessEvent(const ProcessEvent& event) { impl_->AddProcessEvent(event); }
std::vector<Finding> Correlator::Advance(TimeNs watermark) {
  return impl_->Advance(watermark, /*finish=*/false);
}
std::vector<Finding> Correlator::Finish() { return impl_->Finish(); }
size_t Correlator::live_flow_count() const { return impl_->live_flow_count(); }
size_t Correlator::pending_call_count() const { return impl_->pending_call_count(); }

}  // namespace netcorr::correlate
