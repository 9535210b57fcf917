#include <cerrno>
#include <vector>

#include "correlate/call_decisions.h"
#include "correlate/dns_rules.h"
#include "correlate/udp_rules.h"

namespace netcorr::correlate {

std::optional<Explanation> DecideUdpSilence(const SyscallEvent& call, const PartialFlow& flow,
                                            FlowTable& flows, const RuleContext& ctx) {
  for (FlowRecord* r : flow.RecordsIn(flows)) {
    for (const Endpoint& rem : flow.remotes) {
      const int rs = r->key.SideOf(rem);
      if (rs < 0) continue;
      const RefList& pending = r->udp.unanswered[1 - rs];
      // One finding per silence: a resolver retrying with poll after poll is one no_response.
      if (pending.empty() || r->Explained(pending.items().front().id)) continue;
      if (std::optional<Finding> f = DecideNoResponse(call, ProgramFlow(r->key, rem), *r, ctx)) {
        return Explanation{std::move(*f), r};
      }
    }
  }
  return std::nullopt;
}

std::optional<Explanation> DecideUdpCall(const Decision& d, FlowTable& flows,
                                         const RuleContext& ctx) {
  const SyscallEvent& call = d.call;
  std::vector<FlowRecord*> records = d.flow.RecordsIn(flows);
  if (d.flow.remotes.empty()) return std::nullopt;
  const Endpoint& remote = d.flow.remotes.front();

  if (call.finished && call.error != 0 && call.error != EAGAIN && call.error != EINTR) {
    FlowRecord* r = records.empty() ? nullptr : records.front();
    std::optional<Finding> f =
        DecideUdpError(call, r ? ProgramFlow(r->key, remote) : d.flow.AsFarAsKnown(), r, ctx);
    if (!f) return std::nullopt;
    return Explanation{std::move(*f), r};
  }
  if (call.kind == CallKind::kRecv && call.finished && call.error == 0) {
    // RFC 1035 4.1.1: the answer's RCODE; a receive that returned it got the bad news.
    for (FlowRecord* r : records) {
      const int remote_side = r->key.SideOf(remote);
      for (const DnsQueryRecord& q : r->dns) {
        if (!q.response || r->Explained(q.response->id) || q.rcode == 0 ||
            q.query_side != 1 - remote_side) {
          continue;
        }
        if (!ctx.window().ReceivedDuring(call, q.response->ts)) continue;
        return Explanation{DnsError(call, ProgramFlow(r->key, remote), q), r};
      }
    }
    return std::nullopt;
  }
  if (call.kind == CallKind::kRecv && (!call.finished || call.error == EAGAIN)) {
    return DecideUdpSilence(call, d.flow, flows, ctx);
  }
  return std::nullopt;
}

}  // namespace netcorr::correlate
