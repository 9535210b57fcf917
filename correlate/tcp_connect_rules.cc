#include "correlate/tcp_connect_rules.h"

#include <algorithm>
#include <cerrno>

#include "absl/strings/str_cat.h"
#include "correlate/finding_text.h"
#include "correlate/icmp_rules.h"
#include "correlate/neighbour_rules.h"
#include "correlate/port_rules.h"
#include "correlate/unexplained.h"

namespace netcorr::correlate {

namespace {

// The side of `attempt` that is the remote end of `flow`, or -1.
int RemoteSide(const TcpConnection& attempt, const FlowKey& flow) {
  if (attempt.initiator_side >= 0) return 1 - attempt.initiator_side;
  // No SYN seen: the remote is the side that is not ours; try both orders.
  return NormalizedFlowKey::From(flow).SideOf(flow.remote);
}

std::string Ending(const ConnectOutcome& o) {
  const TimeNs waited = o.end_ns - o.call.entry_ns;
  switch (o.ending) {
    case ConnectOutcome::Ending::kStillBlocked:
      return absl::StrCat("was still waiting after ", Seconds(waited), " when tracing stopped");
    case ConnectOutcome::Ending::kAppGaveUp:
      return absl::StrCat("was abandoned by the program after ", Seconds(waited),
                          o.resolved_by
                              ? absl::StrCat(" (", CallName(*o.resolved_by),
                                             o.resolved_by->kind == CallKind::kClose ? ")" : " timed out)")
                              : "");
    case ConnectOutcome::Ending::kResolved:
      return absl::StrCat(
          "failed with ", ErrnoTag(o.error), " after ", Seconds(waited),
          o.resolved_by ? absl::StrCat(" (reported by ", CallName(*o.resolved_by), ")") : "");
    case ConnectOutcome::Ending::kReturned:
      break;
  }
  return absl::StrCat("failed with ", ErrnoTag(o.error), " after ", Seconds(waited));
}

Finding Base(FindingKind kind, const ConnectOutcome& o) {
  Finding f = NewFinding(kind, o.call, o.flow, o.error);
  f.resolved_by = o.resolved_by;
  if (o.ending == ConnectOutcome::Ending::kAppGaveUp && f.outcome_error == 0) {
    f.outcome_error = ETIMEDOUT;  // the program's own timeout
  }
  return f;
}

HandshakeDetail Handshake(const TcpConnection& a) {
  HandshakeDetail h;
  for (const PacketRef& r : a.syns.items()) h.syn_times.push_back(r.ts);
  h.syn_count = a.syns.total();
  h.syn_ack_seen = a.syn_ack.has_value();
  h.rst_seen = a.dir[0].rst.has_value() || a.dir[1].rst.has_value();
  return h;
}

// RFC 793 p.66-67, SYN-SENT: "If the RST bit is set: If the ACK was acceptable then signal the
// user 'error: connection reset', drop the segment, enter CLOSED state" — Linux reports it to
// connect() as ECONNREFUSED. The RST's ACK must acknowledge our SYN (SEG.ACK = ISS+1).
Finding RefusedByRst(const ConnectOutcome& o, const TcpConnection& a, int remote_side) {
  Finding f = Base(FindingKind::kRefusedByRst, o);
  const TcpDirection& peer = a.dir[remote_side];
  f.summary = absl::StrCat(CallName(o.call), " to ", o.flow.remote.ToString(), " ", Ending(o),
                           ": the SYN was answered by RST from ", o.flow.remote.addr.ToString());
  f.hint = absl::StrCat("nothing listens on ", o.flow.remote.ToString(),
                        " — is the server running, on that port/address?");
  f.handshake = Handshake(a);
  AddEvidence(f, a.syns.items());
  AddEvidence(f, *peer.rst);
  FinishEvidence(f);
  return f;
}

// RFC 793 3.7 / RFC 6298: an unanswered SYN is retransmitted with exponential backoff (Linux:
// 1 s, 2 s, 4 s ... tcp_syn_retries times) and connect fails with ETIMEDOUT when they run out.
// SYNs on the wire with no SYN-ACK, no RST and no ICMP error: something drops them silently.
Finding SynUnanswered(const ConnectOutcome& o, const TcpConnection& a) {
  Finding f = Base(FindingKind::kSynUnanswered, o);
  HandshakeDetail h = Handshake(a);
  std::vector<TimeNs> times = h.syn_times;
  f.summary =
      absl::StrCat(CallName(o.call), " to ", o.flow.remote.ToString(), " ", Ending(o),
                   ": SYN sent ", Times(h.syn_count), " (", TimeList(times), "), no SYN-ACK");
  f.hint = absl::StrCat("SYNs to ", o.flow.remote.ToString(),
                        " get no answer: a firewall on the path or at the server drops them "
                        "(DROP rule), or the host is down — check the server's and the routers' "
                        "firewalls");
  f.handshake = std::move(h);
  AddEvidence(f, a.syns.items());
  FinishEvidence(f);
  return f;
}

// Nothing of the flow left this host: the kernel failed the connect before a SYN was sent.
Finding NoPacketSent(const ConnectOutcome& o, const std::string& why, const std::string& hint) {
  Finding f = Base(FindingKind::kNoPacketSent, o);
  f.summary = absl::StrCat(CallName(o.call), " to ", o.flow.remote.ToString(), " ", Ending(o),
                           " and no SYN left this host: ", why);
  f.hint = hint;
  f.handshake = HandshakeDetail{};
  return f;
}

const IcmpRecord* LatestIcmp(const TcpConnection* a) {
  if (a == nullptr || a->icmp.empty()) return nullptr;
  return &a->icmp.back();
}

}  // namespace

std::optional<Finding> DecideConnect(const ConnectOutcome& o, const TcpConnection* a,
                                     const RuleContext& ctx) {
  const bool failed = o.error != 0 || o.ending == ConnectOutcome::Ending::kAppGaveUp ||
                      o.ending == ConnectOutcome::Ending::kStillBlocked;
  if (!failed) return std::nullopt;
  const std::vector<PacketRef> syns = a ? a->syns.items() : std::vector<PacketRef>{};
  const bool syn_on_wire = a != nullptr && a->has_syn;
  const int remote_side = a ? RemoteSide(*a, o.flow) : -1;
  const IcmpRecord* icmp = LatestIcmp(a);

  if (a && a->syn_ack && o.error == 0) {
    // Handshake answered but the program stopped waiting before it saw the outcome.
    return std::nullopt;
  }

  // A RST from the peer refuses the attempt whatever errno carried it to the program.
  if (a && remote_side >= 0 && a->RstRefusesSyn(remote_side))
    return RefusedByRst(o, *a, remote_side);

  // Nothing left this host and the kernel gave up on it with EHOSTUNREACH: first whether the
  // next hop never answered address resolution (its own host-unreachable on lo is no firewall).
  if (o.error == EHOSTUNREACH && !syn_on_wire) {
    NeighbourQuestion q{o.call,
                        o.flow,
                        o.error,
                        o.end_ns,
                        ctx.window().EarliestFor(o.call),
                        ctx.window().LatestFor(o.end_ns),
                        o.end_ns - o.call.entry_ns >= ctx.options.neighbour_failure_min_ns,
                        a ? &a->icmp : nullptr};
    if (std::optional<Finding> f = DecideNeighbourFailure(q, ctx)) {
      f->resolved_by = o.resolved_by;
      return f;
    }
  }

  // RFC 1122 4.2.3.9: ICMP unreachable codes 2-4 (protocol, port, frag) are hard errors that
  // abort the connection; codes 0, 1, 5 (net, host, source route) are soft errors — TCP keeps
  // retrying and reports the error only when the connect finally gives up (EHOSTUNREACH after
  // the SYN retries). Either way an ICMP error quoting our SYN is the explanation.
  if (icmp != nullptr) {
    Finding f = IcmpUnreachable(o.call, o.flow, o.error, *icmp, syns, ctx);
    // RFC 1122 4.2.3.9 lets TCP treat host/net unreachable as soft errors in SYN-SENT: Linux
    // keeps retransmitting and fails the connect on a later error. Every error about this
    // attempt is evidence, not only the one that ended it.
    for (const IcmpRecord& earlier : a->icmp) AddEvidence(f, earlier.ref);
    FinishEvidence(f);
    return f;
  }

  if (a && a->syn_ack) {
    return Unexplained(o.call, o.flow, o.error,
                       "the peer answered the SYN with SYN-ACK, yet the connect did not succeed",
                       ctx);
  }

  if (o.error == ECONNREFUSED) {
    if (a && remote_side >= 0 && a->dir[remote_side].rst) {
      // A RST that does not acknowledge our SYN (RFC 793: ignored in SYN-SENT) — still the
      // peer's refusal as far as the program sees; say what was seen.
      return RefusedByRst(o, *a, remote_side);
    }
    return Unexplained(o.call, o.flow, o.error,
                       "no RST or ICMP error for this connection attempt was captured", ctx);
  }

  if (syn_on_wire) {
    if (o.error == 0 || o.error == ETIMEDOUT) return SynUnanswered(o, *a);
    return Unexplained(o.call, o.flow, o.error,
                       absl::StrCat("the SYN was sent ", Times(a->syns.total()),
                                    " but no answer or ICMP error was captured"),
                       ctx);
  }

  // Nothing of the flow on the wire. Only a trustworthy capture lets us say "no packet sent".
  const std::string gap = CaptureGapReason(ctx);
  if (!gap.empty()) {
    return Unexplained(o.call, o.flow, o.error, "no packet of this connection was captured", ctx);
  }
  const std::string dst = o.flow.remote.ToString();
  const std::string addr = o.flow.remote.addr.ToString();
  switch (o.error) {
    case ENETUNREACH:
      // ip_route_output fails before the SYN is built: no route to the destination.
      return NoPacketSent(o, absl::StrCat("this host has no route to ", addr),
                          absl::StrCat("add a route (or a default route) to ", addr,
                                       ": check `ip route get ", addr, "`"));
    case EHOSTUNREACH:
      // Immediate (a failed resolution was decided above, neighbour_rules.h): the route says so.
      return NoPacketSent(
          o, absl::StrCat("the route to ", addr, " is unreachable or prohibited"),
          absl::StrCat("check `ip route get ", addr, "` for an unreachable/prohibit route"));
    case ETIMEDOUT:
    case 0:
      // A local OUTPUT DROP: the kernel builds and retries the SYN, netfilter drops each one
      // before the interface, and connect ends in ETIMEDOUT with nothing on the wire.
      return NoPacketSent(o, "a local firewall (OUTPUT chain DROP) discarded the SYNs",
                          absl::StrCat("this host's firewall drops TCP to ", dst,
                                       ": check `iptables -S OUTPUT`, `ip6tables -S OUTPUT` or "
                                       "`nft list ruleset`"));
    case EPERM:
    case EACCES:
      return NoPacketSent(o, "a local firewall (OUTPUT chain) or security policy refused the SYN",
                          absl::StrCat("this host's firewall or security policy forbids TCP to ",
                                       dst, ": check `iptables -S OUTPUT` / `nft list ruleset`"));
    case EADDRNOTAVAIL: {
      const NoLocalPort why = DescribeNoLocalPort(o.flow, o.local_ports_in_use, ctx);
      return NoPacketSent(o, why.why, why.hint);
    }
    case ENETDOWN:
      return NoPacketSent(o, "the outgoing interface is down",
                          "bring the interface up: check `ip link`");
    default:
      break;
  }
  return Unexplained(o.call, o.flow, o.error, "no packet of this connection was captured", ctx);
}

void MarkSuperseded(Finding& f, const ConnectOutcome& o, const RuleContext& ctx) {
  if (!o.superseded_by) return;
  const SyscallEvent& other = *o.superseded_by;
  const std::string other_remote =
      other.address ? other.address->ToString() : std::string("another address");
  // The program went on with the other attempt once it had started it: the delay this attempt
  // cost is the time from its start to the other one's.
  const TimeNs delay = std::max<TimeNs>(0, other.entry_ns - o.call.entry_ns);
  f.severity = delay >= ctx.options.slow_call_ns ? FindingSeverity::kSlow : FindingSeverity::kInfo;
  f.outcome_error = o.ending == ConnectOutcome::Ending::kAppGaveUp ? 0 : f.outcome_error;
  f.summary = absl::StrCat(
      "the program fell back to ", other_remote, ", which connected (", CallName(other),
      ", started ", Seconds(delay), " after this attempt; RFC 8305 Happy Eyeballs or the next "
      "address): ", f.summary);
  f.hint = absl::StrCat("nothing failed for the program; ", f.hint);
}

}  // namespace netcorr::correlate
