#include "correlate/correlator.h"

#include <algorithm>
#include <cerrno>
#include <limits>
#include <optional>

#include "absl/algorithm/container.h"
#include "correlate/call_decisions.h"
#include "correlate/decision_queue.h"
#include "correlate/flow_state.h"
#include "correlate/local_addresses.h"
#include "correlate/packets_only_findings.h"
#include "correlate/pending_connects.h"
#include "correlate/rule_context.h"
#include "correlate/socket_table.h"
#include "correlate/tcp_connect_rules.h"

namespace netcorr::correlate {

namespace {

constexpr TimeNs kSweepIntervalNs = 1'000'000'000;

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
  size_t pending_call_count() const { return queue_.size() + pending_.size(); }

 private:
  RuleContext Context() const { return RuleContext{options_, capture_, local_}; }
  const EvidenceWindow& window() const { return options_.evidence_window; }

  void AddWait(const SyscallEvent& call);
  void ScheduleConnect(const PendingConnect& p, ConnectOutcome::Ending ending,
                       std::optional<SyscallEvent> resolved_by, int error, TimeNs end_ns);
  void Sweep(TimeNs watermark);
  // Findings on flows a process drove through io_uring, decided from their packets alone.
  void AddPacketsOnlyFindings(TimeNs horizon, std::vector<Finding>& out);

  CorrelatorOptions options_;
  CaptureStats capture_;
  LocalAddresses local_;
  FlowTable flows_;
  SocketTable sockets_;
  PendingConnects pending_;
  DecisionQueue queue_;
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
    if (pc != nullptr && timed_out) {
      pc->timed_out_wait = call;
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
    if (d.flow.transport == Transport::kTcp)
      queue_.Schedule(window().LatestFor(call), std::move(d));
    return;
  }

  sockets_.Register(*s);
  const Transport transport = TransportOf(s->identity);
  if (call.kind == CallKind::kConnect) {
    if (call.address) s->peer = call.address;
    if (transport == Transport::kTcp) {
      PendingConnect p{call, FlowFor(call, s), std::nullopt, skey};
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
  // A detached process keeps running: its pending connect is undecided, not abandoned.
  const bool gone = event.kind != ProcessEvent::Kind::kDetached;
  for (const PendingConnect& p : pending_.TakeProcess(event.pid)) {
    ScheduleConnect(
        p, gone ? ConnectOutcome::Ending::kAppGaveUp : ConnectOutcome::Ending::kStillBlocked,
        p.timed_out_wait, 0, std::max(event.time_ns, p.call.exit_ns));
  }
  sockets_.ForgetProcess(event.pid);
}

void Correlator::Impl::Sweep(TimeNs watermark) {
  if (watermark - last_sweep_ < kSweepIntervalNs) return;
  last_sweep_ = watermark;
  // No flow a pending decision may still read is forgotten: the horizon is the earliest packet
  // the oldest pending call may take as evidence.
  const TimeNs horizon =
      window().EarliestFor(pending_.EarliestEntry(queue_.EarliestEntry(watermark)));
  const TimeNs closed_before = std::min(horizon, watermark - options_.closed_flow_retention_ns);
  const TimeNs idle_before = std::min(horizon, watermark - options_.idle_flow_timeout_ns);
  const size_t forgotten = flows_.Expire(
      closed_before, idle_before, [&](const NormalizedFlowKey& k) { return sockets_.UseOf(k); });
  if (forgotten > 0) sockets_.ForgetExpired(flows_);
}

std::vector<Finding> Correlator::Impl::Advance(TimeNs watermark, bool finish) {
  std::vector<Finding> out;
  const TimeNs due = finish ? std::numeric_limits<TimeNs>::max() : watermark;
  while (std::optional<Decision> d = queue_.PopDue(due)) {
    std::optional<Explanation> e = DecideCall(*d, flows_, Context());
    if (!e) continue;
    Finding& f = e->finding;
    // The same packets already explained an earlier call (a read got ECONNRESET, then the
    // write after it EPIPE; a slow write and read sharing the retransmissions): one finding.
    const bool repeat =
        !d->connect && !f.evidence.empty() && e->record != nullptr &&
        absl::c_all_of(f.evidence, [&](uint64_t id) { return e->record->Explained(id); });
    if (repeat) continue;
    // An informational finding (end of stream) does not claim its packets: a later failure on
    // the same FIN (EPIPE) is still worth its own finding.
    if (f.severity != FindingSeverity::kInfo && e->record != nullptr) {
      e->record->MarkExplained(f.evidence);
    }
    out.push_back(std::move(f));
  }
  if (!finish) {
    // Before a sweep may forget a closed flow (half its retention: a traced call still claims
    // its attempt first, well within that).
    AddPacketsOnlyFindings(watermark - options_.closed_flow_retention_ns / 2, out);
    Sweep(watermark);
  }
  return out;
}

void Correlator::Impl::AddPacketsOnlyFindings(TimeNs horizon, std::vector<Finding>& out) {
  const auto traced_socket = [&](const NormalizedFlowKey& k) {
    return sockets_.UseOf(k) != FlowTable::FlowUse::kUnknown;
  };
  for (Finding& f : packets_only_.Decide(flows_, Context(), traced_socket, horizon)) {
    out.push_back(std::move(f));
  }
}

std::vector<Finding> Correlator::Impl::Finish() {
  // Non-blocking connects never resolved: abandoned after a timed-out wait, or still pending.
  for (const PendingConnect& p : pending_.TakeAll()) {
    const TimeNs end = std::max(last_time_, p.call.exit_ns);
    if (p.timed_out_wait) {
      ScheduleConnect(p, ConnectOutcome::Ending::kAppGaveUp, p.timed_out_wait, 0, end);
    } else {
      ScheduleConnect(p, ConnectOutcome::Ending::kStillBlocked, std::nullopt, 0, end);
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

}  // namespace netcorr::correlate
