#include "capture/decode.h"

#include <string>
#include <vector>

#include "capture/testing/packet_builder.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace netcorr::capture {
namespace {

using ::testing::ElementsAre;
using namespace ::netcorr::capture::testing;  // NOLINT: the builder reads like a packet

IpAddress Ip(const char* text) { return *IpAddress::Parse(text); }

Packet MustDecode(int link, const Bytes& b, DecodeNotes* notes = nullptr) {
  absl::StatusOr<Packet> p = DecodePacket(link, b, static_cast<uint32_t>(b.size()), 42, notes);
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *p : Packet();
}

Bytes SynV4() {
  return Ipv4("10.71.1.2", "10.71.2.2", 6,
              Tcp(40000, 80, 1000, 0, kTcpSyn, LinuxSynOptions(1460, 777, 0, 7)));
}

TEST(DecodeTest, EthernetIpv4TcpSynWithOptions) {
  DecodeNotes notes;
  Packet p = MustDecode(kLinkEthernet, Ethernet(kEtherIpv4, SynV4()), &notes);
  EXPECT_TRUE(notes.complete()) << notes.where;
  EXPECT_EQ(p.ts_ns, 42);
  EXPECT_EQ(p.ip, IpAddress::Family::kV4);
  EXPECT_EQ(p.transport, Transport::kTcp);
  EXPECT_EQ(p.src, (Endpoint{Ip("10.71.1.2"), 40000}));
  EXPECT_EQ(p.dst, (Endpoint{Ip("10.71.2.2"), 80}));
  ASSERT_TRUE(p.tcp.has_value());
  EXPECT_EQ(p.tcp->flags, kTcpSyn);
  EXPECT_EQ(p.tcp->seq, 1000u);
  EXPECT_EQ(p.tcp->window, 65535);
  EXPECT_EQ(p.tcp->mss, 1460);
  EXPECT_EQ(p.tcp->ts_val, 777u);
  EXPECT_EQ(p.tcp->ts_ecr, 0u);
  EXPECT_EQ(p.tcp->window_scale, 7);
  EXPECT_EQ(p.payload_len, 0u);
  EXPECT_FALSE(p.tls.has_value());
}

TEST(DecodeTest, VlanTagsAreSkipped) {
  Packet p = MustDecode(kLinkEthernet, Ethernet(kEtherIpv4, SynV4(), {100, 200}));
  EXPECT_EQ(p.transport, Transport::kTcp);
  EXPECT_EQ(p.dst.port, 80);
}

TEST(DecodeTest, EthernetPaddingIsNotPayload) {
  Bytes frame =
      Ethernet(kEtherIpv4, Ipv4("10.0.0.1", "10.0.0.2", 6, Tcp(1, 2, 3, 4, kTcpRst | kTcpAck)));
  frame.resize(frame.size() + 6, 0);  // minimum-size Ethernet frame padding
  Packet p = MustDecode(kLinkEthernet, frame);
  ASSERT_TRUE(p.tcp.has_value());
  EXPECT_EQ(p.payload_len, 0u);
  EXPECT_EQ(p.tcp->FlagsString(), "RST,ACK");
}

TEST(DecodeTest, EveryLinkType) {
  const Bytes ip = SynV4();
  struct Case {
    int link;
    Bytes frame;
  } cases[] = {
      {kLinkEthernet, Ethernet(kEtherIpv4, ip)},
      {kLinkLinuxSll, Sll(kEtherIpv4, ip)},
      {kLinkLinuxSll2, Sll2(kEtherIpv4, ip)},
      {kLinkNull, Null(2, ip, /*network_order=*/false)},
      {kLinkLoop, Null(2, ip, /*network_order=*/true)},
      {kLinkRaw, ip},
      {kLinkRawDlt, ip},
  };
  for (const Case& c : cases) {
    DecodeNotes notes;
    Packet p = MustDecode(c.link, c.frame, &notes);
    EXPECT_TRUE(notes.complete()) << c.link << " " << notes.where;
    EXPECT_EQ(p.transport, Transport::kTcp) << c.link;
    EXPECT_EQ(p.src.port, 40000) << c.link;
  }
}

TEST(DecodeTest, NullLinkWithBsdAndLinuxInet6Families) {
  const Bytes ip6 = Ipv6("fd71:1::2", "fd71:2::2", 17, Udp(5000, 6000, {1, 2, 3}));
  for (uint32_t family : {10u, 24u, 28u, 30u}) {
    Packet p = MustDecode(kLinkNull, Null(family, ip6, false));
    EXPECT_EQ(p.ip, IpAddress::Family::kV6) << family;
    EXPECT_EQ(p.transport, Transport::kUdp);
    EXPECT_EQ(p.payload_len, 3u);
  }
}

// What lets another host's capture recognise the packet (correlate/peer_alignment.h).
TEST(DecodeTest, IpIdTtlAndUdpPayloadDigest) {
  const Bytes payload(40, 7);
  const Packet v4 =
      MustDecode(kLinkRaw, Ipv4("10.0.0.1", "10.0.0.2", 17, Udp(1, 2, payload), {}, 0, /*ttl=*/61));
  EXPECT_EQ(v4.ip_id, 0x1234);
  EXPECT_EQ(v4.ttl, 61);
  ASSERT_TRUE(v4.payload_digest.has_value());
  // Only the first 32 bytes count: a capture that kept more gives the same digest.
  Bytes longer = payload;
  longer.push_back(9);
  Bytes other = payload;
  other[0] = 8;
  const Packet more = MustDecode(kLinkRaw, Ipv4("10.9.9.9", "10.0.0.2", 17, Udp(3, 2, longer)));
  const Packet changed = MustDecode(kLinkRaw, Ipv4("10.0.0.1", "10.0.0.2", 17, Udp(1, 2, other)));
  EXPECT_EQ(more.payload_digest, v4.payload_digest);
  EXPECT_NE(changed.payload_digest, v4.payload_digest);
  // Cut by the snap length before 32 bytes: no digest, rather than one of fewer bytes.
  Bytes cut = Ipv4("10.0.0.1", "10.0.0.2", 17, Udp(1, 2, payload));
  cut.resize(cut.size() - 20);
  EXPECT_FALSE(MustDecode(kLinkRaw, cut).payload_digest.has_value());
  const Packet v6 = MustDecode(kLinkRaw, Ipv6("fd71:1::2", "fd71:2::2", 17, Udp(5, 6, {1})));
  EXPECT_EQ(v6.ip_id, 0);
  EXPECT_EQ(v6.ttl, 64);
}

TEST(DecodeTest, UnsupportedLinkTypeIsAnError) {
  absl::StatusOr<Packet> p = DecodePacket(147, SynV4(), 60, 0);
  EXPECT_FALSE(p.ok());
  EXPECT_THAT(std::string(p.status().message()), ::testing::HasSubstr("147"));
}

TEST(DecodeTest, ArpIsNotIp) {
  DecodeNotes notes;
  Packet p = MustDecode(kLinkEthernet, Ethernet(kEtherArp, Bytes(28, 0)), &notes);
  EXPECT_EQ(p.ip, IpAddress::Family::kNone);
  EXPECT_TRUE(notes.complete());
}

TEST(DecodeTest, ArpRequestAndReplyOverEthernetAndCookedCapture) {
  DecodeNotes notes;
  // Ethernet pads the 28-byte ARP to 46 bytes: the padding is not read.
  Bytes request = Arp(1, "02:00:0a:47:01:02", "10.71.1.2", "00:00:00:00:00:00", "10.71.1.99");
  Bytes padded = request;
  padded.resize(46, 0);
  Packet p = MustDecode(kLinkEthernet, Ethernet(kEtherArp, padded), &notes);
  EXPECT_TRUE(notes.complete()) << notes.where;
  EXPECT_EQ(p.ip, IpAddress::Family::kNone);
  ASSERT_TRUE(p.neighbour.has_value());
  EXPECT_FALSE(p.neighbour->v6);
  EXPECT_FALSE(p.neighbour->is_reply);
  EXPECT_EQ(p.neighbour->sender_ip, Ip("10.71.1.2"));
  ASSERT_TRUE(p.neighbour->sender_mac.has_value());
  EXPECT_EQ(FormatMac(*p.neighbour->sender_mac), "02:00:0a:47:01:02");
  EXPECT_EQ(p.neighbour->target_ip, Ip("10.71.1.99"));
  EXPECT_EQ(p.neighbour->resolved(), Ip("10.71.1.99"));
  EXPECT_FALSE(p.neighbour->IsAddressProbe());

  Packet reply = MustDecode(
      kLinkLinuxSll2,
      Sll2(kEtherArp, Arp(2, "02:00:0a:47:01:01", "10.71.1.1", "02:00:0a:47:01:02", "10.71.1.2")),
      &notes);
  EXPECT_TRUE(notes.complete()) << notes.where;
  ASSERT_TRUE(reply.neighbour.has_value());
  EXPECT_TRUE(reply.neighbour->is_reply);
  // A reply resolves its sender: the address that was asked about.
  EXPECT_EQ(reply.neighbour->resolved(), Ip("10.71.1.1"));
  EXPECT_EQ(FormatMac(*reply.neighbour->target_mac), "02:00:0a:47:01:02");
}

TEST(DecodeTest, GratuitousArpIsAnAddressProbe) {
  Packet p = MustDecode(kLinkLinuxSll, Sll(kEtherArp, Arp(1, "02:00:00:00:00:01", "10.71.1.2",
                                                          "00:00:00:00:00:00", "10.71.1.2")));
  ASSERT_TRUE(p.neighbour.has_value());
  EXPECT_TRUE(p.neighbour->IsAddressProbe());
}

TEST(DecodeTest, TruncatedArpIsNotedAndNotDecoded) {
  Bytes request = Arp(1, "02:00:0a:47:01:02", "10.71.1.2", "00:00:00:00:00:00", "10.71.1.99");
  for (size_t cut = 0; cut < request.size(); ++cut) {
    DecodeNotes notes;
    Packet p = MustDecode(kLinkLinuxSll2,
                          Sll2(kEtherArp, Bytes(request.begin(), request.begin() + cut)), &notes);
    EXPECT_FALSE(p.neighbour.has_value()) << cut;
    EXPECT_TRUE(notes.truncated) << cut;
    EXPECT_EQ(notes.where, "arp") << cut;
  }
}

TEST(DecodeTest, ArpOfAnotherHardwareIsLeftOut) {
  Bytes other = Arp(1, "02:00:00:00:00:01", "10.0.0.1", "00:00:00:00:00:00", "10.0.0.2");
  other[1] = 6;  // IEEE 802 hardware type
  DecodeNotes notes;
  Packet p = MustDecode(kLinkEthernet, Ethernet(kEtherArp, other), &notes);
  EXPECT_FALSE(p.neighbour.has_value());
  EXPECT_TRUE(notes.complete());
}

TEST(DecodeTest, NeighbourSolicitationAndAdvertisement) {
  DecodeNotes notes;
  Packet ns =
      MustDecode(kLinkLinuxSll2,
                 Sll2(kEtherIpv6, Ipv6("fd71:1::2", "ff02::1:ff00:99", 58,
                                       NeighbourDiscovery(135, "fd71:1::99", "02:00:0a:47:01:02"))),
                 &notes);
  EXPECT_TRUE(notes.complete()) << notes.where;
  EXPECT_EQ(ns.ip, IpAddress::Family::kV6);
  EXPECT_EQ(ns.transport, Transport::kIcmpV6);
  EXPECT_FALSE(ns.icmp_error.has_value());
  ASSERT_TRUE(ns.neighbour.has_value());
  EXPECT_TRUE(ns.neighbour->v6);
  EXPECT_FALSE(ns.neighbour->is_reply);
  EXPECT_EQ(ns.neighbour->sender_ip, Ip("fd71:1::2"));
  EXPECT_EQ(ns.neighbour->target_ip, Ip("fd71:1::99"));
  ASSERT_TRUE(ns.neighbour->sender_mac.has_value());
  EXPECT_EQ(FormatMac(*ns.neighbour->sender_mac), "02:00:0a:47:01:02");

  Packet na = MustDecode(
      kLinkRaw,
      Ipv6("fd71:1::1", "fd71:1::2", 58, NeighbourDiscovery(136, "fd71:1::1", "02:00:00:00:00:01")),
      &notes);
  EXPECT_TRUE(notes.complete()) << notes.where;
  ASSERT_TRUE(na.neighbour.has_value());
  EXPECT_TRUE(na.neighbour->is_reply);
  EXPECT_EQ(na.neighbour->resolved(), Ip("fd71:1::1"));

  // Duplicate address detection (RFC 4862 5.4.2): from the unspecified address, no option.
  Packet dad = MustDecode(
      kLinkRaw, Ipv6("::", "ff02::1:ff00:2", 58, NeighbourDiscovery(135, "fd71:1::2", "")));
  ASSERT_TRUE(dad.neighbour.has_value());
  EXPECT_TRUE(dad.neighbour->IsAddressProbe());
  EXPECT_FALSE(dad.neighbour->sender_mac.has_value());
}

TEST(DecodeTest, NeighbourDiscoveryBadOptionsAndTruncation) {
  Bytes ns = NeighbourDiscovery(135, "fd71:1::99", "02:00:0a:47:01:02");
  Bytes zero_len = ns;
  zero_len[25] = 0;  // option length 0: RFC 4861 4.6 says discard
  DecodeNotes notes;
  Packet p = MustDecode(kLinkRaw, Ipv6("fd71:1::2", "ff02::1:ff00:99", 58, zero_len), &notes);
  EXPECT_TRUE(notes.malformed);
  EXPECT_EQ(notes.where, "ndp");
  ASSERT_TRUE(p.neighbour.has_value());  // the target was read before the bad option
  EXPECT_FALSE(p.neighbour->sender_mac.has_value());

  for (size_t cut = 8; cut < 24; ++cut) {
    DecodeNotes n;
    Packet q = MustDecode(
        kLinkRaw, Ipv6("fd71:1::2", "ff02::1:ff00:99", 58, Bytes(ns.begin(), ns.begin() + cut)),
        &n);
    EXPECT_FALSE(q.neighbour.has_value()) << cut;
    EXPECT_TRUE(n.truncated) << cut;
  }
}

TEST(DecodeTest, Ipv4OptionsAreSkipped) {
  Bytes ip = Ipv4("10.0.0.1", "10.0.0.2", 17, Udp(1234, 53, Dns(7, 0x0100, "a.b", 1)),
                  /*options=*/{0x94, 4, 0, 0, 1, 1, 1, 0});  // router alert + NOPs + EOL
  DecodeNotes notes;
  Packet p = MustDecode(kLinkRaw, ip, &notes);
  EXPECT_TRUE(notes.complete()) << notes.where;
  EXPECT_EQ(p.src.port, 1234);
  ASSERT_TRUE(p.dns.has_value());
  EXPECT_EQ(p.dns->qname, "a.b");
}

TEST(DecodeTest, Ipv4NonFirstFragmentHasNoL4) {
  Bytes ip = Ipv4("10.0.0.1", "10.0.0.2", 17, Bytes(24, 0xAB), {}, /*frag=*/185);
  Packet p = MustDecode(kLinkRaw, ip);
  EXPECT_TRUE(p.is_fragment);
  EXPECT_EQ(p.transport, Transport::kUdp);
  EXPECT_EQ(p.src.port, 0);
  EXPECT_EQ(p.payload_len, 24u);
}

TEST(DecodeTest, Ipv4FirstFragmentHasL4) {
  Bytes ip = Ipv4("10.0.0.1", "10.0.0.2", 17, Udp(9, 10, Bytes(100, 1)), {}, /*frag=MF*/ 0x2000);
  Packet p = MustDecode(kLinkRaw, ip);
  EXPECT_FALSE(p.is_fragment);
  EXPECT_EQ(p.dst.port, 10);
}

TEST(DecodeTest, Ipv6ExtensionHeadersAreWalked) {
  Bytes chain =
      Ipv6Ext8(/*routing*/ 43, Ipv6Ext8(/*dest opts*/ 60, Ipv6Ext8(6, Tcp(5, 443, 9, 0, kTcpSyn))));
  DecodeNotes notes;
  Packet p = MustDecode(kLinkLinuxSll2, Sll2(kEtherIpv6, Ipv6("fd71:1::2", "fd71:2::2", 0, chain)),
                        &notes);
  EXPECT_TRUE(notes.complete()) << notes.where;
  EXPECT_EQ(p.ip, IpAddress::Family::kV6);
  EXPECT_EQ(p.transport, Transport::kTcp);
  EXPECT_EQ(p.src, (Endpoint{Ip("fd71:1::2"), 5}));
  EXPECT_EQ(p.dst.port, 443);
  EXPECT_EQ(p.payload_len, 0u);
}

TEST(DecodeTest, Ipv6Fragments) {
  Bytes first = Ipv6Fragment(17, 0, true, Udp(53, 9999, Dns(1, 0x8180, "x.org", 28)));
  Packet p = MustDecode(kLinkRaw, Ipv6("fd71:2::2", "fd71:1::2", 44, first));
  EXPECT_FALSE(p.is_fragment);
  ASSERT_TRUE(p.dns.has_value());
  EXPECT_EQ(p.dns->qtype, 28);

  Bytes later = Ipv6Fragment(17, 100, false, Bytes(16, 0));
  p = MustDecode(kLinkRaw, Ipv6("fd71:2::2", "fd71:1::2", 44, later));
  EXPECT_TRUE(p.is_fragment);
  EXPECT_EQ(p.transport, Transport::kUdp);
  EXPECT_EQ(p.payload_len, 16u);
  EXPECT_FALSE(p.dns.has_value());
}

TEST(DecodeTest, IcmpPortUnreachableQuotesTheUdpFlow) {
  Bytes original = Ipv4("10.71.1.2", "10.71.2.2", 17, Udp(33333, 9, {'h', 'i'}));
  Bytes icmp = Ipv4("10.71.2.2", "10.71.1.2", 1, Icmp(3, 3, 0, original));
  Packet p = MustDecode(kLinkRaw, icmp);
  EXPECT_EQ(p.transport, Transport::kIcmp);
  ASSERT_TRUE(p.icmp_error.has_value());
  const IcmpError& e = *p.icmp_error;
  EXPECT_FALSE(e.v6);
  EXPECT_EQ(e.Describe(), "port-unreachable");
  EXPECT_EQ(e.sender, Ip("10.71.2.2"));
  EXPECT_EQ(e.original.transport, Transport::kUdp);
  EXPECT_EQ(e.original.local, (Endpoint{Ip("10.71.1.2"), 33333}));
  EXPECT_EQ(e.original.remote, (Endpoint{Ip("10.71.2.2"), 9}));
  EXPECT_FALSE(e.original_tcp_seq.has_value());
}

TEST(DecodeTest, IcmpFromARouterWithOnlyEightBytesQuoted) {
  // RFC 792 routers quote the IP header + 8 bytes: the TCP ports and sequence number.
  Bytes original = Ipv4("10.71.1.2", "10.71.2.2", 6, Tcp(40000, 80, 0xdeadbeef, 0, kTcpSyn));
  original.resize(28);
  Bytes icmp = Ipv4("10.71.1.1", "10.71.1.2", 1, Icmp(3, 4, /*mtu*/ 1280, original));
  Packet p = MustDecode(kLinkRaw, icmp);
  ASSERT_TRUE(p.icmp_error.has_value());
  EXPECT_EQ(p.icmp_error->Describe(), "frag-needed");
  EXPECT_EQ(p.icmp_error->next_hop_mtu, 1280u);
  EXPECT_EQ(p.icmp_error->sender, Ip("10.71.1.1"));
  EXPECT_EQ(p.icmp_error->original.transport, Transport::kTcp);
  EXPECT_EQ(p.icmp_error->original.remote.port, 80);
  EXPECT_EQ(p.icmp_error->original_tcp_seq, 0xdeadbeefu);
}

TEST(DecodeTest, IcmpTimeExceeded) {
  Bytes original = Ipv4("10.71.1.2", "10.71.2.2", 17, Udp(1, 33434, {}), {}, 0, 1);
  Packet p = MustDecode(kLinkRaw, Ipv4("10.71.1.1", "10.71.1.2", 1, Icmp(11, 0, 0, original)));
  ASSERT_TRUE(p.icmp_error.has_value());
  EXPECT_EQ(p.icmp_error->Describe(), "ttl-exceeded");
}

TEST(DecodeTest, IcmpEchoIsNotAnError) {
  Packet p = MustDecode(kLinkRaw, Ipv4("10.0.0.1", "10.0.0.2", 1, Icmp(8, 0, 0x00010001, {1})));
  EXPECT_EQ(p.transport, Transport::kIcmp);
  EXPECT_FALSE(p.icmp_error.has_value());
  EXPECT_EQ(p.payload_len, 1u);
}

TEST(DecodeTest, Icmpv6PacketTooBigAndUnreachable) {
  Bytes original =
      Ipv6("fd71:1::2", "fd71:2::2", 6, Tcp(40000, 443, 5, 6, kTcpAck, {}, Bytes(1400, 0)));
  Bytes ptb = Ipv6("fd71:1::1", "fd71:1::2", 58,
                   Icmp(2, 0, 1280, Bytes(original.begin(), original.begin() + 1232)));
  Packet p = MustDecode(kLinkRaw, ptb);
  EXPECT_EQ(p.transport, Transport::kIcmpV6);
  ASSERT_TRUE(p.icmp_error.has_value());
  EXPECT_TRUE(p.icmp_error->v6);
  EXPECT_EQ(p.icmp_error->Describe(), "packet-too-big");
  EXPECT_EQ(p.icmp_error->next_hop_mtu, 1280u);
  EXPECT_EQ(p.icmp_error->sender, Ip("fd71:1::1"));
  EXPECT_EQ(p.icmp_error->original.local, (Endpoint{Ip("fd71:1::2"), 40000}));
  EXPECT_EQ(p.icmp_error->original.remote, (Endpoint{Ip("fd71:2::2"), 443}));

  Bytes unreach = Ipv6("fd71:2::2", "fd71:1::2", 58,
                       Icmp(1, 4, 0, Ipv6("fd71:1::2", "fd71:2::2", 17, Udp(7, 8, {}))));
  p = MustDecode(kLinkRaw, unreach);
  ASSERT_TRUE(p.icmp_error.has_value());
  EXPECT_EQ(p.icmp_error->Describe(), "port-unreachable");
  EXPECT_EQ(p.icmp_error->original.transport, Transport::kUdp);
}

TEST(DecodeTest, DnsQueryAndResponse) {
  Packet q = MustDecode(kLinkRaw, Ipv4("10.71.1.2", "10.71.2.2", 17,
                                       Udp(40000, 53, Dns(0xbeef, 0x0100, "www.example.com", 1))));
  ASSERT_TRUE(q.dns.has_value());
  EXPECT_EQ(q.dns->id, 0xbeef);
  EXPECT_FALSE(q.dns->is_response);
  EXPECT_EQ(q.dns->qname, "www.example.com");
  EXPECT_EQ(q.dns->qtype, 1);

  Packet r =
      MustDecode(kLinkRaw, Ipv4("10.71.2.2", "10.71.1.2", 17,
                                Udp(53, 40000, Dns(0xbeef, 0x8182, "www.example.com", 1, 2))));
  ASSERT_TRUE(r.dns.has_value());
  EXPECT_TRUE(r.dns->is_response);
  EXPECT_EQ(r.dns->rcode, 2);  // SERVFAIL
  EXPECT_EQ(r.dns->answer_count, 2);
  EXPECT_EQ(r.dns->opcode, 0);
  EXPECT_FALSE(r.dns->truncated);

  // QR, AA, TC: an answer too long for UDP, to be asked again over TCP.
  Packet tc = MustDecode(kLinkRaw, Ipv4("10.71.2.2", "10.71.1.2", 17,
                                        Udp(53, 40000, Dns(0xbeef, 0x8680, "big.test", 1))));
  ASSERT_TRUE(tc.dns.has_value());
  EXPECT_TRUE(tc.dns->truncated);
  EXPECT_EQ(tc.dns->rcode, 0);
}

TEST(DecodeTest, DnsCompressionLoopsEndSafely) {
  Bytes msg = {0, 1, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0};
  msg.insert(msg.end(), {0xC0, 12});  // a question name pointing at itself
  std::optional<DnsMessage> m = DecodeDns(msg);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->qname, "");

  Bytes two = {0, 1, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'a', 0xC0, 12};  // a -> a -> a ...
  m = DecodeDns(two);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->qname, "");

  Bytes forward = {0, 1, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 16, 0, 1, 1, 'z', 0, 0, 1};
  m = DecodeDns(forward);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->qname, "z");
  EXPECT_EQ(m->qtype, 1);  // read after the pointer, not after the target
}

TEST(DecodeTest, DnsNamesAreEscapedForDisplay) {
  Bytes msg = {0, 1, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 'a', '.', 0x1b, 0, 0, 1, 0, 1};
  std::optional<DnsMessage> m = DecodeDns(msg);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->qname, "a\\.\\027");
  EXPECT_FALSE(DecodeDns(Bytes(11, 0)).has_value());
}

TEST(DecodeTest, TlsClientHello) {
  Bytes seg = Tcp(40000, 443, 1, 1, kTcpPsh | kTcpAck, {},
                  TlsClientHello("api.example.net", {0x0304, 0x0303}));
  Packet p = MustDecode(kLinkRaw, Ipv4("10.71.1.2", "10.71.2.2", 6, seg));
  ASSERT_TRUE(p.tls.has_value());
  EXPECT_EQ(p.tls->content_type, 22);
  EXPECT_EQ(p.tls->version, 0x0301);
  ASSERT_TRUE(p.tls->client_hello.has_value());
  EXPECT_EQ(p.tls->client_hello->legacy_version, 0x0303);
  EXPECT_EQ(p.tls->client_hello->sni, "api.example.net");
  EXPECT_THAT(p.tls->client_hello->supported_versions, ElementsAre(0x0304, 0x0303));
}

TEST(DecodeTest, TlsClientHelloCutBySnaplenKeepsTheSni) {
  Bytes hello = TlsClientHello("cut.example", {0x0304});
  // Cut just before supported_versions: SNI is there, versions are not.
  hello.resize(hello.size() - 7);
  std::optional<TlsRecordInfo> t = DecodeTls(hello);
  ASSERT_TRUE(t.has_value() && t->client_hello.has_value());
  EXPECT_EQ(t->client_hello->sni, "cut.example");
  EXPECT_TRUE(t->client_hello->supported_versions.empty());
}

TEST(DecodeTest, TlsAlert) {
  Packet p =
      MustDecode(kLinkRaw, Ipv4("10.71.2.2", "10.71.1.2", 6,
                                Tcp(443, 40000, 1, 1, kTcpPsh | kTcpAck, {}, TlsAlert(2, 40))));
  ASSERT_TRUE(p.tls.has_value());
  EXPECT_EQ(p.tls->content_type, 21);
  ASSERT_TRUE(p.tls->alert.has_value());
  EXPECT_EQ(p.tls->alert->level, 2);
  EXPECT_EQ(p.tls->alert->description, 40);  // handshake_failure
  EXPECT_EQ(p.payload_len, 7u);
}

TEST(DecodeTest, NonTlsPayloadIsNotTls) {
  EXPECT_FALSE(DecodeTls(Bytes{'G', 'E', 'T', ' ', '/'}).has_value());
  EXPECT_FALSE(DecodeTls(Bytes{22, 9, 1, 0, 5}).has_value());
  EXPECT_FALSE(DecodeTls(Bytes{22, 3}).has_value());
}

TEST(DecodeTest, MalformedHeadersAreReportedNotTrusted) {
  Bytes bad_ihl = SynV4();
  bad_ihl[0] = 0x43;  // IHL 3 < 5
  DecodeNotes notes;
  Packet p = MustDecode(kLinkRaw, bad_ihl, &notes);
  EXPECT_TRUE(notes.malformed);
  EXPECT_EQ(p.transport, Transport::kUnknown);

  Bytes bad_doff = SynV4();
  bad_doff[20 + 12] = 0x20;  // TCP data offset 2 < 5
  p = MustDecode(kLinkRaw, bad_doff, &notes);
  EXPECT_TRUE(notes.malformed);
  EXPECT_EQ(notes.where, "tcp");
  EXPECT_FALSE(p.tcp.has_value());
}

// Every prefix of every valid packet decodes without reading outside the buffer (ASan checks
// that), and a prefix that cuts the headers says it was truncated.
TEST(DecodeTest, EveryTruncationIsSafe) {
  struct Sample {
    int link;
    Bytes frame;
    size_t headers;  // bytes up to the end of the L4 header
  };
  const Bytes icmp6 =
      Ipv6("fd71:1::1", "fd71:1::2", 58,
           Icmp(1, 0, 0, Ipv6("fd71:1::2", "fd71:2::2", 6, Tcp(1, 2, 3, 4, kTcpSyn))));
  std::vector<Sample> samples = {
      {kLinkEthernet, Ethernet(kEtherIpv4, SynV4(), {5}), 18 + 20 + 40},
      {kLinkLinuxSll,
       Sll(kEtherIpv4, Ipv4("1.1.1.1", "2.2.2.2", 17, Udp(5, 53, Dns(1, 0x100, "a.bc.d", 1)))),
       16 + 28},
      {kLinkLinuxSll2,
       Sll2(kEtherIpv6, Ipv6("::1", "::2", 0,
                             Ipv6Ext8(44, Ipv6Fragment(6, 0, true,
                                                       Tcp(1, 443, 0, 0, kTcpAck, {},
                                                           TlsClientHello("s.io", {0x304})))))),
       20 + 40 + 16 + 20},
      {kLinkNull,
       Null(2,
            Ipv4("1.1.1.1", "2.2.2.2", 1,
                 Icmp(3, 1, 0, Ipv4("2.2.2.2", "3.3.3.3", 6, Tcp(1, 2, 3, 4, 2)))),
            false),
       4 + 20 + 8},
      {kLinkRaw, icmp6, 40 + 8},
      {kLinkLoop,
       Null(2,
            Ipv4("1.1.1.1", "2.2.2.2", 6, Tcp(443, 1, 0, 0, kTcpAck, {}, TlsAlert(2, 70)),
                 {7, 3, 4}),
            true),
       4 + 24 + 20},
  };
  for (const Sample& s : samples) {
    for (size_t len = 0; len <= s.frame.size(); ++len) {
      // A fresh allocation of exactly `len` bytes so ASan sees any overread.
      std::vector<uint8_t> prefix(s.frame.begin(), s.frame.begin() + static_cast<long>(len));
      DecodeNotes notes;
      absl::StatusOr<Packet> p =
          DecodePacket(s.link, prefix, static_cast<uint32_t>(s.frame.size()), 1, &notes);
      ASSERT_TRUE(p.ok());
      EXPECT_EQ(p->wire_len, s.frame.size());
      EXPECT_EQ(p->captured_len, len);
      if (len < s.headers) {
        EXPECT_TRUE(notes.truncated) << "link " << s.link << " len " << len;
      }
    }
    DecodeNotes notes;
    MustDecode(s.link, s.frame, &notes);
    EXPECT_TRUE(notes.complete()) << "link " << s.link << ": " << notes.where;
  }
}

}  // namespace
}  // namespace netcorr::capture
