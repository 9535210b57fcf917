#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/model/endpoint.h"
#include "src/model/syscall_event.h"
#include "src/model/time.h"

namespace netcorr {

// The finding kinds of docs/json.md ("Finding kinds"): the contract of the text report and --json.
enum class FindingKind : uint8_t {
  kRefusedByRst,
  kSynUnanswered,
  kIcmpUnreachable,
  kNoPacketSent,
  kResetByPeer,
  kClosedByPeer,
  kNoResponse,
  kDnsError,
  kTlsAlert,
  kRetransmissions,
  kPmtuBlackhole,
  kUnexplained,
  kNeighbourUnreachable,
  kZeroWindow,
};

// "refused_by_rst", "syn_unanswered", ... (the --json names).
std::string_view FindingKindName(FindingKind kind);
std::optional<FindingKind> FindingKindFromName(std::string_view name);

// How much a finding matters to the person reading the report; the correlator ranks by it.
enum class FindingSeverity : uint8_t {
  kFailure,  // the call failed, hung, or the program gave up on it
  kSlow,     // the call succeeded, but the network made it slow
  kInfo,     // normal-looking end worth showing (e.g. the peer closed the connection)
};
std::string_view FindingSeverityName(FindingSeverity severity);  // "failure", "slow", "info"

// Who sent an ICMP error, relative to the flow it is about.
enum class IcmpSenderRole : uint8_t {
  kDestination,  // the remote address itself answered
  kHop,          // a router on the path
  kThisHost,     // one of this host's own addresses (a local firewall REJECT)
};
std::string_view IcmpSenderRoleName(IcmpSenderRole role);  // "destination", "hop", "this_host"

// Structured evidence behind a finding, for --json and the report; plain values. Each part is
// set only when the finding's kind uses it.
struct HandshakeDetail {
  std::vector<TimeNs> syn_times;  // our SYNs (first ones if there were many)
  uint32_t syn_count = 0;         // all SYNs sent, including those not listed
  bool syn_ack_seen = false;
  bool rst_seen = false;
};

struct IcmpDetail {
  bool v6 = false;
  uint8_t type = 0;
  uint8_t code = 0;
  std::string description;  // IcmpError::Describe(): "host-unreachable", "frag-needed", ...
  IpAddress sender;
  IcmpSenderRole sender_role = IcmpSenderRole::kDestination;
  uint32_t mtu = 0;  // frag-needed / packet-too-big only
};

struct StreamDetail {
  uint64_t bytes_sent = 0;      // TCP payload bytes from the program
  uint64_t bytes_received = 0;  // TCP payload bytes from the peer
  TimeNs idle_before_ns = 0;    // quiet time on the flow before the RST/FIN
  bool rst_from_peer = false;
  bool fin_from_peer = false;
  bool fin_from_us = false;
};

struct RetransmissionDetail {
  uint32_t count = 0;                  // retransmitted segments (SYN or data) in the stall
  TimeNs first_ns = 0;                 // first transmission of the repeated segment
  TimeNs last_ns = 0;                  // last retransmission
  uint32_t largest_retransmitted = 0;  // payload bytes
  uint32_t largest_delivered = 0;      // largest payload acknowledged by the peer
  bool frag_needed_seen = false;       // pmtu: an ICMP frag-needed/packet-too-big was captured
  std::vector<TimeNs> times;           // when they were sent (the RTO back-off), bounded
};

struct DnsDetail {
  uint16_t id = 0;
  std::string name;
  uint8_t rcode = 0;
  std::string rcode_name;     // "SERVFAIL", "NXDOMAIN", "REFUSED", ...
  uint32_t queries_sent = 0;  // datagrams carrying this query
  bool answered = false;
  std::string qtype;       // the query's type: "A", "AAAA", ... ("" when no question was seen)
  bool truncated = false;  // the answer had TC set: the resolver had to ask again over TCP
  // The TCP retry after a truncated answer: "" (none), "refused" (RST), "timed_out" (no
  // SYN-ACK), "failed" (another error).
  std::string tcp_retry;
  TimeNs lost_ns = 0;  // slow lookups: how long the program waited for the unanswered query
};

// zero_window: the peer's receive window stayed zero (its application did not read).
struct ZeroWindowDetail {
  TimeNs first_ns = 0;            // the peer's first zero-window ACK of this stall
  TimeNs last_ns = 0;             // its last zero-window ACK up to the call's end
  uint32_t zero_window_acks = 0;  // the peer's ACKs advertising the zero window
  uint32_t probes = 0;            // our zero-window probes
  bool reopened = false;          // the window opened again (before the call returned)
  uint64_t bytes_in_flight = 0;   // our bytes sent and not yet acknowledged
};

struct TlsDetail {
  uint8_t level = 0;  // 1 warning, 2 fatal
  uint8_t description = 0;
  std::string description_name;  // "handshake_failure", "unrecognized_name", ...
  std::string sni;               // from our Client Hello, "" if none seen
  bool from_peer = true;
};

// neighbour_unreachable: the address resolution (ARP / ICMPv6 neighbour solicitation) of the
// next hop that nobody answered.
struct NeighbourDetail {
  IpAddress next_hop;     // the destination when on the link, else the gateway
  bool v6 = false;        // neighbour solicitations (true) or ARP (false)
  uint32_t requests = 0;  // requests captured for it during the call
  TimeNs first_ns = 0;    // first and last of them
  TimeNs last_ns = 0;
  bool answered = false;  // a reply came (never, for neighbour_unreachable)
};

// Where it was lost (docs/analyze.md, "Peer captures"): what another host's capture shows of a
// finding's packets, once its clock is aligned to ours (correlate/peer_path.h).
enum class PathVerdictKind : uint8_t {
  kLostOnPathOut,   // our packet left here and never reached the peer
  kDroppedByPeer,   // it reached the peer, which sent nothing back
  kLostOnPathBack,  // the peer answered; the answer never arrived here
  kForgedOnPath,    // an RST or ICMP arrived here in the peer's name that the peer never sent
  kConsistent,      // both captures agree: the peer really sent what arrived here
  kNotCovered,      // the peer capture does not cover the packets (time, flow, alignment)
};
// "lost_on_path_out", "dropped_by_peer", ... (the --json names).
std::string_view PathVerdictName(PathVerdictKind kind);

// What one peer capture shows of a finding.
struct PeerPathEvidence {
  std::string capture;  // the peer capture's file, as given to --peer-pcap
  PathVerdictKind verdict = PathVerdictKind::kNotCovered;
  std::vector<uint64_t> our_frames;   // frames of our capture this verdict looked for there
  std::vector<uint64_t> peer_frames;  // the frames of the peer capture that matched them, and
                                      // the peer's answers
  std::string detail;                 // one sentence: what this capture shows
};

struct PathVerdict {
  PathVerdictKind verdict = PathVerdictKind::kNotCovered;  // all peer captures together
  std::string summary;                                     // one sentence
  std::string hint;                                        // where to look
  std::vector<PeerPathEvidence> peers;  // one per peer capture, in --peer-pcap order
};

// What a finding could be decided from. Offline without a capture there are no packets; a flow
// the program drove through io_uring has packets but no call ptrace could see.
enum class EvidenceBasis : uint8_t {
  kSyscallsAndPackets,
  kSyscallsOnly,  // no capture: every failing call is reported with what the syscalls show
  kPacketsOnly,   // no traced call: what the packets alone show
};
std::string_view EvidenceBasisName(EvidenceBasis basis);  // "syscalls_and_packets", ...

// Calls folded into one finding instead of one finding each: the waits of a stall before the
// call where the program learned of it (curl polling a stalled upload once a second), or the
// later calls the same cause hit (every retry of a refused connect).
struct CallSpan {
  uint32_t count = 0;
  SyscallEvent first;
  SyscallEvent last;
};

struct Finding {
  FindingKind kind = FindingKind::kUnexplained;
  SyscallEvent call;               // the call this finding explains
  std::optional<FlowKey> flow;     // the flow, as the program saw it
  std::vector<uint64_t> evidence;  // Packet::id of the packets that explain it
  std::string summary;             // one sentence
  std::string hint;                // where to look next

  FindingSeverity severity = FindingSeverity::kFailure;
  // The errno that describes the outcome: call.error, or for a non-blocking connect the error
  // SO_ERROR revealed (ETIMEDOUT when the program gave up on it, 0 if none).
  int outcome_error = 0;
  // The later call that revealed or ended the outcome of `call` (getsockopt SO_ERROR, the poll
  // that timed out, the close), when there is one.
  std::optional<SyscallEvent> resolved_by;
  std::optional<CallSpan> stalled_waits;  // timed-out waits of the stall that led to `call`
  std::optional<CallSpan> later_calls;    // later calls the same cause hit
  EvidenceBasis basis = EvidenceBasis::kSyscallsAndPackets;
  // The correlator's identity for this cause (not in --json): later calls it folds in are
  // applied to the reported finding with the same cause_id (Correlator::UpdateFolded).
  uint64_t cause_id = 0;

  std::optional<HandshakeDetail> handshake;
  std::optional<IcmpDetail> icmp;
  std::optional<StreamDetail> stream;
  std::optional<RetransmissionDetail> retransmissions;
  std::optional<DnsDetail> dns;
  std::optional<TlsDetail> tls;
  std::optional<NeighbourDetail> neighbour;
  std::optional<ZeroWindowDetail> zero_window;
  std::string unexplained_reason;  // kUnexplained: why the evidence is missing
  // Set by `analyze --peer-pcap` for findings with packet evidence (correlate/peer_path.h).
  std::optional<PathVerdict> path;
};

}  // namespace netcorr
