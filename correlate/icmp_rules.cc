#include "correlate/icmp_rules.h"

#include "absl/strings/str_cat.h"
#include "correlate/finding_text.h"

namespace netcorr::correlate {

IcmpClass ClassifyIcmp(const IcmpError& e) {
  if (!e.v6) {
    if (e.type == 11) return IcmpClass::kTtlExceeded;
    if (e.type != 3) return IcmpClass::kOther;
    switch (e.code) {
      case 0:
      case 6:
      case 11:
        return IcmpClass::kNoRoute;
      case 1:
      case 7:
      case 12:
        return IcmpClass::kHostUnreachable;
      case 2:
        return IcmpClass::kProtocolUnreachable;
      case 3:
        return IcmpClass::kPortUnreachable;
      case 4:
        return IcmpClass::kFragNeeded;
      case 9:
      case 10:
      case 13:
        return IcmpClass::kProhibited;
      default:
        return IcmpClass::kOther;
    }
  }
  if (e.type == 2) return IcmpClass::kFragNeeded;  // packet too big
  if (e.type == 3) return IcmpClass::kTtlExceeded;
  if (e.type != 1) return IcmpClass::kOther;
  switch (e.code) {
    case 0:
    case 2:
    case 6:
      return IcmpClass::kNoRoute;
    case 1:
    case 5:
      return IcmpClass::kProhibited;
    case 3:
      return IcmpClass::kHostUnreachable;
    case 4:
      return IcmpClass::kPortUnreachable;
    default:
      return IcmpClass::kOther;
  }
}

IcmpDetail DescribeIcmp(const IcmpError& e, const FlowKey& flow, const LocalAddresses& local) {
  IcmpDetail d;
  d.v6 = e.v6;
  d.type = e.type;
  d.code = e.code;
  d.description = e.Describe();
  d.sender = e.sender;
  d.mtu = e.next_hop_mtu;
  // The destination answering for itself is checked first: on loopback it is also local.
  if (e.sender == flow.remote.addr) {
    d.sender_role = IcmpSenderRole::kDestination;
  } else if (e.sender == flow.local.addr || local.Contains(e.sender)) {
    d.sender_role = IcmpSenderRole::kThisHost;
  } else {
    d.sender_role = IcmpSenderRole::kHop;
  }
  return d;
}

namespace {

std::string SenderPhrase(const IcmpDetail& d) {
  switch (d.sender_role) {
    case IcmpSenderRole::kDestination:
      return absl::StrCat(d.sender.ToString(), " (the destination itself)");
    case IcmpSenderRole::kThisHost:
      return absl::StrCat(d.sender.ToString(), " (this host)");
    case IcmpSenderRole::kHop:
      break;
  }
  return absl::StrCat(d.sender.ToString(), " (a hop on the path, not the destination)");
}

std::string Hint(IcmpClass cls, const IcmpDetail& d, const FlowKey& flow) {
  const std::string dst = flow.remote.ToString();
  const std::string proto(TransportName(flow.transport));
  const std::string who = d.sender.ToString();
  if (d.sender_role == IcmpSenderRole::kThisHost && cls != IcmpClass::kFragNeeded) {
    return absl::StrCat("this host's own firewall rejects ", proto, " to ", dst,
                        " (a REJECT rule in the OUTPUT chain): check `iptables -S OUTPUT`, "
                        "`ip6tables -S OUTPUT` or `nft list ruleset`");
  }
  const bool dest = d.sender_role == IcmpSenderRole::kDestination;
  switch (cls) {
    case IcmpClass::kNoRoute:
      return absl::StrCat(dest ? dst : absl::StrCat("router ", who), " has no route to ",
                          flow.remote.addr.ToString(), ": check its routing table (`ip route`)");
    case IcmpClass::kHostUnreachable:
      return dest ? absl::StrCat(who, " reports itself unreachable: check its firewall")
                  : absl::StrCat("router ", who, " cannot reach ", flow.remote.addr.ToString(),
                                 " (no ARP/ND answer, or a REJECT rule there): is the host up, "
                                 "and is the router's link to it?");
    case IcmpClass::kPortUnreachable:
      if (dest && flow.transport == Transport::kUdp) {
        return absl::StrCat("nothing listens on ", proto, " ", dst,
                            " — is the server running, on that port/address?");
      }
      return absl::StrCat("a firewall at ", who, " rejects ", proto, " to ", dst,
                          " (REJECT with port-unreachable): check its rules");
    case IcmpClass::kProhibited:
      return absl::StrCat("a firewall at ", who, dest ? " (the destination)" : "", " rejects ",
                          proto, " to ", dst, ": check its REJECT rules");
    case IcmpClass::kProtocolUnreachable:
      return absl::StrCat(who, " does not accept ", proto, ": check the protocol and the server");
    case IcmpClass::kFragNeeded:
      return absl::StrCat("the path to ", flow.remote.addr.ToString(), " carries at most ", d.mtu,
                          " bytes per packet (at ", who,
                          "): send smaller datagrams, or let the kernel fragment them "
                          "(IP_MTU_DISCOVER)");
    case IcmpClass::kTtlExceeded:
      return absl::StrCat("the packet ran out of hops at ", who,
                          ": a routing loop or too low a TTL; check routes with `traceroute ",
                          flow.remote.addr.ToString(), "`");
    case IcmpClass::kOther:
      break;
  }
  return absl::StrCat("see the ICMP error from ", who, " about ", dst);
}

}  // namespace

Finding IcmpUnreachable(const SyscallEvent& call, const FlowKey& flow, int outcome_error,
                        const IcmpRecord& icmp, const std::vector<PacketRef>& sent,
                        const RuleContext& ctx) {
  Finding f = NewFinding(FindingKind::kIcmpUnreachable, call, flow, outcome_error);
  IcmpDetail d = DescribeIcmp(icmp.error, flow, ctx.local);
  const IcmpClass cls = ClassifyIcmp(icmp.error);
  const std::string outcome = !call.finished ? "is blocked"
                              : outcome_error != 0
                                  ? absl::StrCat("failed (", ErrnoTag(outcome_error), ")")
                                  : "did not get through";
  std::string what =
      absl::StrCat("ICMP", d.v6 ? "v6 " : " ", d.description, " from ", SenderPhrase(d));
  if (cls == IcmpClass::kFragNeeded && d.mtu > 0) absl::StrAppend(&what, ", next-hop MTU ", d.mtu);
  if (d.sender_role == IcmpSenderRole::kThisHost && sent.empty() && cls != IcmpClass::kFragNeeded) {
    f.summary = absl::StrCat(CallName(call), " to ", flow.remote.ToString(), " ", outcome,
                             ": rejected by this host's firewall (", what,
                             "; nothing of the flow reached the wire)");
  } else {
    f.summary =
        absl::StrCat(CallName(call), " to ", flow.remote.ToString(), " ", outcome, ": ", what);
  }
  f.hint = Hint(cls, d, flow);
  AddEvidence(f, sent);
  AddEvidence(f, icmp.ref);
  f.icmp = std::move(d);
  FinishEvidence(f);
  return f;
}

}  // namespace netcorr::correlate
