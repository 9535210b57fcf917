#include <cerrno>

#include "correlate/call_decisions.h"
#include "correlate/path_rules.h"
#include "correlate/port_rules.h"
#include "correlate/tcp_connect_rules.h"

namespace netcorr::correlate {

namespace {

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

std::optional<Explanation> DecideConnectCall(Decision& d, FlowTable& flows,
                                             const RuleContext& ctx) {
  ConnectOutcome& o = *d.connect;
  const TimeNs from = ctx.window().EarliestFor(o.call);
  const TimeNs to = ctx.window().LatestFor(o.end_ns);
  TcpConnection* attempt = nullptr;
  FlowRecord* attempt_record = nullptr;
  bool attempt_agrees = false;
  for (FlowRecord* r : d.flow.RecordsIn(flows)) {
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
    o.flow = ProgramFlow(k, d.flow.remotes.empty() ? k.b : d.flow.remotes.front());
  } else {
    o.flow = d.flow.AsFarAsKnown();
  }
  if (o.error == EADDRNOTAVAIL) o.local_ports_in_use = LocalPortsTowards(flows, o.flow.remote);
  std::optional<Finding> f;
  if (o.error == 0 && (o.ending == ConnectOutcome::Ending::kReturned ||
                       o.ending == ConnectOutcome::Ending::kResolved)) {
    if (attempt) f = DecideSlowConnect(o, *attempt, ctx);
  } else {
    f = DecideConnect(o, attempt, ctx);
    if (f) MarkSuperseded(*f, o, ctx);
  }
  if (!f) return std::nullopt;
  return Explanation{std::move(*f), attempt_record};
}

}  // namespace netcorr::correlate
