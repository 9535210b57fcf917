#pragma once

// Where it was lost: each finding's packets looked up in the captures of other hosts on the
// path (the server, a router, a load balancer), once their clocks are aligned to ours
// (correlate/peer_alignment.h). A pass over findings already decided: it adds Finding::path
// and changes nothing else.
//
// Per peer capture, for a finding about the flow to `remote`:
//   - an RST, or an ICMP error in the destination's name, that arrived here: if the peer
//     capture holds it, `consistent`; if the peer capture covers the time and does not,
//     `forged_on_path` (a middlebox answered in the peer's name).
//   - an ICMP error from a router in its own name is honest: what matters is where our packet
//     stopped, as for the packets below.
//   - our packets of the finding (SYNs, requests, retransmissions): none found there,
//     `lost_on_path_out`; found, and the peer sent no answer (SYN-ACK / RST / an ACK of them /
//     any datagram back), `dropped_by_peer`; the peer's answers are not all here,
//     `lost_on_path_back`; they all are, `consistent`.
//   - a packet counts as missing only when its expected time at the peer (ours + offset, +-
//     the bound, with the margins below for the one-way delay) lies inside the peer capture's
//     first to last packet: otherwise `not_covered`, never "lost".
// All captures together: forged_on_path, then lost_on_path_back, lost_on_path_out,
// dropped_by_peer, consistent, not_covered (a capture further along the path that lacks the
// packet outranks one nearer us that holds it: a router that saw our SYN and a server that did
// not mean the SYN was lost between them).

#include <string>
#include <vector>

#include "absl/types/span.h"
#include "correlate/peer_alignment.h"
#include "src/model/finding.h"
#include "src/model/packet.h"

namespace netcorr::correlate {

struct PeerCapture {
  std::string name;  // as given to --peer-pcap
  std::vector<Packet> packets;
  PeerAlignment alignment;
};

// Margins around a packet's time (our clock, on top of the bound). Ours reached the peer after
// we sent it: the peer must have been recording by then, and for kCoverageAfter more (the
// one-way delay, and the time it had to answer). An RST or ICMP error that reached us was sent
// before: the peer must have been recording kCoverageBefore earlier.
inline constexpr TimeNs kCoverageBefore = 250'000'000;
inline constexpr TimeNs kCoverageAfter = 1'000'000'000;

// Sets `path` on each finding that has a flow and packet evidence. `ours`: our capture, in
// frame order (Packet::id increasing), which the findings' evidence ids point into.
void JudgePaths(std::vector<Finding>& findings, absl::Span<const Packet> ours,
                absl::Span<const PeerCapture> peers);

}  // namespace netcorr::correlate
