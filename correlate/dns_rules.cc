#include "correlate/dns_rules.h"

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
  d.rcode = q.rcode;
  d.rcode_name = DnsRcodeName(q.rcode);
  d.queries_sent = q.queries.total();
  d.answered = q.response.has_value();
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
      return absl::StrCat(name,
                          " does not exist (NXDOMAIN): check the spelling and the search "
                          "domains in /etc/resolv.conf");
    case 4:
      return absl::StrCat("the DNS server ", s, " does not implement this kind of query");
    case 5:
      return absl::StrCat("the DNS server ", s,
                          " refuses to answer this client (REFUSED): check "
                          "its ACL / allow-recursion settings, or the "
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
                           d.rcode_name, " for ", d.name.empty() ? "(no question)" : d.name,
                           absl::StrFormat(" (id 0x%04x)", d.id), " from ", flow.remote.ToString());
  f.hint = Hint(answer.rcode, d.name.empty() ? "the name" : d.name, flow.remote);
  f.dns = std::move(d);
  AddEvidence(f, answer.queries.items());
  AddEvidence(f, *answer.response);
  FinishEvidence(f);
  return f;
}

const DnsQueryRecord* UnansweredDnsQuery(const FlowRecord& record, int query_side, TimeNs until) {
  for (const DnsQueryRecord& q : record.dns) {
    if (q.query_side != query_side || q.response || q.queries.empty()) continue;
    if (q.queries.items().front().ts <= until) return &q;
  }
  return nullptr;
}

}  // namespace netcorr::correlate
