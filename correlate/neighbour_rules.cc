#include "correlate/neighbour_rules.h"

#include <cerrno>
#include <string>

#include "absl/algorithm/container.h"
#include "absl/strings/str_cat.h"
#include "correlate/finding_text.h"
#include "correlate/icmp_rules.h"
#include "correlate/neighbour_state.h"
#include "correlate/unexplained.h"

namespace netcorr::correlate {

namespace {

using Resolution = NeighbourTable::Resolution;

bool IsThisHost(const IpAddress& addr, const FlowKey& flow, const RuleContext& ctx) {
  return addr == flow.local.addr || ctx.local.Contains(addr);
}

// The next hop's resolution towards flow.remote in [from, to]. The destination asked for is on
// the link: that is its next hop, answered or not. Otherwise the gateway's requests went
// unanswered; the capture does not name the gateway, so exactly one address of the family that
// this host (not another host on a shared segment) asked for in vain must stand out.
std::optional<Resolution> NextHopResolution(const NeighbourQuestion& q, const RuleContext& ctx) {
  if (ctx.neighbours == nullptr) return std::nullopt;
  const IpAddress& dst = q.flow.remote.addr;
  if (std::optional<Resolution> direct = ctx.neighbours->Find(dst, q.from, q.to)) return direct;
  std::vector<Resolution> ours;
  for (Resolution& r : ctx.neighbours->Unanswered(dst.family(), q.from, q.to)) {
    if (absl::c_any_of(r.requesters,
                       [&](const IpAddress& a) { return IsThisHost(a, q.flow, ctx); })) {
      ours.push_back(std::move(r));
    }
  }
  if (ours.size() != 1) return std::nullopt;
  return std::move(ours.front());
}

std::string Protocol(bool v6) { return v6 ? "neighbour discovery" : "ARP"; }

}  // namespace

std::vector<const IcmpRecord*> LocalHostUnreachable(const std::vector<IcmpRecord>& icmp,
                                                    const FlowKey& flow, const RuleContext& ctx) {
  std::vector<const IcmpRecord*> out;
  for (const IcmpRecord& r : icmp) {
    if (ClassifyIcmp(r.error) == IcmpClass::kHostUnreachable &&
        IsThisHost(r.error.sender, flow, ctx)) {
      out.push_back(&r);
    }
  }
  return out;
}

std::optional<Finding> DecideNeighbourFailure(const NeighbourQuestion& q, const RuleContext& ctx) {
  if (q.outcome_error != EHOSTUNREACH) return std::nullopt;
  const std::vector<const IcmpRecord*> local =
      q.icmp ? LocalHostUnreachable(*q.icmp, q.flow, ctx) : std::vector<const IcmpRecord*>{};
  const std::string dst = q.flow.remote.ToString();
  const std::string waited = Seconds(q.end_ns - q.call.entry_ns);
  const std::optional<Resolution> r = NextHopResolution(q, ctx);
  if (!r || r->answered) {
    if (!q.waited_for_resolution) return std::nullopt;
    // The shape of a neighbour failure without its evidence: say what is missing.
    std::string missing = "nothing of the flow reached the wire";
    if (!local.empty()) absl::StrAppend(&missing, " and this host reported it host-unreachable");
    if (r) {
      absl::StrAppend(&missing, ", yet ", r->address.ToString(), " answered ", Protocol(r->v6));
    } else {
      absl::StrAppend(&missing,
                      ", as when the next hop does not answer ARP/neighbour discovery, but no "
                      "unanswered request for the next hop towards ",
                      q.flow.remote.addr.ToString(), " was captured");
    }
    Finding f = Unexplained(q.call, q.flow, q.outcome_error, missing, ctx);
    for (const IcmpRecord* i : local) AddEvidence(f, i->ref);
    FinishEvidence(f);
    return f;
  }

  Finding f = NewFinding(FindingKind::kNeighbourUnreachable, q.call, q.flow, q.outcome_error);
  const std::string hop = r->address.ToString();
  const bool on_link = r->address == q.flow.remote.addr;
  const PacketRef& first = r->requests.front();
  const PacketRef& last = r->requests.back();
  const size_t n = r->requests.size();
  const std::string asked =
      n == 1 ? "1 request" : absl::StrCat(n, " requests in ", Seconds(last.ts - first.ts));
  f.summary = absl::StrCat(
      CallName(q.call), " to ", dst, " failed with ", ErrnoTag(q.outcome_error), " after ", waited,
      ": no host answered ", Protocol(r->v6), " for ", hop,
      on_link ? "" : absl::StrCat(" (the next hop towards ", q.flow.remote.addr.ToString(), ")"),
      " (", asked, "), so nothing of the flow left this host");
  f.hint = on_link
               ? absl::StrCat(hop,
                              " is on this host's link but nothing answers for it: the host "
                              "is down, has another address, or is on another VLAN; check `ip "
                              "neigh show ",
                              hop, "` (FAILED/INCOMPLETE) and the address")
               : absl::StrCat("the gateway ", hop, " towards ", q.flow.remote.addr.ToString(),
                              " does not answer: is it up, on this link (VLAN)? check `ip route "
                              "get ",
                              q.flow.remote.addr.ToString(), "` and `ip neigh show ", hop, "`");
  NeighbourDetail d;
  d.next_hop = r->address;
  d.v6 = r->v6;
  d.requests = static_cast<uint32_t>(n);
  d.first_ns = first.ts;
  d.last_ns = last.ts;
  d.answered = false;
  f.neighbour = d;
  AddEvidence(f, r->requests);
  for (const IcmpRecord* i : local) AddEvidence(f, i->ref);
  FinishEvidence(f);
  return f;
}

}  // namespace netcorr::correlate
