#pragma once

// Another host's capture on our clock: the packets both captures hold tell the offset between
// the two clocks, with a bound (docs/analyze.md, "Peer captures").
//
// A packet is recognised in the other capture by what forwarding and NAT leave intact: its TCP
// flags, sequence and acknowledgment numbers and payload length; for UDP its length and a
// digest of its first payload bytes; the IPv4 identification when both copies carry one (0 is
// common on SYN-ACKs and RSTs, so it is never the only key); at least one port unchanged.
// Addresses are not compared: NAT rewrites them.
//
// The offset (peer clock minus ours) follows the way NTP bounds it: a packet we sent reaches
// the peer after a one-way delay d >= 0, so peer_time - our_time = offset + d >= offset; one the
// peer sent reaches us later, so peer_time - our_time = offset - d <= offset. The offset lies
// between the largest difference of the packets coming back and the smallest of those going
// out; the estimate is the middle, the bound half the width.

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/types/span.h"
#include "correlate/local_addresses.h"
#include "src/model/packet.h"
#include "src/model/time.h"

namespace netcorr::correlate {

// True when `a` (one capture) and `b` (another) are the same packet as far as their headers
// tell: see the file comment. `use_ip_id`: a differing non-zero IPv4 identification rules a
// match out (false when a middlebox is known to rewrite it).
bool SamePacket(const Packet& a, const Packet& b, bool use_ip_id);

// A hashable summary of what SamePacket compares, without ports and addresses: packets with
// different keys are never the same; those with equal keys still need SamePacket.
uint64_t PacketMatchKey(const Packet& p, bool use_ip_id);

struct PeerAlignment {
  bool aligned = false;
  TimeNs offset_ns = 0;          // peer clock minus ours
  TimeNs bound_ns = 0;           // the true offset lies within offset_ns +- bound_ns
  bool both_directions = false;  // packets each way were matched (else the bound is assumed)
  bool ip_id_preserved = true;   // false: matched only once IPv4 ids were ignored
  size_t matched = 0;            // packets matched and used (both directions)
  size_t matched_out = 0;        // ours -> peer
  size_t matched_back = 0;       // peer -> ours
  // The peer capture's first and last packet, on our clock: what it covers.
  TimeNs covered_first_ns = 0;
  TimeNs covered_last_ns = 0;
  std::string note;  // how the offset was estimated, or why there is none

  TimeNs ToPeer(TimeNs ours) const { return ours + offset_ns; }
  TimeNs FromPeer(TimeNs peer) const { return peer - offset_ns; }
  // Whether [from, to] (our clock) lies inside the covered interval with the bound to spare.
  bool Covers(TimeNs from, TimeNs to) const {
    return aligned && from - bound_ns >= covered_first_ns && to + bound_ns <= covered_last_ns;
  }
};

// With only one direction matched, the one-way delay is taken as at most this (or our own
// smallest handshake round trip, when the capture shows one).
inline constexpr TimeNs kAssumedOneWayDelay = 500'000'000;

// Aligns `peer` to `ours`. `local`: this host's addresses (a packet of ours whose source is one
// of them went out, one whose destination is went in). Packets are matched when their key is
// unique in our capture and all the peer's copies lie within a few milliseconds of each other
// (a router capturing on every interface holds a forwarded packet twice); differences far from
// the median (an accidental key collision) are left out.
PeerAlignment AlignPeerClock(absl::Span<const Packet> ours, absl::Span<const Packet> peer,
                             const LocalAddresses& local);

}  // namespace netcorr::correlate
