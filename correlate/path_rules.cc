#include "correlate/path_rules.h"

#include <algorithm>
#include <cerrno>

#include "absl/strings/str_cat.h"
#include "correlate/finding_text.h"
#include "correlate/icmp_rules.h"

namespace netcorr::correlate {

std::optional<Finding> DecideSlowConnect(const ConnectOutcome& o, const TcpConnection& a,
                                         const RuleContext& ctx) {
  // RFC 6298 5.7 / RFC 1122 4.2.3.5: a lost SYN is resent after the initial RTO (1 s on Linux),
  // so one lost SYN costs the program at least a second.
  if (o.error != 0 || !a.syn_ack || a.syns.total() < 2) return std::nullopt;
  if (o.end_ns - o.call.entry_ns < ctx.options.slow_call_ns) return std::nullopt;
  Finding f = NewFinding(FindingKind::kRetransmissions, o.call, o.flow, 0);
  f.severity = FindingSeverity::kSlow;
  f.resolved_by = o.resolved_by;
  HandshakeDetail h;
  for (const PacketRef& r : a.syns.items()) h.syn_times.push_back(r.ts);
  h.syn_count = a.syns.total();
  h.syn_ack_seen = true;
  RetransmissionDetail r;
  r.count = a.syns.total() - 1;
  r.first_ns = a.syns.items().front().ts;
  r.last_ns = a.syns.items().back().ts;
  f.summary = absl::StrCat(CallName(o.call), " to ", o.flow.remote.ToString(), " took ",
                           Seconds(o.end_ns - o.call.entry_ns), ": SYN sent ", Times(h.syn_count),
                           " (", TimeList(h.syn_times), ") before the SYN-ACK");
  f.hint = absl::StrCat("the first SYNs to ", o.flow.remote.ToString(),
                        " were lost: check for packet loss on the path, or a SYN rate limit or a "
                        "full listen backlog at the server");
  f.handshake = std::move(h);
  f.retransmissions = r;
  AddEvidence(f, a.syns.items());
  AddEvidence(f, *a.syn_ack);
  FinishEvidence(f);
  return f;
}

namespace {

bool TimedOutOrHung(const SyscallEvent& call) {
  return !call.finished || call.error == ETIMEDOUT || call.error == EAGAIN || WaitTimedOut(call);
}

}  // namespace

std::optional<Finding> DecidePath(const SyscallEvent& call, const FlowKey& flow,
                                  const TcpConnection& conn, const FlowRecord& record,
                                  const RuleContext& ctx) {
  const bool slow_success = call.finished && call.error == 0 && !WaitTimedOut(call) &&
                            call.duration_ns() >= ctx.options.slow_call_ns;
  if (!slow_success && !TimedOutOrHung(call)) return std::nullopt;
  const NormalizedFlowKey key = NormalizedFlowKey::From(flow);
  const int local = key.SideOf(flow.local);
  if (local < 0) return std::nullopt;
  const TimeNs to = ctx.window().LatestFor(call);
  // A slow call is explained by what it waited through; a call that timed out or hung, by the
  // whole stall: every retransmission since the other side last acknowledged new data, however
  // long before the call began (ETIMEDOUT on a recv ends minutes of a send's retransmissions).
  auto from_for = [&](int side) {
    const TimeNs window_from = ctx.window().EarliestFor(call);
    if (slow_success) return window_from;
    const TimeNs stall_from = std::max(conn.first_ts, conn.dir[side].acked_progress_ts);
    return std::min(window_from, stall_from);
  };

  // Retransmissions by us (our data not acknowledged) or by the peer (its data, or our ACKs,
  // lost) while the call waited.
  int side = local;
  std::vector<PacketRef> resent = conn.dir[local].retransmits.Between(from_for(local), to);
  if (resent.empty()) {
    side = 1 - local;
    resent = conn.dir[side].retransmits.Between(from_for(side), to);
  }
  if (resent.empty()) return std::nullopt;
  const TcpDirection& d = conn.dir[side];
  const bool ours = side == local;

  RetransmissionDetail r;
  r.count = static_cast<uint32_t>(resent.size());
  for (const PacketRef& p : resent) r.times.push_back(p.ts);
  // The stall began with the first send of the oldest segment still unacknowledged and sent
  // again; once acknowledged (a slow call), with the first retransmission of its window.
  r.first_ns = resent.front().ts;
  for (const TcpDirection::InFlight& seg : d.in_flight) {
    if (seg.retransmitted) {
      r.first_ns = std::min(r.first_ns, seg.first_ts);
      break;
    }
  }
  r.last_ns = resent.back().ts;
  r.largest_retransmitted = d.largest_retransmitted;
  r.largest_delivered = d.largest_acked;
  const IcmpRecord* frag = nullptr;
  for (const IcmpRecord* i : record.IcmpBetween(conn.first_ts, to)) {
    if (ClassifyIcmp(i->error) == IcmpClass::kFragNeeded) frag = i;
  }
  r.frag_needed_seen = frag != nullptr;

  // RFC 1191 / RFC 8201 path MTU discovery: a router that cannot forward a DF packet must send
  // ICMP frag-needed / packet-too-big. If that ICMP is filtered the sender retransmits the same
  // large segment forever while small segments (the handshake, short requests) pass: only the
  // segments larger than anything the peer acknowledged are being resent.
  bool large_only = r.count >= 2 && d.largest_retransmitted > d.largest_acked &&
                    (conn.syn_ack.has_value() || d.largest_acked > 0);
  for (const TcpDirection::InFlight& seg : d.in_flight) {
    if (seg.retransmitted && seg.len <= d.largest_acked) large_only = false;
  }

  const std::string what = CallEnding(call);
  Finding f = NewFinding(large_only ? FindingKind::kPmtuBlackhole : FindingKind::kRetransmissions,
                         call, flow, call.error);
  f.severity = slow_success ? FindingSeverity::kSlow : FindingSeverity::kFailure;
  if (large_only) {
    f.summary = absl::StrCat(
        CallName(call), " on ", flow.ToString(), " ", what, ": ", ours ? "our " : "the peer's ",
        d.largest_retransmitted, "-byte segments were retransmitted ", Times(r.count),
        " while segments of ", d.largest_acked, " bytes or less got through; ",
        frag ? absl::StrCat("ICMP frag-needed (MTU ", frag->error.next_hop_mtu, ") came from ",
                            frag->error.sender.ToString(), " but did not help")
             : "no ICMP frag-needed arrived (path MTU black hole)");
    f.hint = frag ? "the path MTU is smaller than the segments sent and the kernel did not adapt: "
                    "lower the interface MTU or clamp the MSS (TCPMSS --clamp-mss-to-pmtu)"
                  : "a router on the path drops packets larger than its MTU without ICMP "
                    "frag-needed, or a firewall drops that ICMP: allow ICMP type 3 code 4 / "
                    "ICMPv6 packet-too-big, or clamp the MSS / lower the MTU";
    if (frag) AddEvidence(f, frag->ref);
  } else {
    f.summary = absl::StrCat(CallName(call), " on ", flow.ToString(), " ", what, ": ",
                             ours ? "our" : "the peer's", " data was retransmitted ",
                             Times(r.count), " (", TimeList({r.first_ns, r.last_ns}), ")");
    f.hint = ours ? absl::StrCat("segments to ", flow.remote.ToString(),
                                 " are lost or not acknowledged: check for loss or congestion on "
                                 "the path (`ip -s link`, `nstat -az | grep -i retrans`)")
                  : absl::StrCat("the peer's data or our ACKs are lost between ",
                                 flow.remote.addr.ToString(), " and here: check the path for loss");
  }
  f.retransmissions = r;
  AddEvidence(f, resent);
  FinishEvidence(f);
  return f;
}

}  // namespace netcorr::correlate
