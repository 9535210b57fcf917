#include "correlate/peer_alignment.h"

#include <cstdlib>
#include <vector>

#include "correlate/test_util.h"
#include "gtest/gtest.h"

namespace netcorr::correlate {
namespace {

using testing::Ep;
using testing::Ip;
using testing::kMs;
using testing::kSec;
using testing::kT0;
using testing::TcpPacket;
using testing::UdpPacket;

constexpr TimeNs kUs = 1000;

const Endpoint kClient = Ep("10.71.1.2", 40000);
const Endpoint kServer = Ep("10.71.2.2", 8080);

LocalAddresses Ours() {
  LocalAddresses local;
  local.Add(kClient.addr);
  return local;
}

Packet WithId(Packet p, uint16_t id) {
  p.ip_id = id;
  return p;
}

// One connection as we captured it: handshake, a request, its answer, a UDP exchange.
std::vector<Packet> OurSession(TimeNs start) {
  const Endpoint dns_c = Ep("10.71.1.2", 50000), dns_s = Ep("10.71.2.2", 53);
  std::vector<Packet> p;
  p.push_back(WithId(TcpPacket(1, start, kClient, kServer, kTcpSyn, 100), 7001));
  p.push_back(TcpPacket(2, start + 5 * kMs, kServer, kClient, kTcpSyn | kTcpAck, 900, 101));
  p.push_back(WithId(TcpPacket(3, start + 6 * kMs, kClient, kServer, kTcpAck, 101, 901), 7002));
  p.push_back(WithId(
      TcpPacket(4, start + 7 * kMs, kClient, kServer, kTcpPsh | kTcpAck, 101, 901, 50), 7003));
  p.push_back(WithId(
      TcpPacket(5, start + 20 * kMs, kServer, kClient, kTcpPsh | kTcpAck, 901, 151, 80), 3001));
  Packet query = UdpPacket(6, start + 30 * kMs, dns_c, dns_s, 40);
  query.payload_digest = 0x1234;
  query.ip_id = 7004;
  p.push_back(query);
  Packet answer = UdpPacket(7, start + 34 * kMs, dns_s, dns_c, 90);
  answer.payload_digest = 0x5678;
  answer.ip_id = 3002;
  p.push_back(answer);
  return p;
}

// The same packets as a peer on the path saw them: its clock `offset` ahead of ours, ours
// arriving `out` after we sent them, its own leaving `back` before we got them.
std::vector<Packet> AsPeerSaw(const std::vector<Packet>& ours, TimeNs offset, TimeNs out,
                              TimeNs back) {
  std::vector<Packet> peer;
  for (Packet p : ours) {
    const bool from_us = p.src.addr == kClient.addr;
    p.ts_ns += offset + (from_us ? out : -back);
    p.id += 100;
    p.ttl = from_us ? 63 : 64;
    peer.push_back(p);
  }
  return peer;
}

void ExpectRecovered(const PeerAlignment& a, TimeNs truth) {
  ASSERT_TRUE(a.aligned) << a.note;
  EXPECT_LE(std::llabs(a.offset_ns - truth), a.bound_ns) << a.note;
}

TEST(PeerAlignment, OffsetOfSecondsRecoveredWithBoundFromBothDirections) {
  const std::vector<Packet> ours = OurSession(kT0);
  const TimeNs offset = 3 * kSec + 217 * kMs;  // editcap -t 3.217
  const std::vector<Packet> peer = AsPeerSaw(ours, offset, 2 * kMs, 3 * kMs);
  const PeerAlignment a = AlignPeerClock(ours, peer, Ours());
  ExpectRecovered(a, offset);
  EXPECT_TRUE(a.both_directions);
  EXPECT_EQ(a.matched, 7u);
  EXPECT_EQ(a.matched_out, 4u);
  EXPECT_EQ(a.matched_back, 3u);
  // The bound is half the sum of the smallest one-way delays: (2 + 3) / 2 ms.
  EXPECT_EQ(a.bound_ns, 2500 * kUs);
  EXPECT_EQ(a.covered_first_ns, a.FromPeer(peer.front().ts_ns));
  EXPECT_TRUE(a.Covers(kT0 + 10 * kMs, kT0 + 20 * kMs));
}

TEST(PeerAlignment, NegativeOffset) {
  const std::vector<Packet> ours = OurSession(kT0);
  const TimeNs offset = -7 * kSec;
  const PeerAlignment a = AlignPeerClock(ours, AsPeerSaw(ours, offset, 1 * kMs, 1 * kMs), Ours());
  ExpectRecovered(a, offset);
  EXPECT_EQ(a.bound_ns, 1 * kMs);
}

TEST(PeerAlignment, NatRewritesAddressesAndOnePort) {
  const std::vector<Packet> ours = OurSession(kT0);
  std::vector<Packet> peer = AsPeerSaw(ours, 2 * kSec, 2 * kMs, 2 * kMs);
  // The server sees the router's address and another source port (masquerade); the sequence
  // numbers, the IPv4 ids and the server's port are intact.
  for (Packet& p : peer) {
    if (p.src.addr == kClient.addr) {
      p.src = Ep("10.71.2.1", static_cast<uint16_t>(p.src.port + 7));
    } else {
      p.dst = Ep("10.71.2.1", static_cast<uint16_t>(p.dst.port + 7));
    }
  }
  const PeerAlignment a = AlignPeerClock(ours, peer, Ours());
  ExpectRecovered(a, 2 * kSec);
  EXPECT_EQ(a.matched, 7u);
}

TEST(PeerAlignment, RouterCapturingOnEveryInterfaceHoldsEachPacketTwice) {
  const std::vector<Packet> ours = OurSession(kT0);
  const std::vector<Packet> once = AsPeerSaw(ours, 5 * kSec, 1 * kMs, 1 * kMs);
  std::vector<Packet> twice;
  for (Packet p : once) {
    twice.push_back(p);
    p.ts_ns += 20 * kUs;  // forwarded out of the other interface
    twice.push_back(p);
  }
  const PeerAlignment a = AlignPeerClock(ours, twice, Ours());
  ExpectRecovered(a, 5 * kSec);
  EXPECT_EQ(a.matched, 7u);
  // The copy nearest us each way: where ours came in, where the peer's went out.
  EXPECT_LE(a.bound_ns, 1 * kMs + 20 * kUs);
}

TEST(PeerAlignment, PartialCoverageIsTheAlignedFirstToLastPacket) {
  std::vector<Packet> ours = OurSession(kT0);
  std::vector<Packet> later = OurSession(kT0 + 10 * kSec);
  for (Packet& p : later) {
    p.id += 10;
    if (p.tcp.has_value()) {
      p.tcp->seq += 5000;
      p.tcp->ack += 5000;
    } else {
      p.payload_digest = *p.payload_digest + 1;
    }
    p.ip_id = static_cast<uint16_t>(p.ip_id + 100);
  }
  ours.insert(ours.end(), later.begin(), later.end());
  // The peer recorded only the second half.
  const std::vector<Packet> peer = AsPeerSaw(later, 4 * kSec, 2 * kMs, 2 * kMs);
  const PeerAlignment a = AlignPeerClock(ours, peer, Ours());
  ExpectRecovered(a, 4 * kSec);
  EXPECT_EQ(a.matched, 7u);
  EXPECT_FALSE(a.Covers(kT0, kT0 + 30 * kMs)) << "the first half was never recorded there";
  EXPECT_TRUE(a.Covers(kT0 + 10 * kSec + 10 * kMs, kT0 + 10 * kSec + 20 * kMs));
}

TEST(PeerAlignment, NoCommonPacketGivesNoAlignment) {
  const std::vector<Packet> ours = OurSession(kT0);
  std::vector<Packet> other = OurSession(kT0);
  for (Packet& p : other) {
    if (p.tcp) p.tcp->seq += 77777;
    if (p.payload_digest) *p.payload_digest += 3;
  }
  const PeerAlignment a = AlignPeerClock(ours, other, Ours());
  EXPECT_FALSE(a.aligned);
  EXPECT_FALSE(a.note.empty());
  EXPECT_FALSE(a.Covers(kT0, kT0));
  EXPECT_FALSE(AlignPeerClock(ours, {}, Ours()).aligned);
}

TEST(PeerAlignment, OneDirectionOnlyIsBoundedByOurRoundTrip) {
  // The peer saw only our SYNs (its answers were all lost); our capture has another flow's
  // handshake with a 4 ms round trip.
  std::vector<Packet> ours;
  ours.push_back(WithId(TcpPacket(1, kT0, kClient, kServer, kTcpSyn, 100), 11));
  ours.push_back(TcpPacket(2, kT0 + 4 * kMs, kServer, kClient, kTcpSyn | kTcpAck, 900, 101));
  const Endpoint c2 = Ep("10.71.1.2", 40001);
  ours.push_back(WithId(TcpPacket(3, kT0 + 1 * kSec, c2, kServer, kTcpSyn, 5000), 12));
  ours.push_back(WithId(TcpPacket(4, kT0 + 2 * kSec, c2, kServer, kTcpSyn, 5000), 13));
  std::vector<Packet> peer = {ours[2], ours[3]};
  const TimeNs offset = 9 * kSec;
  for (Packet& p : peer) p.ts_ns += offset + 1 * kMs;
  const PeerAlignment a = AlignPeerClock(ours, peer, Ours());
  ExpectRecovered(a, offset);
  EXPECT_FALSE(a.both_directions);
  EXPECT_EQ(a.matched_out, 2u) << "the retransmitted SYNs differ by IPv4 id";
  EXPECT_EQ(a.bound_ns, 2 * kMs);
}

TEST(PeerAlignment, IpIdsRewrittenFallsBackToSequenceNumbers) {
  const std::vector<Packet> ours = OurSession(kT0);
  std::vector<Packet> peer = AsPeerSaw(ours, 1 * kSec, 1 * kMs, 1 * kMs);
  for (Packet& p : peer) p.ip_id = static_cast<uint16_t>(p.ip_id ^ 0x5555);
  const PeerAlignment a = AlignPeerClock(ours, peer, Ours());
  ExpectRecovered(a, 1 * kSec);
  EXPECT_FALSE(a.ip_id_preserved);
  EXPECT_EQ(a.matched, 7u) << "the UDP datagrams still match on their payload";
}

TEST(PeerAlignment, Ipv6HasNoIdsAndAlignsOnSequenceNumbersAndPayloads) {
  const Endpoint c = Ep("fd71:1::2", 40000), srv = Ep("fd71:2::2", 8080);
  LocalAddresses local;
  local.Add(c.addr);
  std::vector<Packet> ours = {
      TcpPacket(1, kT0, c, srv, kTcpSyn, 100),
      TcpPacket(2, kT0 + 4 * kMs, srv, c, kTcpSyn | kTcpAck, 900, 101),
      TcpPacket(3, kT0 + 5 * kMs, c, srv, kTcpAck, 101, 901),
  };
  Packet udp = UdpPacket(4, kT0 + 9 * kMs, Ep("fd71:1::2", 5000), Ep("fd71:2::2", 53), 40);
  udp.payload_digest = 77;
  ours.push_back(udp);
  std::vector<Packet> peer = ours;
  for (Packet& p : peer) p.ts_ns += -2 * kSec + (p.src.addr == c.addr ? 1 : -1) * 2 * kMs;
  const PeerAlignment a = AlignPeerClock(ours, peer, local);
  ExpectRecovered(a, -2 * kSec);
  EXPECT_EQ(a.matched, 4u);
  EXPECT_TRUE(a.both_directions);
}

TEST(PeerAlignment, AForgedRstIsTheSamePacketAsARealOne) {
  // A firewall's REJECT --reject-with tcp-reset copies what the server would have sent: only
  // the TTL (and where it was captured) tells them apart.
  Packet real = TcpPacket(1, kT0, kServer, kClient, kTcpRst | kTcpAck, 0, 101);
  Packet forged = real;
  forged.ttl = 64;
  real.ttl = 63;
  EXPECT_TRUE(SamePacket(real, forged, true));
  Packet other_syn = TcpPacket(2, kT0, kServer, kClient, kTcpRst | kTcpAck, 0, 102);
  EXPECT_FALSE(SamePacket(real, other_syn, true));
  // A UDP datagram is only recognised by its payload or its IPv4 id.
  Packet a = UdpPacket(3, kT0, kClient, kServer, 10);
  Packet b = a;
  EXPECT_FALSE(SamePacket(a, b, true)) << "length and ports alone prove nothing";
  a.ip_id = b.ip_id = 42;
  EXPECT_TRUE(SamePacket(a, b, true));
  EXPECT_FALSE(SamePacket(a, b, false));
}

}  // namespace
}  // namespace netcorr::correlate
