// Sockets and flows over a session: an fd reused, a 5-tuple reused, what a socket's identity
// keeps, v4-mapped addresses, and memory that follows the live flows.
#include <array>
#include <cerrno>

#include "correlate/correlator_test_fixture.h"
#include "gtest/gtest.h"

namespace netcorr::correlate {
namespace {

using namespace testing;  // NOLINT: the fixture, builders and matchers of these tests

TEST_P(CorrelatorTest, FdReusedWithoutASeenCloseStartsAFreshSocket) {
  corr.AddPacket(TcpPacket(1, kT0 + kMs, c, s, kTcpSyn, 1000));
  corr.AddPacket(TcpPacket(2, kT0 + 2 * kMs, s, c, kTcpSyn | kTcpAck, 5, 1001));
  corr.AddSyscall(Connect(10, kT0, kT0 + 3 * kMs, 0, c, s));
  // Same fd number, new socket (inode), new peer: the old socket's state must not leak in.
  const Endpoint c2 = w.Client(40001);
  const Endpoint s81 = w.Server(81);
  corr.AddPacket(TcpPacket(3, kT0 + 11 * kMs, c2, s81, kTcpSyn, 1));
  corr.AddPacket(TcpPacket(4, kT0 + 12 * kMs, s81, c2, kTcpRst | kTcpAck, 0, 2));
  SyscallEvent again = Call(11, "connect", 3, kT0 + 10 * kMs, kT0 + 13 * kMs, ECONNREFUSED);
  again.socket = TcpSocket(5555, c2, std::nullopt);
  again.address = s81;
  corr.AddSyscall(again);
  std::vector<Finding> f = All();
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_EQ(f[0].kind, FindingKind::kRefusedByRst);
  EXPECT_EQ(f[0].flow->remote, s81);
  EXPECT_THAT(f[0].evidence, ElementsAre(3, 4));
}

// After a failed connect the kernel reports the socket's local address as unspecified, port
// kept; the address its SYN left from stays what later calls on the socket are about.
TEST_P(CorrelatorTest, ASocketKeepsTheSourceAddressAFailedConnectForgets) {
  corr.AddSyscall(Connect(10, kT0, kT0 + kMs / 10, EINPROGRESS, c, s));
  const Endpoint forgotten{testing::Ip(w.v6 ? "::" : "0.0.0.0"), c.port};
  SyscallEvent so = Call(11, "getsockopt", 3, kT0 + 3 * kMs, kT0 + 3 * kMs);
  so.socket = TcpSocket(1003, forgotten, std::nullopt);
  so.resolves_call = 10;
  so.resolved_error = ECONNREFUSED;
  corr.AddSyscall(so);
  SyscallEvent write = Call(12, "write", 3, kT0 + 4 * kMs, kT0 + 4 * kMs, EPIPE);
  write.socket = TcpSocket(1003, forgotten, std::nullopt);
  corr.AddSyscall(write);
  std::vector<Finding> f = All();
  ASSERT_THAT(f, SizeIs(2));
  EXPECT_EQ(f[1].call.id, 12u);
  ASSERT_TRUE(f[1].flow.has_value());
  EXPECT_EQ(f[1].flow->local, c);
  EXPECT_EQ(f[1].flow->remote, s);
}

TEST_P(CorrelatorTest, PortReuseSplitsEvidenceByTime) {
  // First connect on the 5-tuple: refused. Ten seconds later, same 5-tuple: SYNs unanswered.
  corr.AddPacket(TcpPacket(1, kT0 + kMs, c, s, kTcpSyn, 1000));
  corr.AddPacket(TcpPacket(2, kT0 + 2 * kMs, s, c, kTcpRst | kTcpAck, 0, 1001));
  corr.AddSyscall(Connect(10, kT0, kT0 + 3 * kMs, ECONNREFUSED, c, s));
  corr.AddSyscall(OnTcp(11, "close", kT0 + 4 * kMs, kT0 + 4 * kMs, 0, 0));
  const TimeNs t1 = kT0 + 10 * kSec;
  corr.AddPacket(TcpPacket(3, t1 + kMs, c, s, kTcpSyn, 555555));
  corr.AddPacket(TcpPacket(4, t1 + 1001 * kMs, c, s, kTcpSyn, 555555));
  corr.AddSyscall(Connect(12, t1, t1 + 3 * kSec, ETIMEDOUT, c, s));
  std::vector<Finding> f = All();
  ASSERT_THAT(f, SizeIs(2));
  EXPECT_EQ(f[0].kind, FindingKind::kRefusedByRst);
  EXPECT_EQ(f[0].call.id, 10u);
  EXPECT_THAT(f[0].evidence, ElementsAre(1, 2));
  EXPECT_EQ(f[1].kind, FindingKind::kSynUnanswered);
  EXPECT_EQ(f[1].call.id, 12u);
  EXPECT_THAT(f[1].evidence, ElementsAre(3, 4));
}

// A dual-stack (AF_INET6) socket reports its IPv4 peers as ::ffff:a.b.c.d; the packets on the
// wire are plain IPv4.
TEST(CorrelatorV4MappedTest, V4MappedSocketAddressesMatchV4Packets) {
  const testing::World w = testing::World::Make(false);
  const Endpoint c = w.Client(40000);
  const Endpoint s = w.Server(80);
  std::array<uint8_t, 16> mapped{};
  mapped[10] = mapped[11] = 0xff;
  mapped[12] = 10, mapped[13] = 71, mapped[14] = 1, mapped[15] = 2;
  std::array<uint8_t, 16> mapped_server = mapped;
  mapped_server[14] = 2;
  const Endpoint mapped_local{IpAddress::V6(mapped), 40000};
  const Endpoint mapped_remote{IpAddress::V6(mapped_server), 80};
  ASSERT_EQ(mapped_local, c);  // normalised by the model
  ASSERT_EQ(mapped_remote, s);
  Correlator corr{CorrelatorOptions{}};
  corr.AddPacket(TcpPacket(1, kT0 + kMs, c, s, kTcpSyn, 1000));
  corr.AddPacket(TcpPacket(2, kT0 + 2 * kMs, s, c, kTcpRst | kTcpAck, 0, 1001));
  SyscallEvent e = Call(10, "connect", 3, kT0, kT0 + 3 * kMs, ECONNREFUSED);
  e.socket = TcpSocket(1003, mapped_local, std::nullopt);
  e.socket->family = 10;  // AF_INET6
  e.address = mapped_remote;
  corr.AddSyscall(e);
  std::vector<Finding> f = corr.Finish();
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_EQ(f[0].kind, FindingKind::kRefusedByRst);
  EXPECT_THAT(f[0].evidence, ElementsAre(1, 2));
}

TEST_P(CorrelatorTest, MemoryFollowsLiveFlowsNotCaptureLength) {
  uint64_t id = 1;
  uint64_t call = 1;
  for (int i = 0; i < 2000; ++i) {
    const TimeNs t = kT0 + i * 100 * kMs;
    const Endpoint local = w.Client(static_cast<uint16_t>(20000 + i));
    corr.AddPacket(TcpPacket(id++, t + kMs, local, s, kTcpSyn, 7));
    corr.AddPacket(TcpPacket(id++, t + 2 * kMs, s, local, kTcpRst | kTcpAck, 0, 8));
    corr.AddSyscall(Connect(call++, t, t + 3 * kMs, ECONNREFUSED, local, s, 3));
    SyscallEvent close = Call(call++, "close", 3, t + 4 * kMs, t + 4 * kMs);
    corr.AddSyscall(close);
    std::vector<Finding> f = corr.Advance(t + 5 * kMs);
    for (const Finding& x : f) EXPECT_EQ(x.kind, FindingKind::kRefusedByRst);
  }
  // 200 s of connects, 10 s retention: only the last ~100 flows are remembered.
  EXPECT_LT(corr.live_flow_count(), 150u);
  EXPECT_LT(corr.pending_call_count(), 10u);
}

}  // namespace
}  // namespace netcorr::correlate
