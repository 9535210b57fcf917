#pragma once

#include <optional>
#include <string>

#include "correlate/flow_state.h"
#include "correlate/rule_context.h"
#include "src/model/finding.h"
#include "src/model/protocol_names.h"

namespace netcorr::correlate {


// dns_error: a receive on the resolver's socket got `answer`, a response whose RCODE is not
// NOERROR. Evidence: the query datagrams and the answer.
Finding DnsError(const SyscallEvent& call, const FlowKey& flow, const DnsQueryRecord& answer);

// The oldest query `query_side` sent on the flow before `until` that has no answer: what a
// no_response finding on a DNS flow names. Null when every query was answered.
const DnsQueryRecord* UnansweredDnsQuery(const FlowRecord& record, int query_side, TimeNs until);
DnsDetail DescribeDnsQuery(const DnsQueryRecord& q);

}  // namespace netcorr::correlate
