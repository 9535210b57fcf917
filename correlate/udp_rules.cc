#include "correlate/udp_rules.h"

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "correlate/dns_rules.h"
#include "correlate/finding_text.h"
#include "correlate/icmp_rules.h"
#include "correlate/neighbour_rules.h"
#include "correlate/unexplained.h"

namespace netcorr::correlate {

namespace {

// The latest ICMP error about the flow, not yet used for another call, stamped before `until`
// and of a class accepted by `want`.
template <typename Pred>
const IcmpRecord* LatestIcmp(const FlowRecord& record, TimeNs from, TimeNs until, Pred want) {
  const IcmpRecord* best = nullptr;
  for (const IcmpRecord& r : record.udp.icmp) {
    if (record.Explained(r.ref.id) || r.ref.ts < from || r.ref.ts > until ||
        !want(ClassifyIcmp(r.error))) {
      continue;
    }
    best = &r;
  }
  return best;
}

// How far back a UDP call's failed resolution may have begun: the kernel probes for about 3 s
// (three unanswered probes a second apart) after the send that queued the datagram.
constexpr TimeNs kResolutionLookbackNs = 10'000'000'000;

bool AnySentSince(const std::vector<PacketRef>& sent, TimeNs since) {
  for (const PacketRef& r : sent) {
    if (r.ts >= since) return true;
  }
  return false;
}

Finding NoDatagramSent(const SyscallEvent& call, const FlowKey& flow, const std::string& why,
                       const std::string& hint) {
  Finding f = NewFinding(FindingKind::kNoPacketSent, call, flow, call.error);
  f.summary = absl::StrCat(CallName(call), " to ", flow.remote.ToString(), " failed with ",
                           ErrnoTag(call.error), " and no datagram left this host: ", why);
  f.hint = hint;
  return f;
}

}  // namespace

std::optional<Finding> DecideUdpError(const SyscallEvent& call, const FlowKey& flow,
                                      const FlowRecord* record, const RuleContext& ctx) {
  if (!call.finished || call.error == 0) return std::nullopt;
  const int err = call.error;
  const TimeNs until = ctx.window().LatestFor(call);
  const NormalizedFlowKey key = NormalizedFlowKey::From(flow);
  const int local = key.SideOf(flow.local);
  std::vector<PacketRef> sent;
  if (record != nullptr && local >= 0) sent = record->udp.unanswered[local].items();

  switch (err) {
    case ECONNREFUSED: {
      // RFC 1122 4.1.3.3: UDP MUST pass ICMP errors to the application; Linux reports an ICMP
      // port-unreachable on a connected UDP socket as ECONNREFUSED on the next send or recv —
      // so the ICMP may be much older than this call.
      const IcmpRecord* icmp =
          record ? LatestIcmp(*record, record->first_ts, until,
                              [](IcmpClass c) { return c != IcmpClass::kFragNeeded; })
                 : nullptr;
      if (icmp) return IcmpUnreachable(call, flow, err, *icmp, sent, ctx);
      return Unexplained(call, flow, err, "no ICMP port-unreachable for this flow was captured",
                         ctx);
    }
    case EMSGSIZE: {
      // RFC 1191 / RFC 8201: after ICMP frag-needed / packet-too-big the kernel lowers the
      // route's PMTU and refuses larger DF datagrams with EMSGSIZE.
      const IcmpRecord* icmp =
          record ? LatestIcmp(*record, record->first_ts, until,
                              [](IcmpClass c) { return c == IcmpClass::kFragNeeded; })
                 : nullptr;
      if (icmp) return IcmpUnreachable(call, flow, err, *icmp, sent, ctx);
      return Unexplained(call, flow, err,
                         "no ICMP frag-needed/packet-too-big for this flow was captured (the "
                         "datagram may be larger than the local interface MTU)",
                         ctx);
    }
    case EHOSTUNREACH:
    case ENETUNREACH:
    case EACCES:
    case EPERM: {
      if (err == EHOSTUNREACH && !AnySentSince(sent, call.entry_ns - kResolutionLookbackNs)) {
        // A connected UDP socket learns of its next hop's failed resolution on the call after
        // the send that queued the datagram (this host's own ICMP sets the socket error), so
        // the ARP/ND requests can be seconds older than this call.
        const std::vector<IcmpRecord>* icmp = record ? &record->udp.icmp : nullptr;
        const bool told = icmp != nullptr && !LocalHostUnreachable(*icmp, flow, ctx).empty();
        NeighbourQuestion q{call,  flow, err, call.exit_ns, call.entry_ns - kResolutionLookbackNs,
                            until, told, icmp};
        if (std::optional<Finding> f = DecideNeighbourFailure(q, ctx)) return f;
      }
      const IcmpRecord* icmp =
          record ? LatestIcmp(*record, record->first_ts, until,
                              [](IcmpClass c) { return c != IcmpClass::kFragNeeded; })
                 : nullptr;
      if (icmp) return IcmpUnreachable(call, flow, err, *icmp, sent, ctx);
      bool on_wire = false;
      for (const PacketRef& r : sent) {
        on_wire |= ctx.window().Contains(call, r.ts);
      }
      if (on_wire || !CaptureGapReason(ctx).empty()) {
        return Unexplained(call, flow, err, "no ICMP error for this flow was captured", ctx);
      }
      const std::string addr = flow.remote.addr.ToString();
      if (err == ENETUNREACH) {
        return NoDatagramSent(
            call, flow, absl::StrCat("this host has no route to ", addr),
            absl::StrCat("add a route to ", addr, ": check `ip route get ", addr, "`"));
      }
      if (err == EHOSTUNREACH) {
        return NoDatagramSent(
            call, flow,
            absl::StrCat("the route to ", addr,
                         " is unreachable, or the next hop did not answer ARP/ND"),
            absl::StrCat("check `ip route get ", addr, "` and `ip neigh` for the next hop"));
      }
      return NoDatagramSent(
          call, flow, "a local firewall (OUTPUT chain) refused the datagram",
          absl::StrCat("this host's firewall forbids UDP to ", flow.remote.ToString(),
                       ": check `iptables -S OUTPUT` / `nft list ruleset`"));
    }
    default:
      break;
  }
  return std::nullopt;
}

std::optional<Finding> DecideNoResponse(const SyscallEvent& call, const FlowKey& flow,
                                        const FlowRecord& record, const RuleContext& ctx,
                                        std::optional<TimeNs> exited_ns) {
  const NormalizedFlowKey key = NormalizedFlowKey::From(flow);
  const int local = key.SideOf(flow.local);
  const int remote = key.SideOf(flow.remote);
  if (local < 0 || remote < 0 || local == remote) return std::nullopt;
  // Requests still unanswered when the call stopped waiting: sent before its exit (or before
  // now, for a call still blocked) and no datagram back since.
  const TimeNs until = exited_ns.value_or(call.exit_ns);
  std::vector<PacketRef> requests;
  for (const PacketRef& r : record.udp.unanswered[local].items()) {
    if (r.ts <= until) requests.push_back(r);
  }
  if (requests.empty()) return std::nullopt;
  // Count only what was sent before the call gave up (the list keeps the first kMax).
  const RefList& pending = record.udp.unanswered[local];
  const uint32_t total = pending.total() > pending.items().size()
                             ? pending.total()
                             : static_cast<uint32_t>(requests.size());
  // RFC 1122 4.1.3.3 / udp(7): an ICMP error is reported to the application only on a
  // connected socket; an unconnected one just waits. If the error was captured, it is the
  // answer the program never saw.
  for (const IcmpRecord& i : record.udp.icmp) {
    if (record.Explained(i.ref.id) || i.ref.ts < requests.front().ts ||
        i.ref.ts > ctx.window().LatestFor(call)) {
      continue;
    }
    return IcmpUnreachable(call, flow, call.error, i, requests, ctx);
  }
  if (!ctx.capture.available || ctx.capture.kernel_dropped + ctx.capture.interface_dropped > 0) {
    // The answer may have arrived and been lost by the capture: do not claim silence.
    return Unexplained(call, flow, call.error,
                       absl::StrCat(total, " requests were sent and no answer was captured"), ctx);
  }

  Finding f = NewFinding(FindingKind::kNoResponse, call, flow, call.error);
  const std::string waited =
      exited_ns
          ? absl::StrCat("was its last call: the program exited ",
                         Seconds(until - requests.back().ts), " after the last request, unanswered")
      : call.kind == CallKind::kClose
          ? absl::StrCat("closed the socket ", Seconds(until - requests.back().ts),
                         " after the last request, unanswered")
      : !call.finished  ? absl::StrCat("was still waiting after ", Seconds(call.duration_ns()))
      : call.error != 0 ? absl::StrCat("failed with ", ErrnoTag(call.error), " after ",
                                       Seconds(call.duration_ns()))
                        : absl::StrCat("timed out after ", Seconds(call.duration_ns()));
  std::vector<TimeNs> times;
  for (const PacketRef& r : requests) times.push_back(r.ts);
  if (const DnsQueryRecord* q = UnansweredDnsQuery(record, local, until)) {
    // RFC 1035 4.2.1: a resolver retransmits the query and waits; no answer at all means the
    // server (or the path to it) is silent, not that the name is bad.
    DnsDetail d = DescribeDnsQuery(*q);
    f.summary = absl::StrCat(CallName(call), " on ", flow.ToString(), " ", waited,
                             ": DNS query for ", d.name.empty() ? "(no question)" : d.name,
                             absl::StrFormat(" (id 0x%04x)", d.id), " sent ", Times(d.queries_sent),
                             " to ", flow.remote.ToString(), ", no response");
    f.hint = absl::StrCat("the DNS server ", flow.remote.ToString(),
                          " does not answer: is it running and reachable (a firewall dropping UDP "
                          "53)? check the nameserver in /etc/resolv.conf");
    AddEvidence(f, q->queries.items());
    f.dns = std::move(d);
  } else {
    f.summary = absl::StrCat(CallName(call), " on ", flow.ToString(), " ", waited, ": ", total,
                             total == 1 ? " datagram" : " datagrams", " sent (", TimeList(times),
                             "), nothing came back");
    f.hint = absl::StrCat("nothing answers on UDP ", flow.remote.ToString(),
                          ": is the server running, and does a firewall drop the requests or the "
                          "replies?");
  }
  AddEvidence(f, requests);
  FinishEvidence(f);
  return f;
}

}  // namespace netcorr::correlate
