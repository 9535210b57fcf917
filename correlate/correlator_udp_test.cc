// Calls on UDP sockets, connected or not: ICMP errors reported late, silences, DNS answers.
#include <cerrno>

#include "correlate/correlator_test_fixture.h"
#include "gtest/gtest.h"

namespace netcorr::correlate {
namespace {

using namespace testing;  // NOLINT: the fixture, builders and matchers of these tests

TEST_P(CorrelatorTest, UdpPortUnreachableOnLaterRecv) {
  const Endpoint d = w.Server(5353);
  SyscallEvent conn = Call(10, "connect", 5, kT0, kT0 + kMs / 10, 0);
  conn.socket = UdpSocket(2005, c, d);
  conn.address = d;
  corr.AddSyscall(conn);
  SyscallEvent send = Call(11, "send", 5, kT0 + kMs, kT0 + kMs, 0, 20);
  send.socket = UdpSocket(2005, c, d);
  corr.AddSyscall(send);
  corr.AddPacket(UdpPacket(1, kT0 + kMs, c, d, 20));
  corr.AddPacket(IcmpPacket(2, kT0 + 2 * kMs, w.server, w.client, FlowKey{Transport::kUdp, c, d},
                            w.v6 ? 1 : 3, w.v6 ? 4 : 3));
  SyscallEvent recv = Call(12, "recv", 5, kT0 + 3 * kMs, kT0 + 3 * kMs, ECONNREFUSED);
  recv.socket = UdpSocket(2005, c, d);
  corr.AddSyscall(recv);
  std::vector<Finding> f = All();
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_EQ(f[0].kind, FindingKind::kIcmpUnreachable);
  EXPECT_EQ(f[0].call.id, 12u);
  EXPECT_THAT(f[0].evidence, ElementsAre(1, 2));
  EXPECT_THAT(f[0].hint, HasSubstr("nothing listens on UDP " + d.ToString()));
  EXPECT_EQ(f[0].icmp->sender_role, IcmpSenderRole::kDestination);
}

TEST_P(CorrelatorTest, EmsgsizeAfterFragNeeded) {
  const Endpoint d = w.Server(9000);
  SyscallEvent send = Call(11, "send", 5, kT0, kT0 + kMs / 10, 0, 1472);
  send.socket = UdpSocket(2005, c, d);
  corr.AddSyscall(send);
  corr.AddPacket(UdpPacket(1, kT0 + kMs / 20, c, d, 1472));
  corr.AddPacket(IcmpPacket(2, kT0 + kMs, w.router, w.client, FlowKey{Transport::kUdp, c, d},
                            w.v6 ? 2 : 3, w.v6 ? 0 : 4, std::nullopt, 1400));
  SyscallEvent again = Call(12, "send", 5, kT0 + 2 * kMs, kT0 + 2 * kMs, EMSGSIZE);
  again.socket = UdpSocket(2005, c, d);
  corr.AddSyscall(again);
  std::vector<Finding> f = All();
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_EQ(f[0].kind, FindingKind::kIcmpUnreachable);
  EXPECT_EQ(f[0].call.id, 12u);
  EXPECT_THAT(f[0].summary, HasSubstr("MTU 1400"));
  EXPECT_THAT(f[0].hint, HasSubstr("1400 bytes"));
  EXPECT_EQ(f[0].icmp->mtu, 1400u);
  EXPECT_THAT(f[0].evidence, Contains(2u));
}

TEST_P(CorrelatorTest, UdpNoResponseAfterReceiveTimeout) {
  const Endpoint d = w.Server(7000);
  for (uint64_t i = 0; i < 2; ++i) {
    SyscallEvent send = Call(10 + i, "sendto", 5, kT0 + i * kSec, kT0 + i * kSec + 1000, 0, 20);
    send.socket = UdpSocket(2005, c, std::nullopt);
    send.address = d;
    corr.AddSyscall(send);
    corr.AddPacket(UdpPacket(i + 1, kT0 + i * kSec + 500, c, d, 20));
  }
  SyscallEvent recv = Call(12, "recvfrom", 5, kT0 + kSec, kT0 + 3 * kSec, EAGAIN);
  recv.socket = UdpSocket(2005, c, std::nullopt);
  corr.AddSyscall(recv);
  std::vector<Finding> f = All();
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_EQ(f[0].kind, FindingKind::kNoResponse);
  EXPECT_EQ(f[0].call.id, 12u);
  EXPECT_THAT(f[0].evidence, ElementsAre(1, 2));
  EXPECT_THAT(f[0].summary, HasSubstr("2 datagrams sent"));
  EXPECT_THAT(f[0].summary, HasSubstr("nothing came back"));
}

TEST_P(CorrelatorTest, LongReceiveOnUnconnectedSocketStillFindsItsRequests) {
  // sendto from a socket bound to the unspecified address, then a receive that times out a
  // minute later: the flow must outlive the 10 s retention while the socket is open.
  const Endpoint d = w.Server(7000);
  const Endpoint any{IpAddress::Parse(w.v6 ? "::" : "0.0.0.0").value(), 50000};
  SyscallEvent send = Call(10, "sendto", 5, kT0, kT0 + 1000, 0, 20);
  send.socket = UdpSocket(2005, any, std::nullopt);
  send.address = d;
  corr.AddSyscall(send);
  corr.AddPacket(UdpPacket(1, kT0 + 500, Endpoint{w.client, 50000}, d, 20));
  for (int i = 1; i <= 60; ++i) EXPECT_THAT(corr.Advance(kT0 + i * kSec), IsEmpty());
  SyscallEvent recv = Call(11, "recvfrom", 5, kT0 + kMs, kT0 + 60 * kSec, EAGAIN);
  recv.socket = UdpSocket(2005, any, std::nullopt);
  corr.AddSyscall(recv);
  std::vector<Finding> f = All();
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_EQ(f[0].kind, FindingKind::kNoResponse);
  EXPECT_THAT(f[0].evidence, ElementsAre(1));
}

TEST_P(CorrelatorTest, UnconnectedSocketTimesOutOnAPortUnreachable) {
  const Endpoint d = w.Server(7000);
  SyscallEvent send = Call(10, "sendto", 5, kT0, kT0 + 1000, 0, 20);
  send.socket = UdpSocket(2005, c, std::nullopt);
  send.address = d;
  corr.AddSyscall(send);
  corr.AddPacket(UdpPacket(1, kT0 + 500, c, d, 20));
  corr.AddPacket(IcmpPacket(2, kT0 + kMs, w.server, w.client, FlowKey{Transport::kUdp, c, d},
                            w.v6 ? 1 : 3, w.v6 ? 4 : 3));
  SyscallEvent recv = Call(11, "recvfrom", 5, kT0 + kMs, kT0 + 500 * kMs, EAGAIN);
  recv.socket = UdpSocket(2005, c, std::nullopt);
  corr.AddSyscall(recv);
  // The retry after the timeout is not part of the first wait.
  corr.AddPacket(UdpPacket(3, kT0 + 501 * kMs, c, d, 20));
  std::vector<Finding> f = All();
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_EQ(f[0].kind, FindingKind::kIcmpUnreachable);
  EXPECT_EQ(f[0].call.id, 11u);
  EXPECT_THAT(f[0].evidence, ElementsAre(1, 2));
  EXPECT_THAT(f[0].hint, HasSubstr("nothing listens on UDP " + d.ToString()));
}

TEST_P(CorrelatorTest, NonBlockingEagainIsNormal) {
  const Endpoint d = w.Server(7000);
  corr.AddPacket(UdpPacket(1, kT0, c, d, 20));
  SyscallEvent recv = Call(12, "recvfrom", 5, kT0 + kMs, kT0 + kMs, EAGAIN);
  recv.socket = UdpSocket(2005, c, d);
  recv.nonblocking = true;
  corr.AddSyscall(recv);
  EXPECT_THAT(All(), IsEmpty());
}

TEST_P(CorrelatorTest, DnsQueryWithoutResponseReportedOncePerSilence) {
  const Endpoint ns = w.Server(53);
  SyscallEvent conn = Call(9, "connect", 5, kT0, kT0 + kMs / 10, 0);
  conn.socket = UdpSocket(2005, c, ns);
  conn.address = ns;
  corr.AddSyscall(conn);
  corr.AddPacket(DnsPacket(1, kT0 + kMs, c, ns, 0xbeef, false, "svc.example.test"));
  corr.AddPacket(DnsPacket(2, kT0 + 5 * kSec, c, ns, 0xbeef, false, "svc.example.test"));
  for (uint64_t i = 0; i < 2; ++i) {
    SyscallEvent poll =
        Call(10 + i, "poll", -1, kT0 + i * 5 * kSec, kT0 + (i + 1) * 5 * kSec, 0, 0);
    poll.waited.push_back(FdSocket{5, UdpSocket(2005, c, ns)});
    corr.AddSyscall(poll);
  }
  std::vector<Finding> f = All();
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_EQ(f[0].kind, FindingKind::kNoResponse);
  // Told at the first wait the silence hit; the second one adds nothing new.
  EXPECT_EQ(f[0].call.id, 10u);
  EXPECT_EQ(f[0].call.name, "poll");
  EXPECT_THAT(f[0].summary, HasSubstr("DNS query for svc.example.test"));
  EXPECT_THAT(f[0].summary, HasSubstr("id 0xbeef"));
  ASSERT_TRUE(f[0].dns.has_value());
  EXPECT_FALSE(f[0].dns->answered);
  EXPECT_THAT(f[0].hint, HasSubstr("DNS server " + ns.ToString()));
}

TEST_P(CorrelatorTest, DnsServfailAttachedToTheReceive) {
  const Endpoint ns = w.Server(53);
  SyscallEvent send = Call(10, "sendto", 5, kT0, kT0 + kMs / 10, 0, 40);
  send.socket = UdpSocket(2005, c, std::nullopt);
  send.address = ns;
  corr.AddSyscall(send);
  corr.AddPacket(DnsPacket(1, kT0 + kMs / 20, c, ns, 0x0102, false, "broken.test"));
  corr.AddPacket(DnsPacket(2, kT0 + 3 * kMs, ns, c, 0x0102, true, "broken.test", 2));
  SyscallEvent recv = Call(11, "recvfrom", 5, kT0 + kMs, kT0 + 3 * kMs + 1000, 0, 40);
  recv.socket = UdpSocket(2005, c, std::nullopt);
  recv.address = ns;
  corr.AddSyscall(recv);
  std::vector<Finding> f = All();
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_EQ(f[0].kind, FindingKind::kDnsError);
  EXPECT_EQ(f[0].call.id, 11u);
  EXPECT_THAT(f[0].evidence, ElementsAre(1, 2));
  EXPECT_THAT(f[0].summary, HasSubstr("SERVFAIL"));
  EXPECT_THAT(f[0].summary, HasSubstr("broken.test"));
  EXPECT_EQ(f[0].dns->rcode_name, "SERVFAIL");
}

}  // namespace
}  // namespace netcorr::correlate
