#include <cerrno>
#include <vector>

#include "correlate/call_decisions.h"
#include "correlate/dns_rules.h"
#include "correlate/udp_rules.h"

namespace netcorr::correlate {

namespace {

// A no_response finding about DNS query `q` is told once for its cause.
std::optional<Explanation> Told(std::optional<Finding> f, FlowRecord* r, const Endpoint& server,
                                const DnsQueryRecord* q, FlowTable& flows) {
  if (!f) return std::nullopt;
  if (q != nullptr && f->kind == FindingKind::kNoResponse)
    RememberDnsSilence(server.addr, *q, flows);
  return Explanation{*std::move(f), r};
}

// The program stopped using a UDP socket (closed it, or exited) with a DNS query unanswered: the
// query was never answered, however the program waited (a poll, or an epoll set the strace log
// never described). Only DNS: a datagram nobody answers is normal for syslog or statsd.
std::optional<Explanation> DecideUdpClose(const Decision& d, FlowTable& flows,
                                          const RuleContext& ctx) {
  const TimeNs gave_up = d.exited_ns.value_or(d.call.entry_ns);
  for (FlowRecord* r : d.flow.RecordsIn(flows)) {
    for (const Endpoint& rem : d.flow.remotes) {
      const int rs = r->key.SideOf(rem);
      if (rs < 0) continue;
      const DnsQueryRecord* q = UnansweredDnsQuery(*r, 1 - rs, gave_up);
      if (q == nullptr) continue;
      const FlowKey flow = ProgramFlow(r->key, rem);
      if (DnsSilenceReported(rem.addr, *q, flows)) return std::nullopt;
      // A server that already REFUSED this client (RFC 1035: it will not answer it, whatever
      // the name): a resolver drops its other queries to it at once, and that refusal, told
      // already, is why they went unanswered.
      constexpr uint16_t kRefused = 5;
      if (flows.dns_causes().Reported(rem.addr, DnsCauseKind::kRcode, kRefused, q->name)) {
        return std::nullopt;
      }
      if (const DnsQueryRecord* answered = AnsweredParallelQuery(flows, flow, *q)) {
        return Told(DnsQueryLostInLookup(d.call, flow, *q, *answered, gave_up), r, rem, q, flows);
      }
      if (auto e = Told(DecideNoResponse(d.call, flow, *r, ctx, d.exited_ns), r, rem, q, flows)) {
        return e;
      }
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<Explanation> DecideUdpSilence(const SyscallEvent& call, const PartialFlow& flow,
                                            FlowTable& flows, const RuleContext& ctx) {
  for (FlowRecord* r : flow.RecordsIn(flows)) {
    for (const Endpoint& rem : flow.remotes) {
      const int rs = r->key.SideOf(rem);
      if (rs < 0) continue;
      const RefList& pending = r->udp.unanswered[1 - rs];
      const DnsQueryRecord* q = UnansweredDnsQuery(*r, 1 - rs, call.exit_ns);
      if (q != nullptr) {
        // A lookup with one query answered and another not (A answered, AAAA lost) goes on
        // once the resolver stops waiting: decided at the close, when the time lost is known.
        if (AnsweredParallelQuery(flows, ProgramFlow(r->key, rem), *q) != nullptr) continue;
        // The same name asked again on another socket, still unanswered: one silence.
        if (DnsSilenceReported(rem.addr, *q, flows)) continue;
      } else if (!r->dns.empty()) {
        continue;  // a DNS flow whose every query was answered (or already told)
      }
      // One finding per silence: a resolver retrying with poll after poll is one no_response.
      if (pending.empty() || r->Explained(pending.items().front().id)) continue;
      if (auto e =
              Told(DecideNoResponse(call, ProgramFlow(r->key, rem), *r, ctx), r, rem, q, flows)) {
        return e;
      }
    }
  }
  return std::nullopt;
}

std::optional<Explanation> DecideUdpCall(const Decision& d, FlowTable& flows,
                                         const RuleContext& ctx) {
  const SyscallEvent& call = d.call;
  if (call.kind == CallKind::kClose || d.exited_ns) return DecideUdpClose(d, flows, ctx);
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
        // The lookup's other queries (AAAA beside A, the next search domain, the next
        // attempt) got the same answer: one finding for the cause.
        if (DnsErrorAlreadyReported(remote.addr, q, flows)) continue;
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
