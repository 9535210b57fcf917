// Calls on established TCP connections: resets, the peer's close, TLS alerts, retransmissions
// and PMTU black holes, each explaining one call.
#include <cerrno>

#include "correlate/correlator_test_fixture.h"
#include "gtest/gtest.h"

namespace netcorr::correlate {
namespace {

using namespace testing;  // NOLINT: the fixture, builders and matchers of these tests

TEST_P(CorrelatorTest, ResetByPeerMidConnection) {
  Handshake(1, kT0);
  corr.AddSyscall(Connect(10, kT0, kT0 + 3 * kMs, 0, c, s));
  corr.AddPacket(TcpPacket(4, kT0 + 10 * kMs, c, s, kTcpAck | kTcpPsh, 101, 901, 120));
  corr.AddPacket(TcpPacket(5, kT0 + 11 * kMs, s, c, kTcpAck | kTcpPsh, 901, 221, 300));
  corr.AddPacket(TcpPacket(6, kT0 + 2011 * kMs, s, c, kTcpRst | kTcpAck, 1201, 221));
  corr.AddSyscall(OnTcp(11, "write", kT0 + 9 * kMs, kT0 + 10 * kMs, 0, 120));
  corr.AddSyscall(OnTcp(12, "read", kT0 + 10 * kMs, kT0 + 11 * kMs, 0, 300));
  corr.AddSyscall(OnTcp(13, "read", kT0 + 12 * kMs, kT0 + 2011 * kMs, ECONNRESET, 0));
  std::vector<Finding> f = All();
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_EQ(f[0].kind, FindingKind::kResetByPeer);
  EXPECT_EQ(f[0].call.id, 13u);
  EXPECT_THAT(f[0].evidence, Contains(6u));
  ASSERT_TRUE(f[0].stream.has_value());
  EXPECT_EQ(f[0].stream->bytes_sent, 120u);
  EXPECT_EQ(f[0].stream->bytes_received, 300u);
  EXPECT_EQ(f[0].stream->idle_before_ns, 2000 * kMs);
  EXPECT_THAT(f[0].summary, HasSubstr("120 bytes sent and 300 received"));
  EXPECT_THAT(f[0].summary, HasSubstr("2.00 s after the previous packet"));
}

TEST_P(CorrelatorTest, OneResetExplainsOneCall) {
  Handshake(1, kT0);
  corr.AddSyscall(Connect(10, kT0, kT0 + 3 * kMs, 0, c, s));
  corr.AddPacket(TcpPacket(4, kT0 + 10 * kMs, s, c, kTcpRst, 901));
  corr.AddSyscall(OnTcp(11, "read", kT0 + 5 * kMs, kT0 + 10 * kMs, ECONNRESET, 0));
  corr.AddSyscall(OnTcp(12, "write", kT0 + 11 * kMs, kT0 + 11 * kMs, EPIPE, 0));
  std::vector<Finding> f = All();
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_EQ(f[0].kind, FindingKind::kResetByPeer);
  EXPECT_EQ(f[0].call.id, 11u);
}

TEST_P(CorrelatorTest, ClosedByPeerOnReadAndOnWrite) {
  Handshake(1, kT0);
  corr.AddSyscall(Connect(10, kT0, kT0 + 3 * kMs, 0, c, s));
  corr.AddPacket(TcpPacket(4, kT0 + 10 * kMs, s, c, kTcpAck | kTcpFin, 901, 101));
  corr.AddSyscall(OnTcp(11, "read", kT0 + 5 * kMs, kT0 + 10 * kMs, 0, 0));
  corr.AddSyscall(OnTcp(12, "read", kT0 + 11 * kMs, kT0 + 11 * kMs, 0, 0));  // EOF again
  corr.AddSyscall(OnTcp(13, "write", kT0 + 12 * kMs, kT0 + 13 * kMs, EPIPE, 0));
  std::vector<Finding> f = All();
  ASSERT_THAT(f, SizeIs(2));
  EXPECT_EQ(f[0].kind, FindingKind::kClosedByPeer);  // EPIPE: a failure, ranked first
  EXPECT_EQ(f[0].call.id, 13u);
  EXPECT_EQ(f[0].severity, FindingSeverity::kFailure);
  EXPECT_EQ(f[1].kind, FindingKind::kClosedByPeer);
  EXPECT_EQ(f[1].call.id, 11u);
  EXPECT_EQ(f[1].severity, FindingSeverity::kInfo);
  EXPECT_THAT(f[1].summary, HasSubstr("returned 0"));
  EXPECT_THAT(f[1].evidence, ElementsAre(4));
}

TEST_P(CorrelatorTest, TlsAlertAfterClientHello) {
  const Endpoint tls = w.Server(443);
  corr.AddPacket(TcpPacket(1, kT0, c, tls, kTcpSyn, 100));
  corr.AddPacket(TcpPacket(2, kT0 + kMs, tls, c, kTcpSyn | kTcpAck, 900, 101));
  corr.AddPacket(TcpPacket(3, kT0 + 2 * kMs, c, tls, kTcpAck, 101, 901));
  SyscallEvent conn = Connect(10, kT0, kT0 + 2 * kMs, 0, c, tls);
  corr.AddSyscall(conn);
  corr.AddPacket(testing::TlsHelloPacket(4, kT0 + 3 * kMs, c, tls, 101, 901, "api.example.test"));
  SyscallEvent write = Call(11, "write", 3, kT0 + 3 * kMs, kT0 + 3 * kMs, 0, 300);
  write.socket = TcpSocket(1003, c, tls);
  corr.AddSyscall(write);
  corr.AddPacket(testing::TlsAlertPacket(5, kT0 + 5 * kMs, tls, c, 901, 401, 2, 40));
  corr.AddPacket(TcpPacket(6, kT0 + 5 * kMs, tls, c, kTcpAck | kTcpFin, 908, 401));
  SyscallEvent read = Call(12, "read", 3, kT0 + 4 * kMs, kT0 + 5 * kMs, 0, 7);
  read.socket = TcpSocket(1003, c, tls);
  corr.AddSyscall(read);
  std::vector<Finding> f = All();
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_EQ(f[0].kind, FindingKind::kTlsAlert);
  EXPECT_EQ(f[0].call.id, 12u);
  EXPECT_THAT(f[0].evidence, ElementsAre(4, 5));
  EXPECT_THAT(f[0].summary, HasSubstr("fatal alert handshake_failure"));
  EXPECT_THAT(f[0].summary, HasSubstr("api.example.test"));
  ASSERT_TRUE(f[0].tls.has_value());
  EXPECT_TRUE(f[0].tls->from_peer);
  EXPECT_EQ(f[0].tls->sni, "api.example.test");
}

TEST_P(CorrelatorTest, SlowReceiveWithRetransmittedData) {
  Handshake(1, kT0);
  corr.AddSyscall(Connect(10, kT0, kT0 + 3 * kMs, 0, c, s));
  corr.AddPacket(TcpPacket(4, kT0 + 10 * kMs, c, s, kTcpAck | kTcpPsh, 101, 901, 100));
  corr.AddPacket(TcpPacket(5, kT0 + 210 * kMs, c, s, kTcpAck | kTcpPsh, 101, 901, 100));
  corr.AddPacket(TcpPacket(6, kT0 + 610 * kMs, c, s, kTcpAck | kTcpPsh, 101, 901, 100));
  corr.AddPacket(TcpPacket(7, kT0 + 611 * kMs, s, c, kTcpAck | kTcpPsh, 901, 201, 500));
  corr.AddSyscall(OnTcp(11, "write", kT0 + 9 * kMs, kT0 + 10 * kMs, 0, 100));
  corr.AddSyscall(OnTcp(12, "read", kT0 + 10 * kMs, kT0 + 612 * kMs, 0, 500));
  std::vector<Finding> f = All();
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_EQ(f[0].kind, FindingKind::kRetransmissions);
  EXPECT_EQ(f[0].call.id, 12u);
  EXPECT_EQ(f[0].severity, FindingSeverity::kSlow);
  EXPECT_THAT(f[0].evidence, ElementsAre(5, 6));
  EXPECT_THAT(f[0].summary, HasSubstr("retransmitted 2 times"));
  EXPECT_EQ(f[0].retransmissions->count, 2u);
}

TEST_P(CorrelatorTest, PollTimeoutDuringABlackhole) {
  Handshake(1, kT0);
  corr.AddSyscall(Connect(10, kT0, kT0 + 3 * kMs, 0, c, s));
  corr.AddPacket(TcpPacket(4, kT0 + 10 * kMs, c, s, kTcpAck | kTcpPsh, 101, 901, 100));
  corr.AddPacket(TcpPacket(5, kT0 + 11 * kMs, s, c, kTcpAck, 901, 201));
  for (uint64_t i = 0; i < 3; ++i) {
    corr.AddPacket(TcpPacket(6 + i, kT0 + (20 + 1000 * i) * kMs, c, s, kTcpAck, 201, 901, 1448));
  }
  corr.AddSyscall(OnTcp(11, "write", kT0 + 19 * kMs, kT0 + 20 * kMs, 0, 1448));
  SyscallEvent poll = Call(12, "poll", -1, kT0 + 21 * kMs, kT0 + 3021 * kMs, 0, 0);
  poll.waited.push_back(FdSocket{3, TcpSocket(1003, c, s)});
  corr.AddSyscall(poll);
  std::vector<Finding> f = All();
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_EQ(f[0].kind, FindingKind::kPmtuBlackhole);
  EXPECT_EQ(f[0].call.id, 12u);
  EXPECT_EQ(f[0].severity, FindingSeverity::kFailure);
  // Nothing after the poll before tracing stopped: the socket was still stalled.
  EXPECT_THAT(f[0].summary, HasSubstr("still stalled when tracing stopped"));
  EXPECT_THAT(f[0].summary, HasSubstr("1448-byte segments were retransmitted 2 times"));
  EXPECT_THAT(f[0].evidence, ElementsAre(7, 8));
}

TEST_P(CorrelatorTest, PmtuBlackholeOnAHangingWrite) {
  Handshake(1, kT0);
  corr.AddSyscall(Connect(10, kT0, kT0 + 3 * kMs, 0, c, s));
  corr.AddPacket(TcpPacket(4, kT0 + 10 * kMs, c, s, kTcpAck | kTcpPsh, 101, 901, 200));
  corr.AddPacket(TcpPacket(5, kT0 + 11 * kMs, s, c, kTcpAck, 901, 301));
  uint64_t id = 6;
  for (int i = 0; i < 5; ++i) {
    corr.AddPacket(TcpPacket(id++, kT0 + (20 + 400 * i) * kMs, c, s, kTcpAck, 301, 901, 1448));
  }
  SyscallEvent write = OnTcp(11, "write", kT0 + 20 * kMs, kT0 + 30 * kSec, 0, 0);
  write.finished = false;
  corr.AddSyscall(write);
  std::vector<Finding> f = All();
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_EQ(f[0].kind, FindingKind::kPmtuBlackhole);
  EXPECT_EQ(f[0].call.id, 11u);
  EXPECT_THAT(f[0].summary, HasSubstr("1448-byte segments were retransmitted 4 times"));
  EXPECT_THAT(f[0].summary, HasSubstr("200 bytes or less got through"));
  EXPECT_THAT(f[0].summary, HasSubstr("no ICMP frag-needed"));
  EXPECT_FALSE(f[0].retransmissions->frag_needed_seen);
  EXPECT_THAT(f[0].evidence, ElementsAre(7, 8, 9, 10));
}

}  // namespace
}  // namespace netcorr::correlate
