#include "correlate/correlator.h"

#include <algorithm>
#include <deque>
#include <cerrno>
#include <limits>
#include <optional>

#include "correlate/call_decisions.h"
#include "correlate/cause_ledger.h"
#include "correlate/decision_queue.h"
#include "correlate/flow_state.h"
#include "correlate/local_addresses.h"
#include "correlate/neighbour_state.h"
#include "correlate/packets_only_findings.h"
#include "correlate/pending_connects.h"
#include "correlate/rule_context.h"
#include "correlate/socket_table.h"
#include "correlate/stalls.h"
#include "correlate/tcp_connect_rules.h"

namespace netcorr::correlate {

namespace {

constexpr TimeNs kSweepIntervalNs = 1'000'000'000;
constexpr size_t kMaxConnected = 64;
// Address resolution is kept this long: a UDP socket learns of a failed resolution on a later
// call (neighbour_rules.h), a connect within the evidence window.
constexpr TimeNs kNeighbourRetentionNs = 60'000'000'000;

}  // namespace

// Feeds calls and packets into the socket table, the flow table and the decision queue, and
// decides the queue as the watermark advances. The rules themselves live in *_decisions.cc
// (which packets belong to which call) and *_rules.cc (what those packets mean).
class Correlator::Impl {
 public:
  explicit Impl(CorrelatorOptions options) : options_(std::move(options)) {
    for (const IpAddress& a : options_.local_addresses) local_.Add(a);
  }

  void AddPacket(const Packet& p) {
    if (p.neighbour) neighbours_.Add(p);
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
  size_t pending_call_count() const { return queue_.size() + pending_.size() + stalls_.size(); }
  void UpdateFolded(std::vector<Finding>& reported) const { ledger_.UpdateReported(reported); }

 private:
  RuleContext Context() const { return RuleContext{options_, capture_, local_, &neighbours_}; }
  const EvidenceWindow& window() const { return options_.evidence_window; }

  void AddWait(const SyscallEvent& call);
  void ScheduleConnect(const PendingConnect& p, ConnectOutcome::Ending ending,
                       std::optional<SyscallEvent> resolved_by, int error, TimeNs end_ns);
  void Sweep(TimeNs watermark);
  // Connects that succeeded, for the attempts they made unnecessary (Happy Eyeballs).
  void RememberConnected(const SyscallEvent& connect, TimeNs connected_ns);
  std::optional<SyscallEvent> SupersedingConnect(const ConnectOutcome& o) const;
  // A decided call: held in its socket's stall, ending a stall, folded into a reported cause,
  // or reported.
  void Settle(const Decision& d, std::optional<Explanation> e, std::vector<Finding>& out);
  void Report(Explanation e, bool is_connect, std::vector<Finding>& out);
  std::optional<NormalizedFlowKey> KeyOf(const Explanation& e) const {
    if (e.record == nullptr) return std::nullopt;
    return e.record->key;
  }
  // Findings on flows a process drove through io_uring, decided from their packets alone.
  void AddPacketsOnlyFindings(TimeNs horizon, std::vector<Finding>& out);

  CorrelatorOptions options_;
  CaptureStats capture_;
  LocalAddresses local_;
  FlowTable flows_;
  NeighbourTable neighbours_;
  SocketTable sockets_;
  PendingConnects pending_;
  DecisionQueue queue_;
  StallTable stalls_;
  CauseLedger ledger_;
  struct Connected {
    SyscallEvent connect;
    TimeNs connected_ns = 0;
  };
  std::deque<Connected> connected_;  // the latest kMaxConnected successful connects
  PacketsOnlyFindings packets_only_;
  TimeNs last_time_ = 0;
  TimeNs last_sweep_ = 0;
};

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
  queue_.Schedule(window().LatestFor(end_ns), std::move(d));
}

void Correlator::Impl::AddWait(const SyscallEvent& call) {
  const bool timed_out = call.finished && call.error == 0 && call.result == 0;
  Decision d;
  d.call = call;
  for (const FdSocket& w : call.waited) {
    PendingConnect* pc = pending_.FindBySocket(SocketKey(call.pid, w.fd));
    if (pc != nullptr && (timed_out || !call.finished)) {
      (timed_out ? pc->timed_out_wait : pc->blocked_wait) = call;
      continue;
    }
    const Transport wt = TransportOf(w.socket);
    if (wt == Transport::kTcp) {
      // An established connection the program gave up waiting on: its retransmissions (or a
      // PMTU black hole) may be why nothing came.
      if (pc == nullptr && w.socket.local && w.socket.remote) {
        PartialFlow f;
        f.transport = Transport::kTcp;
        f.local = w.socket.local;
        f.remotes.push_back(*w.socket.remote);
        d.waited.push_back(std::move(f));
        d.waited_fds.push_back(w.fd);
      }
      continue;
    }
    if (wt != Transport::kUdp) continue;
    SyscallEvent probe = call;
    probe.fd = w.fd;
    PartialFlow f = FlowFor(probe, sockets_.Find(call.pid, w.fd));
    if (f.transport == Transport::kUnknown) {
      f.transport = Transport::kUdp;
      f.local = w.socket.local;
      if (w.socket.remote) f.remotes.push_back(*w.socket.remote);
    }
    d.waited.push_back(std::move(f));
    d.waited_fds.push_back(w.fd);
  }
  if ((timed_out || !call.finished) && !d.waited.empty()) {
    queue_.Schedule(window().LatestFor(call), std::move(d));
  }
}

void Correlator::Impl::AddSyscall(const SyscallEvent& call) {
  last_time_ = std::max(last_time_, call.exit_ns);
  packets_only_.AddCall(call);
  if (call.address && call.kind == CallKind::kBind) local_.Add(call.address->addr);

  // A later call revealed the outcome of a non-blocking connect: decide the connect with it.
  if (call.resolves_call) {
    if (std::optional<PendingConnect> p = pending_.Take(*call.resolves_call)) {
      if (call.resolved_error == 0) RememberConnected(p->call, call.exit_ns);
      ScheduleConnect(*p, ConnectOutcome::Ending::kResolved, call, call.resolved_error,
                      call.exit_ns);
      // Its own error is the connect's outcome, explained there.
      if (call.error == call.resolved_error) return;
    }
  }

  const uint64_t skey = SocketKey(call.pid, call.fd);
  const SocketTable::Observed observed = sockets_.Observe(call);
  SocketState* s = observed.state;
  if (observed.replaced) pending_.ForgetSocket(skey);
  if (s != nullptr && call.socket && call.socket->local) local_.Add(call.socket->local->addr);

  if (call.kind == CallKind::kWait) {
    AddWait(call);
    return;
  }

  if (s == nullptr) return;  // not an IP socket call
  if (call.kind == CallKind::kClose) {
    if (std::optional<PendingConnect> p = pending_.TakeBySocket(skey)) {
      std::optional<SyscallEvent> by = p->timed_out_wait ? p->timed_out_wait : call;
      ScheduleConnect(*p, ConnectOutcome::Ending::kAppGaveUp, std::move(by), 0, call.exit_ns);
    }
    Decision d;
    d.call = call;
    d.flow = FlowFor(call, s);
    sockets_.Forget(call.pid, call.fd);
    // A TCP close may carry our TLS alert; any close ends a stall on the socket.
    queue_.Schedule(window().LatestFor(call), std::move(d));
    return;
  }

  sockets_.Register(*s);
  const Transport transport = TransportOf(s->identity);
  if (transport == Transport::kUdp) s->last_call = call;
  if (call.kind == CallKind::kConnect) {
    if (call.address) s->peer = call.address;
    if (transport == Transport::kTcp) {
      PendingConnect p{call, FlowFor(call, s), std::nullopt, std::nullopt, skey};
      if (call.finished && call.error == 0) RememberConnected(call, call.exit_ns);
      if (call.finished && (call.error == EINPROGRESS || call.error == EALREADY)) {
        if (call.error == EINPROGRESS) pending_.Add(std::move(p));
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
      !s->identity.remote) {
    SocketTable::AddDestination(*s, *call.address);
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
  queue_.Schedule(window().LatestFor(call), std::move(d));
}

void Correlator::Impl::AddProcessEvent(const ProcessEvent& event) {
  if (event.kind != ProcessEvent::Kind::kExited && event.kind != ProcessEvent::Kind::kKilled &&
      event.kind != ProcessEvent::Kind::kDetached) {
    return;
  }
  last_time_ = std::max(last_time_, event.time_ns);
  // A detached process keeps running: its pending connect is undecided, not abandoned. One that
  // netcorr ended (--duration, Ctrl-C) was still waiting: netcorr interrupted it.
  const bool gave_up = event.kind != ProcessEvent::Kind::kDetached && !event.ended_by_netcorr;
  for (const PendingConnect& p : pending_.TakeProcess(event.pid)) {
    const TimeNs end = std::max(event.time_ns, p.call.exit_ns);
    if (gave_up) {
      ScheduleConnect(p, ConnectOutcome::Ending::kAppGaveUp, p.timed_out_wait, 0, end);
    } else {
      ScheduleConnect(p, ConnectOutcome::Ending::kStillBlocked, p.blocked_wait, 0, end);
    }
  }
  // A DNS query left unanswered by a process that exited without closing its socket.
  if (gave_up) {
    for (const SocketState* s : sockets_.SocketsOf(event.pid)) {
      if (!s->last_call || TransportOf(s->identity) != Transport::kUdp) continue;
      Decision d;
      d.call = *s->last_call;
      d.flow = FlowFor(d.call, s);
      d.exited_ns = event.time_ns;
      queue_.Schedule(window().LatestFor(event.time_ns), std::move(d));
    }
  }
  sockets_.ForgetProcess(event.pid);
  // Its stalled sockets end once the waits before this moment are decided.
  Decision gone;
  gone.process_gone = true;
  gone.call.pid = event.pid;
  gone.call.finished = gave_up;
  gone.call.entry_ns = gone.call.exit_ns = event.time_ns;
  queue_.Schedule(window().LatestFor(event.time_ns), std::move(gone));
}

void Correlator::Impl::Sweep(TimeNs watermark) {
  if (watermark - last_sweep_ < kSweepIntervalNs) return;
  last_sweep_ = watermark;
  // No flow a pending decision may still read is forgotten: the horizon is the earliest packet
  // the oldest pending call may take as evidence.
  const TimeNs horizon = window().EarliestFor(
      stalls_.EarliestEntry(pending_.EarliestEntry(queue_.EarliestEntry(watermark))));
  const TimeNs closed_before = std::min(horizon, watermark - options_.closed_flow_retention_ns);
  const TimeNs idle_before = std::min(horizon, watermark - options_.idle_flow_timeout_ns);
  const size_t forgotten = flows_.Expire(
      closed_before, idle_before, [&](const NormalizedFlowKey& k) { return sockets_.UseOf(k); });
  if (forgotten > 0) sockets_.ForgetExpired(flows_);
  neighbours_.Expire(std::min(horizon, watermark - kNeighbourRetentionNs));
}

std::vector<Finding> Correlator::Impl::Advance(TimeNs watermark, bool finish) {
  std::vector<Finding> out;
  const TimeNs due = finish ? std::numeric_limits<TimeNs>::max() : watermark;
  while (std::optional<Decision> d = queue_.PopDue(due)) {
    if (d->process_gone) {
      for (Stall& s : stalls_.TakeProcess(d->call.pid)) {
        const std::optional<NormalizedFlowKey> key = s.record;
        Finding f = d->call.finished ? StallAbandoned(std::move(s), std::nullopt)
                                     : StallInterrupted(std::move(s));
        Report(Explanation{std::move(f), key ? flows_.FindMutable(*key) : nullptr}, false, out);
      }
      continue;
    }
    if (d->connect) d->connect->superseded_by = SupersedingConnect(*d->connect);
    std::optional<Explanation> e = DecideCall(*d, flows_, Context());
    Settle(*d, std::move(e), out);
  }
  if (finish) {
    // Stalls no later call ended: the program never moved on before tracing stopped.
    for (Stall& s : stalls_.TakeAll()) {
      const std::optional<NormalizedFlowKey> key = s.record;
      Report(Explanation{StallInterrupted(std::move(s)), key ? flows_.FindMutable(*key) : nullptr},
             false, out);
    }
  } else {
    // Before a sweep may forget a closed flow (half its retention: a traced call still claims
    // its attempt first, well within that).
    AddPacketsOnlyFindings(watermark - options_.closed_flow_retention_ns / 2, out);
    Sweep(watermark);
  }
  return out;
}

void Correlator::Impl::RememberConnected(const SyscallEvent& connect, TimeNs connected_ns) {
  if (!connect.address) return;
  connected_.push_back(Connected{connect, connected_ns});
  if (connected_.size() > kMaxConnected) connected_.pop_front();
}

std::optional<SyscallEvent> Correlator::Impl::SupersedingConnect(const ConnectOutcome& o) const {
  const bool failed = o.error != 0 || o.ending == ConnectOutcome::Ending::kAppGaveUp ||
                      o.ending == ConnectOutcome::Ending::kStillBlocked;
  if (!failed || !o.call.address) return std::nullopt;
  const Endpoint& mine = *o.call.address;
  for (auto it = connected_.rbegin(); it != connected_.rend(); ++it) {
    const SyscallEvent& c = it->connect;
    // The same service over the other IP version (a dual-stack name: the one case where two
    // addresses on one port are surely one service), tried no earlier than this attempt, and
    // connected before the program learnt (or could learn) this one's outcome.
    if (c.pid != o.call.pid || c.id == o.call.id || c.address->port != mine.port ||
        c.address->addr.family() == mine.addr.family() || c.entry_ns < o.call.entry_ns ||
        it->connected_ns > window().LatestFor(o.end_ns)) {
      continue;
    }
    return c;
  }
  return std::nullopt;
}

void Correlator::Impl::Report(Explanation e, bool is_connect, std::vector<Finding>& out) {
  Finding& f = e.finding;
  // The same packets already explained an earlier call (a read got ECONNRESET, then the write
  // after it EPIPE), or the same process failed the same way towards the same destination: one
  // finding, this call folded into it.
  if (const uint64_t cause = ledger_.RepeatOf(f, is_connect ? nullptr : e.record)) {
    ledger_.Fold(cause, f.call);
    return;
  }
  ledger_.Report(f, e.record);
  out.push_back(std::move(f));
}

void Correlator::Impl::Settle(const Decision& d, std::optional<Explanation> e,
                              std::vector<Finding>& out) {
  const SyscallEvent& call = d.call;
  const bool is_connect = d.connect.has_value();
  if (d.exited_ns) {
    // Not a call but its socket at the process's exit: any stall on it ends with the process.
    if (e) Report(std::move(*e), false, out);
    return;
  }
  const bool no_packets = e && e->finding.basis == EvidenceBasis::kSyscallsOnly;
  if (!is_connect && TimedOutWaiting(call) && !no_packets) {
    // The program's patience ran out; what it does next says what that meant. (Without a
    // capture there is no stall to follow: each timed-out call is told from the syscalls.)
    if (e) {
      const int fd = e->fd >= 0 ? e->fd : call.fd;
      const std::optional<NormalizedFlowKey> key = KeyOf(*e);
      stalls_.Add(call.pid, fd, call, std::move(e->finding), key);
    }
    return;
  }
  if (call.kind == CallKind::kWait && !call.finished && e) {
    // Still blocked when tracing stopped, after earlier waits on the socket had timed out.
    if (std::optional<Stall> s = stalls_.Take(call.pid, e->fd)) {
      e->finding.stalled_waits = CallSpan{s->waits, s->first_wait, s->last_wait};
    }
  }
  if (!is_connect && call.kind != CallKind::kWait) {
    if (std::optional<Stall> s = stalls_.Take(call.pid, call.fd)) {
      if (ContinuesStall(*s, call)) {
        stalls_.Restore(std::move(*s));
        if (e) Report(std::move(*e), false, out);
        return;
      }
      const std::optional<NormalizedFlowKey> key = s->record;
      FlowRecord* record = key ? flows_.FindMutable(*key) : nullptr;
      std::optional<Finding> own;
      if (e) own = std::move(e->finding);
      std::optional<Finding> ended;
      if (call.kind == CallKind::kClose) {
        ended = StallAbandoned(std::move(*s), call);
        // A close's own finding (the TLS alert it sent) is another cause.
        if (own) Report(Explanation{std::move(*own), e->record, e->fd}, false, out);
      } else if (!call.finished || call.error != 0) {
        const bool own_explains = own && own->kind != FindingKind::kUnexplained;
        ended = StallFailedAt(std::move(*s), call, std::move(own));
        if (own_explains && e->record != nullptr) record = e->record;
      } else {
        ended = StallRecovered(std::move(*s), call, options_.slow_call_ns);
        if (own) Report(Explanation{std::move(*own), e->record, e->fd}, false, out);
      }
      if (ended) Report(Explanation{std::move(*ended), record, call.fd}, false, out);
      return;
    }
  }
  if (e) Report(std::move(*e), is_connect, out);
}

void Correlator::Impl::AddPacketsOnlyFindings(TimeNs horizon, std::vector<Finding>& out) {
  const auto traced_socket = [&](const NormalizedFlowKey& k) {
    return sockets_.UseOf(k) != FlowTable::FlowUse::kUnknown;
  };
  for (Finding& f : packets_only_.Decide(flows_, Context(), traced_socket, horizon)) {
    FlowRecord* record = f.flow ? flows_.FindMutable(NormalizedFlowKey::From(*f.flow)) : nullptr;
    Report(Explanation{std::move(f), record}, false, out);
  }
}

std::vector<Finding> Correlator::Impl::Finish() {
  // Non-blocking connects never resolved: abandoned after a timed-out wait, or still pending.
  for (const PendingConnect& p : pending_.TakeAll()) {
    const TimeNs end = std::max(last_time_, p.call.exit_ns);
    if (p.timed_out_wait) {
      ScheduleConnect(p, ConnectOutcome::Ending::kAppGaveUp, p.timed_out_wait, 0, end);
    } else {
      ScheduleConnect(p, ConnectOutcome::Ending::kStillBlocked, p.blocked_wait, 0, end);
    }
  }
  std::vector<Finding> out = Advance(std::numeric_limits<TimeNs>::max(), /*finish=*/true);
  AddPacketsOnlyFindings(std::numeric_limits<TimeNs>::max(), out);
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
void Correlator::UpdateFolded(std::vector<Finding>& reported) const {
  impl_->UpdateFolded(reported);
}

}  // namespace netcorr::correlate
