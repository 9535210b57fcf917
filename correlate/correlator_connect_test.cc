// How connects are decided: the attempt on the wire that is each connect's, and how a
// blocking, non-blocking, abandoned or still-blocked connect ended.
#include <cerrno>

#include "correlate/correlator_test_fixture.h"
#include "gtest/gtest.h"

namespace netcorr::correlate {
namespace {

using namespace testing;  // NOLINT: the fixture, builders and matchers of these tests

TEST_P(CorrelatorTest, BlockingConnectRefused) {
  const Endpoint s81 = w.Server(81);
  corr.AddPacket(TcpPacket(1, kT0 + kMs, c, s81, kTcpSyn, 1000));
  corr.AddPacket(TcpPacket(2, kT0 + 2 * kMs, s81, c, kTcpRst | kTcpAck, 0, 1001));
  corr.AddSyscall(Connect(10, kT0, kT0 + 3 * kMs, ECONNREFUSED, c, s81));
  // Not yet: the evidence window (exit + 200 ms grace) is open.
  EXPECT_THAT(corr.Advance(kT0 + 100 * kMs), IsEmpty());
  std::vector<Finding> f = corr.Advance(kT0 + 300 * kMs);
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_EQ(f[0].kind, FindingKind::kRefusedByRst);
  EXPECT_EQ(f[0].call.id, 10u);
  EXPECT_EQ(f[0].call.error, ECONNREFUSED);
  EXPECT_THAT(f[0].evidence, ElementsAre(1, 2));
  EXPECT_THAT(f[0].hint, HasSubstr("nothing listens on " + s81.ToString()));
  ASSERT_TRUE(f[0].flow.has_value());
  EXPECT_EQ(f[0].flow->local, c);
  EXPECT_EQ(f[0].flow->remote, s81);
  EXPECT_THAT(corr.Finish(), IsEmpty());
}

TEST_P(CorrelatorTest, NonBlockingConnectRefusedViaSoError) {
  SyscallEvent conn = Connect(10, kT0, kT0 + kMs / 10, EINPROGRESS, c, s);
  conn.nonblocking = true;
  corr.AddSyscall(conn);
  corr.AddPacket(TcpPacket(1, kT0 + kMs, c, s, kTcpSyn, 1000));
  corr.AddPacket(TcpPacket(2, kT0 + 2 * kMs, s, c, kTcpRst | kTcpAck, 0, 1001));
  SyscallEvent poll = Call(11, "poll", -1, kT0 + kMs, kT0 + 2 * kMs, 0, 1);
  poll.waited.push_back(FdSocket{3, TcpSocket(1003, c, std::nullopt)});
  corr.AddSyscall(poll);
  SyscallEvent so = OnTcp(12, "getsockopt", kT0 + 3 * kMs, kT0 + 3 * kMs, 0, 0);
  so.resolves_call = 10;
  so.resolved_error = ECONNREFUSED;
  corr.AddSyscall(so);
  std::vector<Finding> f = All();
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_EQ(f[0].kind, FindingKind::kRefusedByRst);
  EXPECT_EQ(f[0].call.id, 10u);
  EXPECT_EQ(f[0].outcome_error, ECONNREFUSED);
  ASSERT_TRUE(f[0].resolved_by.has_value());
  EXPECT_EQ(f[0].resolved_by->name, "getsockopt");
  EXPECT_THAT(f[0].summary, HasSubstr("getsockopt()"));
  EXPECT_THAT(f[0].evidence, ElementsAre(1, 2));
}

TEST_P(CorrelatorTest, NonBlockingConnectAbandonedAfterPollTimeout) {
  SyscallEvent conn = Connect(10, kT0, kT0 + kMs / 10, EINPROGRESS, c, s);
  corr.AddSyscall(conn);
  corr.AddPacket(TcpPacket(1, kT0 + kMs, c, s, kTcpSyn, 1000));
  corr.AddPacket(TcpPacket(2, kT0 + 1001 * kMs, c, s, kTcpSyn, 1000));
  SyscallEvent poll = Call(11, "poll", -1, kT0 + kMs, kT0 + 2 * kSec, 0, 0);
  poll.waited.push_back(FdSocket{3, TcpSocket(1003, c, std::nullopt)});
  corr.AddSyscall(poll);
  corr.AddSyscall(OnTcp(12, "close", kT0 + 2 * kSec, kT0 + 2 * kSec + kMs, 0, 0));
  std::vector<Finding> f = corr.Advance(kT0 + 3 * kSec);
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_EQ(f[0].kind, FindingKind::kSynUnanswered);
  EXPECT_EQ(f[0].call.id, 10u);
  ASSERT_TRUE(f[0].resolved_by.has_value());
  EXPECT_EQ(f[0].resolved_by->id, 11u);
  EXPECT_THAT(f[0].summary, HasSubstr("poll() timed out"));
  EXPECT_THAT(f[0].summary, HasSubstr("SYN sent 2 times"));
  EXPECT_THAT(f[0].evidence, ElementsAre(1, 2));
}

TEST_P(CorrelatorTest, PendingConnectOfAnExitedProcessIsAbandoned) {
  corr.AddSyscall(Connect(10, kT0, kT0 + kMs / 10, EINPROGRESS, c, s));
  corr.AddPacket(TcpPacket(1, kT0 + kMs, c, s, kTcpSyn, 1000));
  SyscallEvent poll = Call(11, "poll", -1, kT0 + kMs, kT0 + 1000 * kMs, 0, 0);
  poll.waited.push_back(FdSocket{3, TcpSocket(1003, c, std::nullopt)});
  corr.AddSyscall(poll);
  ProcessEvent exited;
  exited.kind = ProcessEvent::Kind::kExited;
  exited.pid = 100;
  exited.time_ns = kT0 + 1001 * kMs;
  exited.status = 28;
  corr.AddProcessEvent(exited);
  std::vector<Finding> f = corr.Advance(kT0 + 2 * kSec);
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_EQ(f[0].kind, FindingKind::kSynUnanswered);
  EXPECT_EQ(f[0].call.id, 10u);
  EXPECT_EQ(f[0].resolved_by->id, 11u);
  EXPECT_THAT(f[0].summary, HasSubstr("abandoned by the program after 1.00 s"));
  EXPECT_EQ(corr.pending_call_count(), 0u);
}

TEST_P(CorrelatorTest, ConnectStillBlockedAtTheEnd) {
  for (uint64_t i = 0; i < 5; ++i) {
    corr.AddPacket(TcpPacket(i + 1, kT0 + kMs + (i * i) * kSec, c, s, kTcpSyn, 1000));
  }
  SyscallEvent conn = Connect(10, kT0, kT0 + 21300 * kMs, 0, c, s);
  conn.finished = false;
  corr.AddSyscall(conn);
  EXPECT_THAT(corr.Advance(kT0 + 21300 * kMs), IsEmpty());
  std::vector<Finding> f = corr.Finish();
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_EQ(f[0].kind, FindingKind::kSynUnanswered);
  EXPECT_FALSE(f[0].call.finished);
  EXPECT_THAT(f[0].summary, HasSubstr("21.3 s"));
  EXPECT_THAT(f[0].summary, HasSubstr("SYN sent 5 times"));
  EXPECT_THAT(f[0].evidence, ElementsAre(1, 2, 3, 4, 5));
}

TEST_P(CorrelatorTest, NoPacketSentForTcpAndUdp) {
  corr.AddSyscall(Connect(10, kT0, kT0 + kMs, ENETUNREACH, std::nullopt, s));
  const Endpoint d = w.Server(7000);
  SyscallEvent send = Call(11, "sendto", 5, kT0 + 2 * kMs, kT0 + 2 * kMs + 1000, EPERM);
  send.socket = UdpSocket(2005, c, std::nullopt);
  send.address = d;
  corr.AddSyscall(send);
  std::vector<Finding> f = All();
  ASSERT_THAT(f, SizeIs(2));
  EXPECT_EQ(f[0].kind, FindingKind::kNoPacketSent);
  EXPECT_EQ(f[0].call.id, 10u);
  EXPECT_THAT(f[0].summary, HasSubstr("no route to " + w.server.ToString()));
  EXPECT_EQ(f[1].kind, FindingKind::kNoPacketSent);
  EXPECT_EQ(f[1].call.id, 11u);
  EXPECT_THAT(f[1].summary, HasSubstr("local firewall"));
  EXPECT_THAT(f[1].evidence, IsEmpty());
}

TEST_P(CorrelatorTest, RstCapturedBeforeTheSyn) {
  // The capture delivered the RST's record first (different interfaces' queues).
  corr.AddPacket(TcpPacket(1, kT0 + 2 * kMs, s, c, kTcpRst | kTcpAck, 0, 1001));
  corr.AddPacket(TcpPacket(2, kT0 + kMs, c, s, kTcpSyn, 1000));
  corr.AddSyscall(Connect(10, kT0, kT0 + 3 * kMs, ECONNREFUSED, c, s));
  std::vector<Finding> f = All();
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_EQ(f[0].kind, FindingKind::kRefusedByRst);
  EXPECT_THAT(f[0].evidence, ElementsAre(1, 2));
}

TEST_P(CorrelatorTest, IcmpArrivingAfterTheSocketClosed) {
  corr.AddPacket(TcpPacket(1, kT0 + kMs, c, s, kTcpSyn, 1000));
  corr.AddSyscall(Connect(10, kT0, kT0 + 3 * kMs, EHOSTUNREACH, c, s));
  corr.AddSyscall(OnTcp(11, "close", kT0 + 4 * kMs, kT0 + 4 * kMs, 0, 0));
  // Capture latency: the ICMP's record is delivered after the close.
  corr.AddPacket(IcmpPacket(2, kT0 + 2 * kMs, w.router, w.client, FlowKey{Transport::kTcp, c, s},
                            w.v6 ? 1 : 3, w.v6 ? 3 : 1, 1000));
  std::vector<Finding> f = All();
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_EQ(f[0].kind, FindingKind::kIcmpUnreachable);
  EXPECT_EQ(f[0].call.id, 10u);
  EXPECT_THAT(f[0].summary, HasSubstr(w.router.ToString()));
  EXPECT_THAT(f[0].summary, HasSubstr("hop"));
  EXPECT_THAT(f[0].evidence, ElementsAre(1, 2));
}

TEST_P(CorrelatorTest, TwoThreadsConnectingAtOnceWithUnknownLocalPorts) {
  const Endpoint c2 = w.Client(40001);
  // Thread B's SYN goes first and is never answered; thread A's is accepted.
  corr.AddPacket(TcpPacket(1, kT0 + kMs, c2, s, kTcpSyn, 2000));
  corr.AddPacket(TcpPacket(2, kT0 + 2 * kMs, c, s, kTcpSyn, 1000));
  corr.AddPacket(TcpPacket(3, kT0 + 3 * kMs, s, c, kTcpSyn | kTcpAck, 9, 1001));
  corr.AddPacket(TcpPacket(4, kT0 + 1001 * kMs, c2, s, kTcpSyn, 2000));
  SyscallEvent a = Connect(10, kT0, kT0 + 4 * kMs, 0, std::nullopt, s, 3);
  a.tid = 101;
  a.socket->remote.reset();
  SyscallEvent b = Connect(11, kT0, kT0 + 3 * kSec, ETIMEDOUT, std::nullopt, s, 4);
  b.tid = 102;
  corr.AddSyscall(a);
  corr.AddSyscall(b);
  std::vector<Finding> f = All();
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_EQ(f[0].kind, FindingKind::kSynUnanswered);
  EXPECT_EQ(f[0].call.id, 11u);
  EXPECT_EQ(f[0].call.tid, 102);
  EXPECT_THAT(f[0].evidence, ElementsAre(1, 4));
  ASSERT_TRUE(f[0].flow.has_value());
  EXPECT_EQ(f[0].flow->local, c2);
}

TEST_P(CorrelatorTest, TwoThreadsConnectingAtOnceWithKnownLocalPorts) {
  // Two services refused at once (to one service it would be one cause, folded: see
  // correlator_cause_test.cc): each connect gets the attempt of its own local port.
  const Endpoint c2 = w.Client(40001);
  const Endpoint s2 = w.Server(81);
  corr.AddPacket(TcpPacket(1, kT0 + kMs, c2, s2, kTcpSyn, 2000));
  corr.AddPacket(TcpPacket(2, kT0 + 2 * kMs, c, s, kTcpSyn, 1000));
  corr.AddPacket(TcpPacket(3, kT0 + 3 * kMs, s2, c2, kTcpRst | kTcpAck, 0, 2001));
  corr.AddPacket(TcpPacket(4, kT0 + 3 * kMs, s, c, kTcpRst | kTcpAck, 0, 1001));
  corr.AddSyscall(Connect(10, kT0, kT0 + 4 * kMs, ECONNREFUSED, c, s, 3));
  corr.AddSyscall(Connect(11, kT0, kT0 + 4 * kMs, ECONNREFUSED, c2, s2, 4));
  std::vector<Finding> f = All();
  ASSERT_THAT(f, SizeIs(2));
  EXPECT_EQ(f[0].call.id, 10u);
  EXPECT_THAT(f[0].evidence, ElementsAre(2, 4));
  EXPECT_EQ(f[1].call.id, 11u);
  EXPECT_THAT(f[1].evidence, ElementsAre(1, 3));
}

TEST_P(CorrelatorTest, SlowConnectAfterSynRetransmission) {
  corr.AddPacket(TcpPacket(1, kT0 + kMs, c, s, kTcpSyn, 100));
  corr.AddPacket(TcpPacket(2, kT0 + 1001 * kMs, c, s, kTcpSyn, 100));
  corr.AddPacket(TcpPacket(3, kT0 + 1002 * kMs, s, c, kTcpSyn | kTcpAck, 900, 101));
  corr.AddSyscall(Connect(10, kT0, kT0 + 1003 * kMs, 0, c, s));
  std::vector<Finding> f = All();
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_EQ(f[0].kind, FindingKind::kRetransmissions);
  EXPECT_EQ(f[0].severity, FindingSeverity::kSlow);
  EXPECT_THAT(f[0].summary, HasSubstr("SYN sent 2 times"));
  EXPECT_THAT(f[0].evidence, ElementsAre(1, 2, 3));
}

}  // namespace
}  // namespace netcorr::correlate
