// One finding per cause (docs/report.md, "Waits and stalls"): timed-out waits are decided by what
// the program did next, later calls of the same cause fold into one finding, an attempt the
// program recovered from is not a failure, and a call netcorr interrupted is still blocked.
#include <cerrno>

#include "correlate/correlator_test_fixture.h"

namespace netcorr::correlate::testing {
namespace {

class CauseTest : public CorrelatorTest {
 protected:
  // A poll on fd 3 (the connection) that timed out.
  SyscallEvent TimedOutPoll(uint64_t id, TimeNs entry, TimeNs exit) {
    SyscallEvent e = Call(id, "poll", -1, entry, exit, 0, 0);
    e.waited.push_back(FdSocket{3, TcpSocket(1003, c, s)});
    return e;
  }
  // Our 1448-byte segment at seq 101 sent at t0 and retransmitted at each of `again`, while a
  // 100-byte one before it was acknowledged: the pattern of a path MTU black hole.
  void BlackHoleFrom(uint64_t id, TimeNs t0, const std::vector<TimeNs>& again) {
    corr.AddPacket(TcpPacket(id, t0, c, s, kTcpAck, 101, 901, 100));
    corr.AddPacket(TcpPacket(id + 1, t0 + kMs, s, c, kTcpAck, 901, 201));
    corr.AddPacket(TcpPacket(id + 2, t0 + 2 * kMs, c, s, kTcpAck, 201, 901, 1448));
    uint64_t n = id + 3;
    for (TimeNs t : again) corr.AddPacket(TcpPacket(n++, t, c, s, kTcpAck, 201, 901, 1448));
  }
  std::vector<Finding> AllFolded() {
    std::vector<Finding> out = All();
    corr.UpdateFolded(out);
    return out;
  }
  ProcessEvent Exit(TimeNs t, bool by_netcorr = false) {
    ProcessEvent e;
    e.kind = by_netcorr ? ProcessEvent::Kind::kKilled : ProcessEvent::Kind::kExited;
    e.pid = 100;  // the pid of test_util's calls
    e.time_ns = t;
    e.ended_by_netcorr = by_netcorr;
    return e;
  }
};

TEST_P(CauseTest, PollingThroughAStallThenEtimedoutIsOneFindingOnTheFailedCall) {
  Handshake(1, kT0);
  BlackHoleFrom(4, kT0 + 10 * kMs,
                {kT0 + 250 * kMs, kT0 + 700 * kMs, kT0 + 1500 * kMs, kT0 + 3100 * kMs});
  corr.AddSyscall(TimedOutPoll(10, kT0 + 20 * kMs, kT0 + 1020 * kMs));
  corr.AddSyscall(TimedOutPoll(11, kT0 + 1021 * kMs, kT0 + 2021 * kMs));
  corr.AddSyscall(TimedOutPoll(12, kT0 + 2022 * kMs, kT0 + 3022 * kMs));
  corr.AddSyscall(OnTcp(13, "recvfrom", kT0 + 6000 * kMs, kT0 + 6000 * kMs + 20000, ETIMEDOUT, -1));
  corr.AddSyscall(OnTcp(14, "close", kT0 + 6001 * kMs, kT0 + 6001 * kMs + 1000, 0, 0));
  const std::vector<Finding> all = AllFolded();
  ASSERT_THAT(all, SizeIs(1));
  const Finding& f = all[0];
  EXPECT_EQ(f.kind, FindingKind::kPmtuBlackhole) << f.summary;
  EXPECT_EQ(f.severity, FindingSeverity::kFailure);
  EXPECT_EQ(f.call.id, 13u);
  ASSERT_TRUE(f.stalled_waits.has_value());
  EXPECT_EQ(f.stalled_waits->count, 3u);
  EXPECT_EQ(f.stalled_waits->first.id, 10u);
  EXPECT_EQ(f.stalled_waits->last.id, 12u);
  // The whole series since the peer's last ACK, though it ended seconds before the recv.
  ASSERT_TRUE(f.retransmissions.has_value());
  EXPECT_EQ(f.retransmissions->count, 4u);
  EXPECT_THAT(f.retransmissions->times, SizeIs(4));
  EXPECT_EQ(f.retransmissions->first_ns, kT0 + 12 * kMs);  // the lost segment's first send
  EXPECT_EQ(f.retransmissions->largest_retransmitted, 1448u);
  EXPECT_EQ(f.retransmissions->largest_delivered, 100u);
  EXPECT_THAT(f.evidence, Contains(7u));  // the last retransmission
}

TEST_P(CauseTest, TimedOutWaitsThenCloseIsAFailureOnTheLastWait) {
  Handshake(1, kT0);
  BlackHoleFrom(4, kT0 + 10 * kMs, {kT0 + 250 * kMs, kT0 + 700 * kMs, kT0 + 1500 * kMs});
  corr.AddSyscall(TimedOutPoll(10, kT0 + 20 * kMs, kT0 + 1020 * kMs));
  corr.AddSyscall(TimedOutPoll(11, kT0 + 1021 * kMs, kT0 + 2021 * kMs));
  corr.AddSyscall(OnTcp(12, "close", kT0 + 2022 * kMs, kT0 + 2023 * kMs, 0, 0));
  const std::vector<Finding> all = AllFolded();
  ASSERT_THAT(all, SizeIs(1));
  EXPECT_EQ(all[0].severity, FindingSeverity::kFailure);
  EXPECT_EQ(all[0].call.id, 11u);
  ASSERT_TRUE(all[0].resolved_by.has_value());
  EXPECT_EQ(all[0].resolved_by->id, 12u);
  EXPECT_THAT(all[0].summary, HasSubstr("gave up"));
}

TEST_P(CauseTest, AStallTheProgramWaitedOutIsSlowNotAFailure) {
  Handshake(1, kT0);
  BlackHoleFrom(4, kT0 + 10 * kMs, {kT0 + 250 * kMs, kT0 + 700 * kMs});
  // The segment finally gets through (acknowledged), and the program reads the answer.
  corr.AddPacket(TcpPacket(20, kT0 + 800 * kMs, s, c, kTcpAck, 901, 1649));
  corr.AddPacket(TcpPacket(21, kT0 + 810 * kMs, s, c, kTcpAck | kTcpPsh, 901, 1649, 50));
  corr.AddSyscall(TimedOutPoll(10, kT0 + 20 * kMs, kT0 + 520 * kMs));
  corr.AddSyscall(OnTcp(12, "recvfrom", kT0 + 811 * kMs, kT0 + 812 * kMs, 0, 50));
  const std::vector<Finding> all = AllFolded();
  ASSERT_THAT(all, SizeIs(1));
  EXPECT_EQ(all[0].severity, FindingSeverity::kSlow) << all[0].summary;
  EXPECT_EQ(all[0].call.id, 10u);
}

TEST_P(CauseTest, ARetriedRefusedConnectIsOneFindingWithItsLaterCalls) {
  for (int i = 0; i < 3; ++i) {
    const TimeNs t = kT0 + i * kSec;
    const Endpoint from = w.Client(static_cast<uint16_t>(41000 + i));
    corr.AddPacket(TcpPacket(10 + 2 * i, t + kMs, from, s, kTcpSyn, 100));
    corr.AddPacket(TcpPacket(11 + 2 * i, t + 2 * kMs, s, from, kTcpRst | kTcpAck, 0, 101));
    corr.AddSyscall(Connect(1 + i, t, t + 3 * kMs, ECONNREFUSED, from, s, 3 + i));
  }
  const std::vector<Finding> all = AllFolded();
  ASSERT_THAT(all, SizeIs(1));
  EXPECT_EQ(all[0].kind, FindingKind::kRefusedByRst);
  EXPECT_EQ(all[0].call.id, 1u);
  ASSERT_TRUE(all[0].later_calls.has_value());
  EXPECT_EQ(all[0].later_calls->count, 2u);
  EXPECT_EQ(all[0].later_calls->first.id, 2u);
  EXPECT_EQ(all[0].later_calls->last.id, 3u);
}

TEST_P(CauseTest, AnAttemptAbandonedForAParallelOneThatConnectedIsNotAFailure) {
  // Happy Eyeballs: the IPv6 attempt's SYNs go unanswered, IPv4 starts 250 ms later and
  // connects; the program closes the IPv6 socket.
  const Endpoint v6_server = testing::World::Make(true).Server(80);
  const Endpoint v4_server = testing::World::Make(false).Server(80);
  const Endpoint v6_client = testing::World::Make(true).Client(40001);
  const Endpoint v4_client = testing::World::Make(false).Client(40002);
  corr.AddPacket(TcpPacket(1, kT0 + kMs, v6_client, v6_server, kTcpSyn, 100));
  SyscallEvent v6 = Call(1, "connect", 3, kT0, kT0 + kMs, EINPROGRESS);
  v6.socket = TcpSocket(1003, v6_client, std::nullopt);
  v6.address = v6_server;
  corr.AddSyscall(v6);
  corr.AddPacket(TcpPacket(2, kT0 + 251 * kMs, v4_client, v4_server, kTcpSyn, 500));
  corr.AddPacket(TcpPacket(3, kT0 + 252 * kMs, v4_server, v4_client, kTcpSyn | kTcpAck, 9, 501));
  SyscallEvent v4 = Call(2, "connect", 4, kT0 + 250 * kMs, kT0 + 251 * kMs, EINPROGRESS);
  v4.socket = TcpSocket(1004, v4_client, std::nullopt);
  v4.address = v4_server;
  corr.AddSyscall(v4);
  SyscallEvent so_error = Call(3, "getsockopt", 4, kT0 + 253 * kMs, kT0 + 253 * kMs + 1000);
  so_error.socket = TcpSocket(1004, v4_client, v4_server);
  so_error.resolves_call = 2;
  so_error.resolved_error = 0;
  corr.AddSyscall(so_error);
  SyscallEvent close = Call(4, "close", 3, kT0 + 254 * kMs, kT0 + 254 * kMs + 1000);
  close.socket = TcpSocket(1003, v6_client, std::nullopt);
  corr.AddSyscall(close);
  const std::vector<Finding> all = AllFolded();
  ASSERT_THAT(all, SizeIs(1));
  EXPECT_EQ(all[0].kind, FindingKind::kSynUnanswered);
  EXPECT_EQ(all[0].severity, FindingSeverity::kSlow) << all[0].summary;  // 250 ms lost
  EXPECT_EQ(all[0].outcome_error, 0);
  EXPECT_THAT(all[0].summary, HasSubstr(v4_server.ToString()));
}

TEST_P(CauseTest, AConnectNetcorrInterruptedIsStillBlockedWithoutAnErrno) {
  corr.AddPacket(TcpPacket(1, kT0 + kMs, c, s, kTcpSyn, 100));
  corr.AddPacket(TcpPacket(2, kT0 + 1001 * kMs, c, s, kTcpSyn, 100));
  SyscallEvent connect = Connect(1, kT0, kT0 + kMs, EINPROGRESS, c, s);
  corr.AddSyscall(connect);
  SyscallEvent wait = Call(2, "pselect6", -1, kT0 + 2 * kMs, kT0 + 3000 * kMs);
  wait.finished = false;
  wait.waited.push_back(FdSocket{3, TcpSocket(1003, c, std::nullopt)});
  corr.AddSyscall(wait);
  corr.AddProcessEvent(Exit(kT0 + 3100 * kMs, /*by_netcorr=*/true));
  const std::vector<Finding> all = AllFolded();
  ASSERT_THAT(all, SizeIs(1));
  EXPECT_EQ(all[0].kind, FindingKind::kSynUnanswered);
  EXPECT_EQ(all[0].severity, FindingSeverity::kFailure);
  EXPECT_EQ(all[0].outcome_error, 0);
  EXPECT_THAT(all[0].summary, HasSubstr("still waiting"));
}

TEST_P(CauseTest, AConnectTheProgramLeftByExitingIsAbandoned) {
  corr.AddPacket(TcpPacket(1, kT0 + kMs, c, s, kTcpSyn, 100));
  corr.AddSyscall(Connect(1, kT0, kT0 + kMs, EINPROGRESS, c, s));
  corr.AddProcessEvent(Exit(kT0 + 1500 * kMs));
  const std::vector<Finding> all = AllFolded();
  ASSERT_THAT(all, SizeIs(1));
  EXPECT_EQ(all[0].outcome_error, ETIMEDOUT);
  EXPECT_THAT(all[0].summary, HasSubstr("abandoned"));
}

INSTANTIATE_TEST_SUITE_P(IpVersions, CauseTest, ::testing::Bool());

}  // namespace
}  // namespace netcorr::correlate::testing
