#include "correlate/dns_rules.h"

#include <algorithm>
#include <array>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "correlate/finding_text.h"
#include "src/model/protocol_names.h"

namespace netcorr::correlate {

DnsDetail DescribeDnsQuery(const DnsQueryRecord& q) {
  DnsDetail d;
  d.id = q.id;
  d.name = q.name;
  d.qtype = q.qtype != 0 ? DnsTypeName(q.qtype) : "";
  d.rcode = q.rcode;
  d.rcode_name = DnsRcodeName(q.rcode);
  d.queries_sent = q.queries.total();
  d.answered = q.response.has_value();
  d.truncated = q.truncated;
  return d;
}

namespace {

std::string Hint(uint8_t rcode, const std::string& name, const Endpoint& server) {
  const std::string s = server.ToString();
  switch (rcode) {
    case 1:
      return absl::StrCat("the DNS server ", s,
                          " could not parse the query (FORMERR): check the "
                          "resolver library and any DNS proxy in between");
    case 2:
      return absl::StrCat("the DNS server ", s, " failed to resolve ", name,
                          " (SERVFAIL): check its upstream/authoritative servers and DNSSEC, "
                          "or use another resolver");
    case 3:
      return absl::StrCat(name, " does not exist on the DNS server ", s,
                          " (NXDOMAIN): check the name, and the search domains in "
                          "/etc/resolv.conf");
    case 4:
      return absl::StrCat("the DNS server ", s, " does not implement this kind of query");
    case 5:
      return absl::StrCat("the DNS server ", s,
                          " refuses to answer this client (REFUSED): check its recursion and "
                          "ACL settings (allow-query / allow-recursion) for this address, or the "
                          "nameserver in /etc/resolv.conf");
    default:
      break;
  }
  return absl::StrCat("the DNS server ", s, " answered ", DnsRcodeName(rcode), " for ", name);
}

}  // namespace

Finding DnsError(const SyscallEvent& call, const FlowKey& flow, const DnsQueryRecord& answer) {
  Finding f = NewFinding(FindingKind::kDnsError, call, flow, call.error);
  DnsDetail d = DescribeDnsQuery(answer);
  f.summary = absl::StrCat(CallName(call), " on ", flow.ToString(), " got a DNS answer ",
                           d.rcode_name, " for ", d.name.empty() ? "(no question)" : d.name, " (",
                           d.qtype.empty() ? "" : absl::StrCat(d.qtype, ", "),
                           absl::StrFormat("id 0x%04x)", d.id), " from ", flow.remote.ToString());
  f.hint = Hint(answer.rcode, d.name.empty() ? "the name" : d.name, flow.remote);
  f.dns = std::move(d);
  AddEvidence(f, answer.queries.items());
  AddEvidence(f, *answer.response);
  FinishEvidence(f);
  return f;
}

bool DnsErrorAlreadyReported(const IpAddress& server, const DnsQueryRecord& q, FlowTable& flows) {
  return flows.dns_causes().CheckAndRemember(server, DnsCauseKind::kRcode, q.rcode, q.name);
}

bool DnsSilenceReported(const IpAddress& server, const DnsQueryRecord& q, FlowTable& flows) {
  return flows.dns_causes().Reported(server, DnsCauseKind::kUnanswered, q.qtype, q.name);
}

void RememberDnsSilence(const IpAddress& server, const DnsQueryRecord& q, FlowTable& flows) {
  flows.dns_causes().Remember(server, DnsCauseKind::kUnanswered, q.qtype, q.name);
}

const DnsQueryRecord* AnsweredParallelQuery(FlowTable& flows, const FlowKey& flow,
                                            const DnsQueryRecord& q) {
  if (q.queries.empty()) return nullptr;
  const TimeNs first = q.queries.items().front().ts;
  for (FlowRecord* r : flows.FindByRemote(Transport::kUdp, flow.remote)) {
    const int server_side = r->key.SideOf(flow.remote);
    const Endpoint& client = server_side == 0 ? r->key.b : r->key.a;
    if (server_side < 0 || client.addr != flow.local.addr) continue;
    for (const DnsQueryRecord& other : r->dns) {
      if (&other == &q || other.query_side != 1 - server_side || !other.response ||
          other.rcode != 0 || other.queries.empty() || !SameLookupName(other.name, q.name)) {
        continue;
      }
      const TimeNs t = other.queries.items().front().ts;
      if (t >= first - kParallelQueryWindowNs && t <= first + kParallelQueryWindowNs) {
        return &other;
      }
    }
  }
  return nullptr;
}

Finding DnsQueryLostInLookup(const SyscallEvent& call, const FlowKey& flow,
                             const DnsQueryRecord& unanswered, const DnsQueryRecord& answered,
                             TimeNs gave_up_ns) {
  Finding f = NewFinding(FindingKind::kNoResponse, call, flow, 0);
  f.severity = FindingSeverity::kSlow;
  DnsDetail d = DescribeDnsQuery(unanswered);
  const std::string type = d.qtype.empty() ? "DNS" : d.qtype;
  const std::string other = answered.qtype != 0 ? DnsTypeName(answered.qtype) : "other";
  // The lookup could have ended with the last answer; it waited on for the missing one.
  const TimeNs waited_from = std::max(answered.response->ts, unanswered.queries.items().front().ts);
  d.lost_ns = std::max<TimeNs>(0, gave_up_ns - waited_from);
  f.summary = absl::StrCat("the ", type, " query for ", d.name.empty() ? "(no question)" : d.name,
                           absl::StrFormat(" (id 0x%04x)", d.id), " to ", flow.remote.ToString(),
                           " was never answered (sent ", Times(d.queries_sent), "); the ", other,
                           " query was, and the lookup lost ", Seconds(d.lost_ns),
                           " waiting before it went on without the ", type, " answer");
  f.hint =
      absl::StrCat("the DNS server ", flow.remote.ToString(), " (or the path to it) drops ", type,
                   " queries: fix the server or the middlebox; a client can ask one type "
                   "only (AF_INET) or use `options single-request` in /etc/resolv.conf");
  AddEvidence(f, unanswered.queries.items());
  AddEvidence(f, answered.queries.items());
  AddEvidence(f, *answered.response);
  f.dns = std::move(d);
  FinishEvidence(f);
  return f;
}

TcpRetryVerdict TruncatedAnswerRetryFailed(const Finding& connect_failure, FlowTable& flows) {
  TcpRetryVerdict v;
  const std::optional<FlowKey>& tcp = connect_failure.flow;
  if (!tcp || tcp->transport != Transport::kTcp || tcp->remote.port != 53 ||
      connect_failure.severity != FindingSeverity::kFailure) {
    return v;
  }
  const SyscallEvent& call = connect_failure.call;
  const DnsQueryRecord* truncated = nullptr;
  for (FlowRecord* r : flows.FindByRemote(Transport::kUdp, Endpoint{tcp->remote.addr, 53})) {
    const int server_side = r->key.SideOf(Endpoint{tcp->remote.addr, 53});
    const Endpoint& client = server_side == 0 ? r->key.b : r->key.a;
    // The same host asked over UDP (an unknown local address, 0.0.0.0 or ::, matches any).
    const bool local_known = tcp->local.addr.is_set() && !tcp->local.addr.is_unspecified();
    if (server_side < 0 || (local_known && client.addr != tcp->local.addr)) continue;
    for (const DnsQueryRecord& q : r->dns) {
      if (!q.truncated || !q.response || q.query_side != 1 - server_side) continue;
      const TimeNs t = q.response->ts;
      if (t > call.entry_ns || t < call.entry_ns - kTruncatedRetryWindowNs) continue;
      if (truncated == nullptr || t > truncated->response->ts) truncated = &q;
    }
  }
  if (truncated == nullptr) return v;
  DnsCauseMemory& causes = flows.dns_causes();
  const bool reported =
      causes.Reported(tcp->remote.addr, DnsCauseKind::kTruncatedTcpFailed, 0, truncated->name);
  if (connect_failure.kind == FindingKind::kUnexplained) {
    // The packets do not explain this retry's own failure: never told as the chain, but a later
    // retry of a chain already told (glibc's next search domain) folds into it.
    v.applies = reported;
    return v;
  }
  v.applies = true;
  causes.Remember(tcp->remote.addr, DnsCauseKind::kTruncatedTcpFailed, 0, truncated->name);
  if (reported) return v;

  Finding f = connect_failure;  // the retry's own evidence (handshake, ICMP) stays
  f.kind = FindingKind::kDnsError;
  DnsDetail d = DescribeDnsQuery(*truncated);
  const std::string server = tcp->remote.ToString();
  std::string retry;
  switch (connect_failure.kind) {
    case FindingKind::kRefusedByRst:
      d.tcp_retry = "refused";
      retry = absl::StrCat("was refused (", server, " answered the SYN with RST)");
      break;
    case FindingKind::kSynUnanswered:
      d.tcp_retry = "timed_out";
      retry = absl::StrCat("got no SYN-ACK from ", server);
      break;
    default:
      d.tcp_retry = "failed";
      retry = connect_failure.outcome_error != 0
                  ? absl::StrCat("failed with ", ErrnoTag(connect_failure.outcome_error))
                  : "failed";
      break;
  }
  f.summary = absl::StrCat("the DNS answer for ", d.name.empty() ? "(no question)" : d.name, " (",
                           d.qtype.empty() ? "" : absl::StrCat(d.qtype, ", "),
                           absl::StrFormat("id 0x%04x)", d.id), " from ", server,
                           " was truncated (TC), and the retry over TCP ", retry);
  f.hint = absl::StrCat("the answer does not fit in a UDP datagram and ", server,
                        " does not take DNS over TCP, which RFC 7766 requires: let TCP port 53 "
                        "through to the server (firewall) or start its TCP listener, or make the "
                        "answer smaller");
  f.dns = std::move(d);
  AddEvidence(f, truncated->queries.items());
  AddEvidence(f, *truncated->response);
  FinishEvidence(f);
  v.finding = std::move(f);
  return v;
}

const DnsQueryRecord* UnansweredDnsQuery(const FlowRecord& record, int query_side, TimeNs until) {
  for (const DnsQueryRecord& q : record.dns) {
    if (q.query_side != query_side || q.response || q.queries.empty()) continue;
    // Already told by another finding: a retry of a silence is not a new one.
    if (record.Explained(q.queries.items().front().id)) continue;
    if (q.queries.items().front().ts <= until) return &q;
  }
  return nullptr;
}

}  // namespace netcorr::correlate
