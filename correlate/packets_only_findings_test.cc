// Flows a process drove through io_uring: ptrace saw io_uring_enter, never the connect on the
// ring. The correlator says what the packets alone prove (a refused connection), attributes it
// to the process whose submission sent the SYN, and claims nothing more.
#include <sys/socket.h>

#include <cerrno>

#include "correlate/correlator_test_fixture.h"
#include "gtest/gtest.h"

namespace netcorr::correlate {
namespace {

using namespace testing;  // NOLINT: the fixture, builders and matchers of these tests

constexpr int32_t kUringPid = 4300;

// io_uring_setup (ring fd 5) and one io_uring_enter that submitted `submitted` entries while in
// the kernel from `entry` to `exit`.
void FeedRing(Correlator& corr, uint64_t id, TimeNs entry, TimeNs exit, int64_t submitted) {
  SyscallEvent setup = Call(id, "io_uring_setup", -1, entry - kMs, entry - kMs / 2, 0, 5);
  setup.pid = setup.tid = kUringPid;
  corr.AddSyscall(setup);
  SyscallEvent enter = Call(id + 1, "io_uring_enter", -1, entry, exit, 0, submitted);
  enter.pid = enter.tid = kUringPid;
  corr.AddSyscall(enter);
}

using PacketsOnlyTest = CorrelatorTest;

TEST_P(PacketsOnlyTest, RingConnectAnsweredByRstIsRefusedFromThePacketsAlone) {
  const Endpoint s81 = w.Server(81);
  FeedRing(corr, 20, kT0, kT0 + 5 * kMs, 2);
  corr.AddPacket(TcpPacket(1, kT0 + kMs, c, s81, kTcpSyn, 1000));
  corr.AddPacket(TcpPacket(2, kT0 + 2 * kMs, s81, c, kTcpRst | kTcpAck, 0, 1001));
  const std::vector<Finding> f = All();
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_EQ(f[0].kind, FindingKind::kRefusedByRst);
  EXPECT_EQ(f[0].severity, FindingSeverity::kFailure);
  EXPECT_EQ(f[0].basis, EvidenceBasis::kPacketsOnly);
  EXPECT_THAT(f[0].evidence, ElementsAre(1, 2));
  // The call object stands for the unseen operation: the process, the flow, the wire's times.
  EXPECT_TRUE(f[0].call.unseen);
  EXPECT_EQ(f[0].call.name, "io_uring");
  EXPECT_EQ(f[0].call.id, 0u);
  EXPECT_EQ(f[0].call.pid, kUringPid);
  EXPECT_EQ(f[0].call.error, 0) << "ptrace saw no errno";
  EXPECT_FALSE(f[0].call.has_result());
  EXPECT_EQ(f[0].call.entry_ns, kT0 + kMs);
  EXPECT_EQ(f[0].call.exit_ns, kT0 + 2 * kMs);
  EXPECT_EQ(f[0].call.socket->family, w.v6 ? AF_INET6 : AF_INET);
  ASSERT_TRUE(f[0].resolved_by.has_value());
  EXPECT_EQ(f[0].resolved_by->name, "io_uring_enter") << "the traced call that carried it";
  EXPECT_EQ(f[0].resolved_by->id, 21u);
  ASSERT_TRUE(f[0].flow.has_value());
  EXPECT_EQ(f[0].flow->local, c);
  EXPECT_EQ(f[0].flow->remote, s81);
  EXPECT_THAT(f[0].summary, HasSubstr("io_uring"));
  EXPECT_THAT(f[0].summary, HasSubstr("not seen by ptrace"));
  EXPECT_THAT(f[0].hint, HasSubstr("nothing listens on " + s81.ToString()));
}

// A process that never used io_uring: the same packets are nobody's call, nothing is claimed.
TEST_P(PacketsOnlyTest, WithoutIoUringAFlowNoCallDroveIsNotAFinding) {
  const Endpoint s81 = w.Server(81);
  corr.AddPacket(TcpPacket(1, kT0 + kMs, c, s81, kTcpSyn, 1000));
  corr.AddPacket(TcpPacket(2, kT0 + 2 * kMs, s81, c, kTcpRst | kTcpAck, 0, 1001));
  EXPECT_THAT(All(), IsEmpty());
}

// The SYN left while no submission was in the kernel: another program's flow in the namespace.
TEST_P(PacketsOnlyTest, SynOutsideEverySubmissionIsNotAttributed) {
  const Endpoint s81 = w.Server(81);
  FeedRing(corr, 20, kT0, kT0 + 5 * kMs, 2);
  corr.AddPacket(TcpPacket(1, kT0 + kSec, c, s81, kTcpSyn, 1000));
  corr.AddPacket(TcpPacket(2, kT0 + kSec + kMs, s81, c, kTcpRst | kTcpAck, 0, 1001));
  EXPECT_THAT(All(), IsEmpty());
}

// A traced connect claims its own attempt: one finding, from the syscalls and the packets.
TEST_P(PacketsOnlyTest, ATracedConnectKeepsItsAttempt) {
  const Endpoint s81 = w.Server(81);
  FeedRing(corr, 20, kT0, kT0 + 5 * kMs, 1);
  corr.AddPacket(TcpPacket(1, kT0 + kMs, c, s81, kTcpSyn, 1000));
  corr.AddPacket(TcpPacket(2, kT0 + 2 * kMs, s81, c, kTcpRst | kTcpAck, 0, 1001));
  corr.AddSyscall(Connect(10, kT0 + kMs / 2, kT0 + 3 * kMs, ECONNREFUSED, c, s81));
  const std::vector<Finding> f = All();
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_EQ(f[0].basis, EvidenceBasis::kSyscallsAndPackets);
  EXPECT_EQ(f[0].call.id, 10u);
}

// Unanswered SYNs through the ring: whether the program gave up is unknown, so no failure.
TEST_P(PacketsOnlyTest, UnansweredRingSynIsNoFinding) {
  FeedRing(corr, 20, kT0, kT0 + 3 * kSec, 1);
  corr.AddPacket(TcpPacket(1, kT0 + kMs, c, s, kTcpSyn, 1000));
  corr.AddPacket(TcpPacket(2, kT0 + 1001 * kMs, c, s, kTcpSyn, 1000));
  EXPECT_THAT(All(), IsEmpty());
}

// Someone connecting to this host, refused by it, while the ring was busy: not our SYN.
TEST_P(PacketsOnlyTest, ARefusedIncomingSynIsNotOurs) {
  CorrelatorOptions options;
  options.local_addresses.push_back(c.addr);
  Correlator local{options};
  FeedRing(local, 20, kT0, kT0 + 5 * kMs, 1);
  const Endpoint ours = w.Client(22);
  const Endpoint them = w.Server(50000);
  local.AddPacket(TcpPacket(1, kT0 + kMs, them, ours, kTcpSyn, 1000));
  local.AddPacket(TcpPacket(2, kT0 + 2 * kMs, ours, them, kTcpRst | kTcpAck, 0, 1001));
  local.Advance(kT0 + 100 * kSec);
  EXPECT_THAT(local.Finish(), IsEmpty());
}

// A long session: the refusal is reported before the flow could be forgotten, and once.
TEST_P(PacketsOnlyTest, DecidedWhileTheSessionRunsAndOnlyOnce) {
  const Endpoint s81 = w.Server(81);
  FeedRing(corr, 20, kT0, kT0 + 5 * kMs, 2);
  corr.AddPacket(TcpPacket(1, kT0 + kMs, c, s81, kTcpSyn, 1000));
  corr.AddPacket(TcpPacket(2, kT0 + 2 * kMs, s81, c, kTcpRst | kTcpAck, 0, 1001));
  EXPECT_THAT(corr.Advance(kT0 + kSec), IsEmpty()) << "a traced call may still claim it";
  EXPECT_THAT(corr.Advance(kT0 + 6 * kSec), SizeIs(1));
  EXPECT_THAT(corr.Advance(kT0 + 60 * kSec), IsEmpty());
  EXPECT_THAT(corr.Finish(), IsEmpty());
}

INSTANTIATE_TEST_SUITE_P(IpVersions, PacketsOnlyTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "v6" : "v4";
                         });

}  // namespace
}  // namespace netcorr::correlate
