#include "correlate/peer_alignment.h"

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/strings/str_format.h"

namespace netcorr::correlate {

namespace {

// A router capturing on every interface holds a forwarded packet once per interface, a few
// microseconds apart; copies further apart than this are different transmissions.
constexpr TimeNs kSameTransmission = 50'000'000;
// Differences further than this from the median are a key that happened to repeat, not the
// same packet.
constexpr TimeNs kOutlier = 2'000'000'000;
// A key this common (duplicate ACKs, keep-alives) cannot name one packet: it is skipped, which
// also keeps the pairing below linear in the capture's size.
constexpr size_t kMaxSameKey = 64;

bool PortsAgree(uint16_t a_src, uint16_t a_dst, uint16_t b_src, uint16_t b_dst) {
  // NAT rewrites at most one end of a flow: the other port is left as it was.
  return a_src == b_src || a_dst == b_dst;
}

bool IpIdsDisagree(const Packet& a, const Packet& b) {
  return a.ip == IpAddress::Family::kV4 && b.ip == IpAddress::Family::kV4 && a.ip_id != 0 &&
         b.ip_id != 0 && a.ip_id != b.ip_id;
}

bool IpIdsConfirm(const Packet& a, const Packet& b) {
  return a.ip == IpAddress::Family::kV4 && b.ip == IpAddress::Family::kV4 && a.ip_id != 0 &&
         a.ip_id == b.ip_id;
}

std::string Seconds(TimeNs ns) { return absl::StrFormat("%.6f s", static_cast<double>(ns) / 1e9); }

// Our smallest SYN -> SYN-ACK/RST round trip: an upper bound for a one-way delay.
std::optional<TimeNs> SmallestHandshakeRtt(absl::Span<const Packet> ours) {
  absl::flat_hash_map<std::pair<FlowKey, uint32_t>, TimeNs> syns;
  std::optional<TimeNs> best;
  for (const Packet& p : ours) {
    if (!p.tcp.has_value()) continue;
    const TcpSegment& t = *p.tcp;
    if (t.has(kTcpSyn) && !t.has(kTcpAck)) {
      syns.try_emplace({p.SenderFlow(), t.seq + 1}, p.ts_ns);
    } else if (t.has(kTcpAck) && (t.has(kTcpSyn) || t.has(kTcpRst))) {
      auto it = syns.find({p.SenderFlow().Reversed(), t.ack});
      if (it != syns.end() && p.ts_ns >= it->second) {
        const TimeNs rtt = p.ts_ns - it->second;
        if (!best || rtt < *best) best = rtt;
      }
    }
  }
  return best;
}

enum class Direction { kOut, kBack };

struct Sample {
  Direction dir;
  TimeNs delta;  // peer time - our time
};

// How the IPv4 ids of the packets matched without them compare: a NAT or scrubber that
// rewrites them shows as more conflicts than agreements.
struct IdVotes {
  size_t agree = 0;
  size_t conflict = 0;
};

std::vector<Sample> Match(absl::Span<const Packet> ours, absl::Span<const Packet> peer,
                          const LocalAddresses& local, bool use_ip_id, IdVotes* votes) {
  absl::flat_hash_map<uint64_t, std::vector<size_t>> peer_by_key, ours_by_key;
  for (size_t i = 0; i < peer.size(); ++i) {
    if (uint64_t k = PacketMatchKey(peer[i], use_ip_id); k != 0) peer_by_key[k].push_back(i);
  }
  for (size_t i = 0; i < ours.size(); ++i) {
    if (uint64_t k = PacketMatchKey(ours[i], use_ip_id); k != 0) ours_by_key[k].push_back(i);
  }
  std::vector<Sample> samples;
  for (const auto& [key, our_indices] : ours_by_key) {
    auto bucket = peer_by_key.find(key);
    if (bucket == peer_by_key.end() || our_indices.size() > kMaxSameKey ||
        bucket->second.size() > kMaxSameKey) {
      continue;
    }
    for (size_t oi : our_indices) {
      const Packet& p = ours[oi];
      const bool out = local.Contains(p.src.addr);
      const bool back = local.Contains(p.dst.addr);
      if (out == back) continue;  // not ours, or from us to us
      // Unique in our capture: no other transmission of the same packet.
      bool unique = true;
      for (size_t other : our_indices) {
        if (other != oi && SamePacket(p, ours[other], use_ip_id) &&
            std::llabs(ours[other].ts_ns - p.ts_ns) > kSameTransmission) {
          unique = false;
          break;
        }
      }
      if (!unique) continue;
      std::optional<TimeNs> first, last;
      for (size_t pi : bucket->second) {
        const Packet& q = peer[pi];
        if (!SamePacket(p, q, use_ip_id)) continue;
        if (votes != nullptr && IpIdsConfirm(p, q)) ++votes->agree;
        if (votes != nullptr && IpIdsDisagree(p, q)) ++votes->conflict;
        if (!first || q.ts_ns < *first) first = q.ts_ns;
        if (!last || q.ts_ns > *last) last = q.ts_ns;
      }
      if (!first || *last - *first > kSameTransmission) continue;
      // The copy nearest us on the path: where ours entered the peer, where the peer's left.
      samples.push_back(out ? Sample{Direction::kOut, *first - p.ts_ns}
                            : Sample{Direction::kBack, *last - p.ts_ns});
    }
  }
  if (samples.empty()) return samples;
  std::vector<TimeNs> deltas;
  for (const Sample& s : samples) deltas.push_back(s.delta);
  std::nth_element(deltas.begin(), deltas.begin() + deltas.size() / 2, deltas.end());
  const TimeNs median = deltas[deltas.size() / 2];
  std::erase_if(samples, [&](const Sample& s) { return std::llabs(s.delta - median) > kOutlier; });
  return samples;
}

}  // namespace

bool SamePacket(const Packet& a, const Packet& b, bool use_ip_id) {
  if (a.transport != b.transport || a.is_fragment || b.is_fragment) return false;
  if (use_ip_id && IpIdsDisagree(a, b)) return false;
  if (a.tcp.has_value() && b.tcp.has_value()) {
    const TcpSegment& x = *a.tcp;
    const TcpSegment& y = *b.tcp;
    return x.flags == y.flags && x.seq == y.seq && x.ack == y.ack &&
           x.payload_len == y.payload_len &&
           PortsAgree(a.src.port, a.dst.port, b.src.port, b.dst.port);
  }
  if (a.icmp_error.has_value() && b.icmp_error.has_value()) {
    const IcmpError& x = *a.icmp_error;
    const IcmpError& y = *b.icmp_error;
    if (x.type != y.type || x.code != y.code || x.original.transport != y.original.transport ||
        x.original_tcp_seq != y.original_tcp_seq) {
      return false;
    }
    return PortsAgree(x.original.local.port, x.original.remote.port, y.original.local.port,
                      y.original.remote.port) &&
           (x.original_tcp_seq.has_value() || (use_ip_id && IpIdsConfirm(a, b)));
  }
  if (a.transport == Transport::kUdp && !a.icmp_error && !b.icmp_error) {
    if (a.payload_len != b.payload_len ||
        !PortsAgree(a.src.port, a.dst.port, b.src.port, b.dst.port)) {
      return false;
    }
    const bool digests = a.payload_digest.has_value() && b.payload_digest.has_value();
    if (digests && *a.payload_digest != *b.payload_digest) return false;
    // Length and ports alone repeat too often: a payload or an IPv4 id must confirm it.
    return digests || (use_ip_id && IpIdsConfirm(a, b));
  }
  return false;
}

uint64_t PacketMatchKey(const Packet& p, bool use_ip_id) {
  if (p.is_fragment) return 0;
  const uint16_t id = use_ip_id && p.ip == IpAddress::Family::kV4 ? p.ip_id : 0;
  uint64_t key = 0;
  if (p.tcp.has_value()) {
    // The IPv4 id is left out of TCP keys: a zero on one side and an id on the other can
    // still be the same segment; SamePacket decides.
    key = absl::HashOf(1, p.tcp->flags, p.tcp->seq, p.tcp->ack, p.tcp->payload_len);
  } else if (p.icmp_error.has_value()) {
    key = absl::HashOf(2, p.icmp_error->type, p.icmp_error->code,
                       p.icmp_error->original_tcp_seq.value_or(0));
  } else if (p.transport == Transport::kUdp) {
    if (!p.payload_digest.has_value() && id == 0) return 0;  // nothing could confirm it
    key = absl::HashOf(3, p.payload_len, p.payload_digest.value_or(0),
                       p.payload_digest.has_value() ? uint16_t{0} : id);
  } else {
    return 0;
  }
  return key == 0 ? 1 : key;
}

PeerAlignment AlignPeerClock(absl::Span<const Packet> ours, absl::Span<const Packet> peer,
                             const LocalAddresses& local) {
  PeerAlignment a;
  if (peer.empty()) {
    a.note = "the peer capture holds no packet";
    return a;
  }
  // Matched without the ids first, to see whether the path rewrote them; kept, they tell
  // retransmissions of the same segment apart.
  IdVotes votes;
  std::vector<Sample> samples = Match(ours, peer, local, /*use_ip_id=*/false, &votes);
  a.ip_id_preserved = votes.conflict <= votes.agree;
  if (a.ip_id_preserved) samples = Match(ours, peer, local, /*use_ip_id=*/true, nullptr);
  if (samples.empty()) {
    a.note =
        "no packet of ours is in the peer capture (no TCP segment with the same sequence and "
        "acknowledgment numbers, no UDP datagram with the same payload): its clock cannot be "
        "aligned, and it explains nothing";
    return a;
  }
  std::optional<TimeNs> upper, lower;  // offset <= every out delta, >= every back delta
  for (const Sample& s : samples) {
    if (s.dir == Direction::kOut) {
      ++a.matched_out;
      upper = upper ? std::min(*upper, s.delta) : s.delta;
    } else {
      ++a.matched_back;
      lower = lower ? std::max(*lower, s.delta) : s.delta;
    }
  }
  a.matched = samples.size();
  a.aligned = true;
  if (upper && lower) {
    a.both_directions = true;
    a.offset_ns = *lower + (*upper - *lower) / 2;
    a.bound_ns = std::llabs(*upper - *lower) / 2;
    a.note = absl::StrFormat(
        "from %d packets out and %d back: offset between %s (the largest back) and %s (the "
        "smallest out)",
        a.matched_out, a.matched_back, Seconds(std::min(*lower, *upper)),
        Seconds(std::max(*lower, *upper)));
    if (*lower > *upper) {
      a.note +=
          "; the two directions disagree (a clock that drifts, or a peer capture taken "
          "off the path): the bound is their disagreement";
    }
  } else {
    // One direction only: the one-way delay is not measured, only bounded from outside.
    const std::optional<TimeNs> rtt = SmallestHandshakeRtt(ours);
    const TimeNs delay = rtt ? *rtt : kAssumedOneWayDelay;
    const TimeNs edge = upper ? *upper : *lower;
    a.offset_ns = upper ? edge - delay / 2 : edge + delay / 2;
    a.bound_ns = delay / 2;
    a.note = absl::StrFormat(
        "from %d packets %s only: the bound assumes a one-way delay of at most %s (%s)", a.matched,
        upper ? "out" : "back", Seconds(delay),
        rtt ? "our smallest handshake round trip" : "no round trip in our capture; assumed");
  }
  if (!a.ip_id_preserved) a.note += "; IPv4 ids differ between the captures (rewritten)";
  TimeNs first = peer.front().ts_ns, last = peer.front().ts_ns;
  for (const Packet& p : peer) {
    first = std::min(first, p.ts_ns);
    last = std::max(last, p.ts_ns);
  }
  a.covered_first_ns = a.FromPeer(first);
  a.covered_last_ns = a.FromPeer(last);
  return a;
}

}  // namespace netcorr::correlate
