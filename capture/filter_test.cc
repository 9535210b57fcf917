#include "capture/filter.h"

#include <pcap/pcap.h>

#include <string>
#include <vector>

#include "capture/decode.h"
#include "capture/testing/packet_builder.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace netcorr::capture {
namespace {

using ::testing::HasSubstr;
using namespace ::netcorr::capture::testing;  // NOLINT

Endpoint Ep(const char* addr, uint16_t port) { return Endpoint{*IpAddress::Parse(addr), port}; }

FlowTerm Connect(Transport t, const char* addr, uint16_t port) {
  FlowTerm term;
  term.transport = t;
  term.remote = Ep(addr, port);
  return term;
}

FlowTerm Listen(Transport t, uint16_t port) {
  FlowTerm term;
  term.transport = t;
  term.local_port = port;
  return term;
}

// A compiled filter on a dead handle of one link type: what the kernel would run.
class Compiled {
 public:
  Compiled(int link, const std::string& expr) : dead_(pcap_open_dead(link, 768)) {
    ok_ = pcap_compile(dead_, &prog_, expr.c_str(), 1, PCAP_NETMASK_UNKNOWN) == 0;
    if (!ok_) error_ = pcap_geterr(dead_);
  }
  ~Compiled() {
    if (ok_) pcap_freecode(&prog_);
    pcap_close(dead_);
  }
  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }
  unsigned instructions() const { return prog_.bf_len; }
  bool Matches(const Bytes& frame) const {
    pcap_pkthdr h{};
    h.caplen = h.len = static_cast<bpf_u_int32>(frame.size());
    return pcap_offline_filter(&prog_, &h, frame.data()) != 0;
  }

 private:
  pcap_t* dead_;
  bpf_program prog_{};
  bool ok_ = false;
  std::string error_;
};

TEST(FilterTest, ExpressionText) {
  CaptureFilter f =
      BuildCaptureFilter({Connect(Transport::kTcp, "10.71.2.2", 80), Listen(Transport::kUdp, 5353),
                          Connect(Transport::kUdp, "fd71:2::2", 0)});
  EXPECT_FALSE(f.needs_userspace_filtering);
  EXPECT_EQ(f.term_count, 3u);
  EXPECT_THAT(f.expression,
              HasSubstr("(tcp and ((dst host 10.71.2.2 and dst port 80) or (src host 10.71.2.2 "
                        "and src port 80)))"));
  EXPECT_THAT(f.expression, HasSubstr("(udp port 5353)"));
  EXPECT_THAT(f.expression, HasSubstr("(udp and host fd71:2::2)"));
  EXPECT_THAT(f.expression, HasSubstr("icmp[icmptype] == icmp-unreach"));
  EXPECT_THAT(f.expression, HasSubstr("icmp6[icmp6type] >= 1 and icmp6[icmp6type] <= 4"));
}

TEST(FilterTest, DuplicatesAndUnusableTermsAreDropped) {
  FlowTerm raw;
  raw.transport = Transport::kIcmp;
  raw.remote = Ep("10.0.0.1", 0);
  CaptureFilter f = BuildCaptureFilter({Connect(Transport::kTcp, "10.0.0.1", 80),
                                        Connect(Transport::kTcp, "10.0.0.1", 80), raw, FlowTerm{}});
  EXPECT_EQ(f.term_count, 1u);
  CaptureFilter none = BuildCaptureFilter({});
  EXPECT_EQ(none.term_count, 0u);
  EXPECT_THAT(none.expression, ::testing::StartsWith("(icmp and"));
}

TEST(FilterTest, FallsBackPastTheBound) {
  std::vector<FlowTerm> terms;
  for (uint16_t port = 1; port <= 5; ++port)
    terms.push_back(Connect(Transport::kTcp, "10.0.0.1", port));
  CaptureFilter f = BuildCaptureFilter(terms, /*max_terms=*/4);
  EXPECT_TRUE(f.needs_userspace_filtering);
  EXPECT_THAT(f.expression, ::testing::StartsWith("tcp or udp or "));
  EXPECT_FALSE(BuildCaptureFilter(terms, 5).needs_userspace_filtering);
}

TEST(FilterTest, CompilesForEveryLinkTypeWithinTheKernelLimit) {
  std::vector<FlowTerm> terms;
  for (uint16_t i = 0; i < kMaxFilterTerms; ++i) {
    terms.push_back(i % 2 ? Connect(Transport::kTcp, "fd71:2::2", static_cast<uint16_t>(1000 + i))
                          : Connect(Transport::kUdp, "10.71.2.2", static_cast<uint16_t>(1000 + i)));
  }
  const CaptureFilter big = BuildCaptureFilter(terms);
  ASSERT_FALSE(big.needs_userspace_filtering);
  const CaptureFilter broad = BuildCaptureFilter(terms, 1);
  for (int link : {DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_NULL, DLT_LOOP, DLT_RAW}) {
    for (const CaptureFilter* f : {&big, &broad}) {
      Compiled c(link, f->expression);
      ASSERT_TRUE(c.ok()) << "link " << link << ": " << c.error();
      EXPECT_LT(c.instructions(), 4096u) << "link " << link;  // BPF_MAXINSNS
    }
  }
}

TEST(FilterTest, KernelFilterMatchesTheFlowIcmpErrorsAndAddressResolutionOnly) {
  const CaptureFilter f = BuildCaptureFilter(
      {Connect(Transport::kTcp, "10.71.2.2", 80), Connect(Transport::kTcp, "fd71:2::2", 443)});
  struct Case {
    const char* what;
    Bytes ip;
    bool want;
  } cases[] = {
      {"our SYN", Ipv4("10.71.1.2", "10.71.2.2", 6, Tcp(40000, 80, 1, 0, kTcpSyn)), true},
      {"its RST", Ipv4("10.71.2.2", "10.71.1.2", 6, Tcp(80, 40000, 0, 2, kTcpRst | kTcpAck)), true},
      {"other port", Ipv4("10.71.1.2", "10.71.2.2", 6, Tcp(40000, 81, 1, 0, kTcpSyn)), false},
      {"other host", Ipv4("10.71.1.2", "10.71.2.3", 6, Tcp(40000, 80, 1, 0, kTcpSyn)), false},
      {"udp same port", Ipv4("10.71.1.2", "10.71.2.2", 17, Udp(40000, 80, {})), false},
      {"v6 SYN", Ipv6("fd71:1::2", "fd71:2::2", 6, Tcp(40000, 443, 1, 0, kTcpSyn)), true},
      {"icmp unreachable", Ipv4("10.71.1.1", "10.71.1.2", 1, Icmp(3, 1, 0, Bytes(28, 0x45))), true},
      {"icmp time exceeded", Ipv4("10.71.1.1", "10.71.1.2", 1, Icmp(11, 0, 0, Bytes(28, 0x45))),
       true},
      {"icmp echo", Ipv4("10.71.1.1", "10.71.1.2", 1, Icmp(8, 0, 0, {})), false},
      {"icmp6 too big", Ipv6("fd71:1::1", "fd71:1::2", 58, Icmp(2, 0, 1280, Bytes(48, 0x60))),
       true},
      {"icmp6 echo", Ipv6("fd71:1::1", "fd71:1::2", 58, Icmp(128, 0, 0, {})), false},
      // Address resolution of any neighbour: the evidence of a next hop that never answers.
      {"icmp6 neighbor solicit",
       Ipv6("fd71:1::2", "ff02::1:ff00:99", 58,
            NeighbourDiscovery(135, "fd71:1::99", "02:00:00:00:00:01")),
       true},
      {"icmp6 neighbor advert",
       Ipv6("fd71:1::1", "fd71:1::2", 58,
            NeighbourDiscovery(136, "fd71:1::1", "02:00:00:00:00:02")),
       true},
      {"icmp6 router solicit", Ipv6("fd71:1::2", "ff02::2", 58, Icmp(133, 0, 0, {})), false},
  };
  for (int link : {DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2}) {
    Compiled c(link, f.expression);
    ASSERT_TRUE(c.ok()) << c.error();
    for (const Case& k : cases) {
      const bool v6 = (k.ip[0] >> 4) == 6;
      const uint16_t type = v6 ? kEtherIpv6 : kEtherIpv4;
      const Bytes frame = link == DLT_EN10MB      ? Ethernet(type, k.ip)
                          : link == DLT_LINUX_SLL ? Sll(type, k.ip)
                                                  : Sll2(type, k.ip);
      EXPECT_EQ(c.Matches(frame), k.want) << k.what << " on link " << link;
    }
    const Bytes arp = Arp(1, "02:00:00:00:00:01", "10.71.1.2", "00:00:00:00:00:00", "10.71.1.99");
    const Bytes frame = link == DLT_EN10MB      ? Ethernet(kEtherArp, arp)
                        : link == DLT_LINUX_SLL ? Sll(kEtherArp, arp)
                                                : Sll2(kEtherArp, arp);
    EXPECT_TRUE(c.Matches(frame)) << "ARP request on link " << link;
  }
  // Without any flow yet, address resolution passes too: the first connect's ARP is not lost.
  Compiled none(DLT_LINUX_SLL2, BuildCaptureFilter({}).expression);
  ASSERT_TRUE(none.ok()) << none.error();
  EXPECT_TRUE(none.Matches(Sll2(
      kEtherArp, Arp(1, "02:00:00:00:00:01", "10.71.1.2", "00:00:00:00:00:00", "10.71.1.99"))));
}

// A program that drives sockets through io_uring announces no flow before its packets: the
// filter then takes every flow of the transport, in the kernel and in userspace alike.
TEST(FilterTest, AnyFlowTermTakesEveryFlowOfItsTransport) {
  FlowTerm any_tcp;
  any_tcp.transport = Transport::kTcp;
  any_tcp.any_flow = true;
  const std::vector<FlowTerm> terms = {any_tcp, Connect(Transport::kUdp, "10.71.2.2", 53)};
  const CaptureFilter f = BuildCaptureFilter(terms);
  EXPECT_EQ(f.term_count, 2u);
  EXPECT_FALSE(f.needs_userspace_filtering);
  EXPECT_THAT(f.expression, HasSubstr("(tcp) or "));
  const Bytes v4_syn = Ipv4("10.71.1.2", "10.9.9.9", 6, Tcp(40000, 7001, 1, 0, kTcpSyn));
  const Bytes v6_rst = Ipv6("fd71:2::2", "fd71:1::2", 6, Tcp(7001, 40000, 0, 2, kTcpRst));
  const Bytes other_udp = Ipv4("10.71.1.2", "10.9.9.9", 17, Udp(40000, 53, {}));
  Compiled c(DLT_LINUX_SLL, f.expression);
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_TRUE(c.Matches(Sll(kEtherIpv4, v4_syn)));
  EXPECT_TRUE(c.Matches(Sll(kEtherIpv6, v6_rst)));
  EXPECT_FALSE(c.Matches(Sll(kEtherIpv4, other_udp))) << "only TCP was asked for";
  auto decode = [](const Bytes& ip) { return *DecodePacket(kLinkRaw, ip, 0, 0); };
  EXPECT_TRUE(PacketMatchesTerms(decode(v4_syn), terms));
  EXPECT_TRUE(PacketMatchesTerms(decode(v6_rst), terms));
  EXPECT_FALSE(PacketMatchesTerms(decode(other_udp), terms));
}

TEST(FilterTest, UserspaceMatchFollowsTheSameRules) {
  const std::vector<FlowTerm> terms = {Connect(Transport::kTcp, "10.71.2.2", 80),
                                       Listen(Transport::kTcp, 8080),
                                       Connect(Transport::kUdp, "10.71.2.2", 0)};
  auto decode = [](const Bytes& ip) { return *DecodePacket(kLinkRaw, ip, 0, 0); };
  EXPECT_TRUE(PacketMatchesTerms(
      decode(Ipv4("10.71.1.2", "10.71.2.2", 6, Tcp(4, 80, 1, 0, kTcpSyn))), terms));
  EXPECT_TRUE(PacketMatchesTerms(
      decode(Ipv4("10.71.2.2", "10.71.1.2", 6, Tcp(80, 4, 1, 0, kTcpRst))), terms));
  EXPECT_FALSE(PacketMatchesTerms(
      decode(Ipv4("10.71.1.2", "10.71.2.2", 6, Tcp(4, 81, 1, 0, kTcpSyn))), terms));
  EXPECT_TRUE(PacketMatchesTerms(
      decode(Ipv4("10.9.9.9", "10.71.1.2", 6, Tcp(5, 8080, 1, 0, kTcpSyn))), terms));
  EXPECT_TRUE(
      PacketMatchesTerms(decode(Ipv4("10.71.1.2", "10.71.2.2", 17, Udp(4, 9999, {}))), terms));
  // An ICMP error quoting our flow matches, one quoting another flow does not.
  const Bytes ours = Ipv4("10.71.1.2", "10.71.2.2", 6, Tcp(4, 80, 1, 0, kTcpSyn));
  const Bytes theirs = Ipv4("10.71.1.2", "10.71.2.9", 6, Tcp(4, 80, 1, 0, kTcpSyn));
  EXPECT_TRUE(
      PacketMatchesTerms(decode(Ipv4("10.71.1.1", "10.71.1.2", 1, Icmp(3, 1, 0, ours))), terms));
  EXPECT_FALSE(
      PacketMatchesTerms(decode(Ipv4("10.71.1.1", "10.71.1.2", 1, Icmp(3, 1, 0, theirs))), terms));
  // Address resolution is kept whole, as by the kernel filter.
  EXPECT_TRUE(
      PacketMatchesTerms(decode(Ipv6("fd71:1::2", "ff02::1:ff00:99", 58,
                                     NeighbourDiscovery(135, "fd71:1::99", "02:00:00:00:00:01"))),
                         terms));
  EXPECT_TRUE(
      PacketMatchesTerms(*DecodePacket(kLinkLinuxSll2,
                                       Sll2(kEtherArp, Arp(1, "02:00:00:00:00:01", "10.71.1.2",
                                                           "00:00:00:00:00:00", "10.71.1.99")),
                                       0, 0),
                         terms));
}

}  // namespace
}  // namespace netcorr::capture
