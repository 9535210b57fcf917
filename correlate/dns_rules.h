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

// The oldest query `query_side` sent on the flow before `until` that has no answer and that no
// finding told yet: what a no_response finding on a DNS flow names. Null when there is none.
const DnsQueryRecord* UnansweredDnsQuery(const FlowRecord& record, int query_side, TimeNs until);
DnsDetail DescribeDnsQuery(const DnsQueryRecord& q);

// Queries a resolver sends together are one lookup: glibc sends A and AAAA at once on one
// socket (sendmmsg), or one right after the other's answer (`options single-request`).
inline constexpr TimeNs kParallelQueryWindowNs = 500'000'000;
// Another query of the same lookup as `q`, which the program sent on `flow`: for the same name
// (or a search-list form of it), to the same server from the same host, on this socket or
// another (glibc reopens sockets between attempts), sent within kParallelQueryWindowNs of it,
// and answered without error. Null when none was.
const DnsQueryRecord* AnsweredParallelQuery(FlowTable& flows, const FlowKey& flow,
                                            const DnsQueryRecord& q);

// no_response, severity slow: `unanswered` never got an answer while `answered`, a query of the
// same lookup, did, so the program went on with that answer once it stopped waiting at
// `call` (the close of the socket, or the last wait). Says which query (type, name) went
// unanswered and how long the lookup lost waiting for it.
Finding DnsQueryLostInLookup(const SyscallEvent& call, const FlowKey& flow,
                             const DnsQueryRecord& unanswered, const DnsQueryRecord& answered,
                             TimeNs gave_up_ns);

// A connect to TCP port 53 whose failure the packets explain (`connect_failure`: refused,
// unanswered, ICMP...) right after a truncated UDP answer
// from the same server is the lookup failing for the truncation (RFC 1035 4.2.1: TC set, the
// resolver asks again over TCP; RFC 7766: servers must answer there). `applies`: it was such a
// retry; then `finding` is the one dns_error for the whole chain, or empty when this cause was
// already reported (a resolver retries: every later failed retry folds into it). A retry whose
// failure the packets do not explain (unexplained) only ever folds into a chain already told.
struct TcpRetryVerdict {
  bool applies = false;
  std::optional<Finding> finding;
};
inline constexpr TimeNs kTruncatedRetryWindowNs = 5'000'000'000;
TcpRetryVerdict TruncatedAnswerRetryFailed(const Finding& connect_failure, FlowTable& flows);

// One finding per cause for an error answer: whether `q`'s cause (server, RCODE, the lookup's
// name) was already reported; remembers it either way.
bool DnsErrorAlreadyReported(const IpAddress& server, const DnsQueryRecord& q, FlowTable& flows);
// The same for a query never answered (server, query type, the lookup's name): a resolver
// asks again on new sockets, each silence is the same cause. Remembered once it is told.
bool DnsSilenceReported(const IpAddress& server, const DnsQueryRecord& q, FlowTable& flows);
void RememberDnsSilence(const IpAddress& server, const DnsQueryRecord& q, FlowTable& flows);

}  // namespace netcorr::correlate
