#include "correlate/zero_window_rules.h"

#include <algorithm>
#include <cerrno>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "correlate/finding_text.h"

namespace netcorr::correlate {

namespace {

// Per list of a period, the references cited as evidence: enough to show the pattern (the
// probes' back-off, the ACKs that kept the window shut) without flooding the report.
constexpr size_t kEvidencePerList = 16;

enum class Stall : uint8_t {
  kNone,
  kStuck,  // the call gave up, failed or was still blocked: it never got its data out
  kSlow,   // a send that returned, late: all its data taken, or part of it (a signal or
           // SO_SNDTIMEO cut it short; socket(7): it then returns what it had taken)
};

Stall Classify(const SyscallEvent& call, const RuleContext& ctx) {
  if (call.kind != CallKind::kSend && call.kind != CallKind::kWait) return Stall::kNone;
  if (!call.finished) return Stall::kStuck;
  if (call.kind == CallKind::kWait) return WaitTimedOut(call) ? Stall::kStuck : Stall::kNone;
  // socket(7) SO_SNDTIMEO: a blocking send that times out returns what it had sent, or EAGAIN
  // when it sent nothing; tcp(7) TCP_USER_TIMEOUT (and the retransmission limit) give ETIMEDOUT.
  if (call.error == EAGAIN || call.error == ETIMEDOUT) return Stall::kStuck;
  if (call.error == 0 && call.duration_ns() >= ctx.options.slow_call_ns) return Stall::kSlow;
  return Stall::kNone;
}

// The references of `list` stamped up to `to`. A RefList keeps only its first kMax: when it
// dropped some, the total counts if the period had nothing after `to`.
uint32_t CountUntil(const RefList& list, const ZeroWindowPeriod& period, TimeNs to) {
  if (list.total() > list.items().size() && period.last.ts <= to) return list.total();
  uint32_t n = 0;
  for (const PacketRef& r : list.items()) n += r.ts <= to ? 1 : 0;
  return n;
}

void AddBounded(Finding& f, const RefList& list, TimeNs to) {
  size_t n = 0;
  for (const PacketRef& r : list.items()) {
    if (r.ts > to || n == kEvidencePerList) break;
    AddEvidence(f, r);
    ++n;
  }
}

std::string ProbeText(uint32_t probes, uint32_t acks) {
  if (probes == 0) return absl::StrCat(acks, " zero-window ACK", acks == 1 ? "" : "s");
  return absl::StrCat(probes, " window probe", probes == 1 ? "" : "s");
}

}  // namespace

std::optional<Finding> DecideZeroWindow(const SyscallEvent& call, const FlowKey& flow,
                                        const TcpConnection& conn, const RuleContext& ctx) {
  const Stall stall = Classify(call, ctx);
  if (stall == Stall::kNone) return std::nullopt;
  const NormalizedFlowKey key = NormalizedFlowKey::From(flow);
  const int local = key.SideOf(flow.local);
  const int remote = key.SideOf(flow.remote);
  if (local < 0 || remote < 0 || local == remote) return std::nullopt;
  const TcpDirection& ours = conn.dir[local];
  const TcpDirection& peer = conn.dir[remote];
  const EvidenceWindow& w = ctx.window();
  const TimeNs end = call.exit_ns;
  const TimeNs seen_until = w.LatestReceivedBy(call);

  // RFC 9293 3.8.6.1: while the window is zero the sender may not send new data, only probe;
  // the call waits for the window, not for the network.
  std::vector<const ZeroWindowPeriod*> periods;
  TimeNs stalled_ns = 0;
  for (const ZeroWindowPeriod& p : peer.zero_window.periods()) {
    if (stall == Stall::kStuck) {
      // Still zero when the call ended (a reopening within the clock slack of its end is
      // news the call did not get).
      const bool zero_at_end =
          p.first.ts <= seen_until && (!p.reopened || p.reopened->ts + w.clock_slack_ns > end);
      if (zero_at_end) periods.assign(1, &p);
    } else if (p.first.ts <= end && (!p.reopened || p.reopened->ts >= w.EarliestFor(call))) {
      // Zero while the send waited: reopened before it returned, or still zero then.
      periods.push_back(&p);
      const TimeNs until = p.reopened ? std::min(p.reopened->ts, end) : end;
      stalled_ns += std::max<TimeNs>(0, until - std::max(p.first.ts, call.entry_ns));
    }
  }
  if (periods.empty()) return std::nullopt;
  if (stall == Stall::kSlow && stalled_ns < ctx.options.slow_call_ns) return std::nullopt;

  ZeroWindowDetail z;
  z.first_ns = periods.front()->first.ts;
  for (const ZeroWindowPeriod* p : periods) {
    z.zero_window_acks += CountUntil(p->acks, *p, seen_until);
    z.probes += CountUntil(p->probes, *p, seen_until);
    for (const PacketRef& r : p->acks.items()) {
      if (r.ts <= seen_until) z.last_ns = std::max(z.last_ns, r.ts);
    }
    if (p->last.ts <= seen_until) z.last_ns = std::max(z.last_ns, p->last.ts);
  }
  const ZeroWindowPeriod& latest = *periods.back();
  z.reopened = latest.reopened && latest.reopened->ts <= seen_until;
  if (ours.has_next && peer.has_ack && ours.next > peer.highest_ack) {
    z.bytes_in_flight = static_cast<uint64_t>(ours.next - peer.highest_ack);
  }
  // A send that is stuck has data waiting by itself; a wait may be waiting for anything.
  if (call.kind == CallKind::kWait && z.probes == 0 && z.bytes_in_flight == 0) return std::nullopt;

  Finding f = NewFinding(FindingKind::kZeroWindow, call, flow, call.finished ? call.error : 0);
  const std::string peer_name = flow.remote.ToString();
  const std::string head = absl::StrCat(CallName(call), " on ", flow.ToString(), " ",
                                        CallEnding(call), ": ");
  if (stall == Stall::kStuck) {
    f.severity = FindingSeverity::kFailure;
    f.summary = absl::StrCat(head, peer_name, " stopped reading: its receive window has been zero for ",
                             Seconds(std::max<TimeNs>(0, end - z.first_ns)), " (",
                             ProbeText(z.probes, z.zero_window_acks),
                             ", the window stayed zero)");
    f.hint = absl::StrCat(
        "the application at ", peer_name,
        " is not reading its socket (blocked, overloaded or deadlocked, perhaps waiting for this "
        "program to read first): its receive queue is full (`ss -tn` there shows the Recv-Q); "
        "check what it is doing (its threads, logs, load)");
  } else {
    f.severity = FindingSeverity::kSlow;
    f.summary = absl::StrCat(head, "the receive window of ", peer_name, " was zero for ",
                             Seconds(stalled_ns),
                             z.reopened ? " before it opened again ("
                                        : " and had not opened again when it returned (",
                             ProbeText(z.probes, z.zero_window_acks), ")");
    f.hint = absl::StrCat("the application at ", peer_name,
                          " reads more slowly than this program sends (busy, or not reading "
                          "while it works): check its load, or send less at once");
  }
  for (const ZeroWindowPeriod* p : periods) {
    AddEvidence(f, p->first);
    AddBounded(f, p->acks, seen_until);
    AddBounded(f, p->probes, seen_until);
    if (stall == Stall::kSlow && p->reopened && p->reopened->ts <= seen_until) {
      AddEvidence(f, *p->reopened);
    }
  }
  FinishEvidence(f);
  f.zero_window = z;
  return f;
}

}  // namespace netcorr::correlate
