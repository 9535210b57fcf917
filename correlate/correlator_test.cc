#include "correlate/correlator.h"

#include <cerrno>

#include "correlate/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace netcorr::correlate {
namespace {

using testing::Call;
using ::testing::Contains;
using testing::DnsPacket;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::IcmpPacket;
using ::testing::IsEmpty;
using testing::kMs;
using testing::kSec;
using testing::kT0;
using ::testing::Not;
using ::testing::SizeIs;
using testing::TcpPacket;
using testing::TcpSocket;
using testing::UdpPacket;
using testing::UdpSocket;

class CorrelatorTest : public ::testing::TestWithParam<bool> {
 protected:
  // A connect call on fd 3 from `local` (nullopt: the tracer could not tell) to `remote`.
  SyscallEvent Connect(uint64_t id, TimeNs entry, TimeNs exit, int error,
                       std::optional<Endpoint> local, const Endpoint& remote, int fd = 3) {
    SyscallEvent e = Call(id, "connect", fd, entry, exit, error);
    e.socket =
        TcpSocket(1000 + fd, local, error == 0 ? std::optional<Endpoint>(remote) : std::nullopt);
    e.address = remote;
    return e;
  }
  SyscallEvent OnTcp(uint64_t id, std::string_view name, TimeNs entry, TimeNs exit, int error,
                     int64_t result, int fd = 3) {
    SyscallEvent e = Call(id, name, fd, entry, exit, error, result);
    e.socket = TcpSocket(1000 + fd, c, s);
    return e;
  }
  // A complete handshake c -> s at t: ids id..id+2, our ISN 100, theirs 900.
  void Handshake(uint64_t id, TimeNs t) {
    corr.AddPacket(TcpPacket(id, t, c, s, kTcpSyn, 100));
    corr.AddPacket(TcpPacket(id + 1, t + kMs, s, c, kTcpSyn | kTcpAck, 900, 101));
    corr.AddPacket(TcpPacket(id + 2, t + 2 * kMs, c, s, kTcpAck, 101, 901));
  }
  std::vector<Finding> All() {
    std::vector<Finding> out = corr.Advance(kT0 + 1000 * kSec);
    std::vector<Finding> rest = corr.Finish();
    out.insert(out.end(), rest.begin(), rest.end());
    SortByImportance(out);  // as the report's summary does
    return out;
  }

  testing::World w = testing::World::Make(GetParam());
  Endpoint c = w.Client(40000);
  Endpoint s = w.Server(80);
  Correlator corr{CorrelatorOptions{}};
};

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
  const Endpoint c2 = w.Client(40001);
  corr.AddPacket(TcpPacket(1, kT0 + kMs, c2, s, kTcpSyn, 2000));
  corr.AddPacket(TcpPacket(2, kT0 + 2 * kMs, c, s, kTcpSyn, 1000));
  corr.AddPacket(TcpPacket(3, kT0 + 3 * kMs, s, c2, kTcpRst | kTcpAck, 0, 2001));
  corr.AddPacket(TcpPacket(4, kT0 + 3 * kMs, s, c, kTcpRst | kTcpAck, 0, 1001));
  corr.AddSyscall(Connect(10, kT0, kT0 + 4 * kMs, ECONNREFUSED, c, s, 3));
  corr.AddSyscall(Connect(11, kT0, kT0 + 4 * kMs, ECONNREFUSED, c2, s, 4));
  std::vector<Finding> f = All();
  ASSERT_THAT(f, SizeIs(2));
  EXPECT_EQ(f[0].call.id, 10u);
  EXPECT_THAT(f[0].evidence, ElementsAre(2, 4));
  EXPECT_EQ(f[1].call.id, 11u);
  EXPECT_THAT(f[1].evidence, ElementsAre(1, 3));
}

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
  EXPECT_THAT(f[0].summary, HasSubstr("poll() on"));
  EXPECT_THAT(f[0].summary, HasSubstr("timed out after 3.00 s"));
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

TEST_P(CorrelatorTest, NoCaptureMakesEveryFailureUnexplained) {
  CaptureStats stats;
  stats.available = false;
  stats.unavailable_reason = "capture needs CAP_NET_RAW";
  corr.SetCaptureStats(stats);
  corr.AddSyscall(Connect(10, kT0, kT0 + kMs, ECONNREFUSED, c, s));
  std::vector<Finding> f = All();
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_EQ(f[0].kind, FindingKind::kUnexplained);
  EXPECT_THAT(f[0].unexplained_reason, HasSubstr("capture needs CAP_NET_RAW"));
  EXPECT_THAT(f[0].hint, HasSubstr("root"));
}

TEST_P(CorrelatorTest, FinishRanksFailuresFirst) {
  Handshake(1, kT0);
  corr.AddSyscall(Connect(10, kT0, kT0 + 3 * kMs, 0, c, s));
  corr.AddPacket(TcpPacket(4, kT0 + 10 * kMs, s, c, kTcpAck | kTcpFin, 901, 101));
  SyscallEvent eof = OnTcp(11, "read", kT0 + 5 * kMs, kT0 + 10 * kMs, 0, 0);
  SyscallEvent late = Connect(12, kT0 + 20 * kMs, kT0 + 21 * kMs, ECONNRESET, w.Client(40002),
                              w.Server(99), 4);  // nothing captured: unexplained
  const Endpoint s81 = w.Server(81);
  const Endpoint c3 = w.Client(40003);
  corr.AddPacket(TcpPacket(5, kT0 + 31 * kMs, c3, s81, kTcpSyn, 1));
  corr.AddPacket(TcpPacket(6, kT0 + 32 * kMs, s81, c3, kTcpRst | kTcpAck, 0, 2));
  SyscallEvent refused = Connect(13, kT0 + 30 * kMs, kT0 + 33 * kMs, ECONNREFUSED, c3, s81, 6);
  corr.AddSyscall(eof);
  corr.AddSyscall(late);
  corr.AddSyscall(refused);
  std::vector<Finding> f = corr.Finish();
  ASSERT_THAT(f, SizeIs(3));
  EXPECT_EQ(f[0].kind, FindingKind::kRefusedByRst);
  EXPECT_EQ(f[1].kind, FindingKind::kUnexplained);
  EXPECT_EQ(f[2].kind, FindingKind::kClosedByPeer);
  EXPECT_LT(FindingRank(f[0]), FindingRank(f[1]));
  EXPECT_LT(FindingRank(f[1]), FindingRank(f[2]));
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

INSTANTIATE_TEST_SUITE_P(V4AndV6, CorrelatorTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "IPv6" : "IPv4"; });

}  // namespace
}  // namespace netcorr::correlate
