// What a whole session's findings look like: without a capture, and ranked at Finish().
#include <cerrno>

#include "correlate/correlator_test_fixture.h"
#include "gtest/gtest.h"

namespace netcorr::correlate {
namespace {

using namespace testing;  // NOLINT: the fixture, builders and matchers of these tests

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

}  // namespace
}  // namespace netcorr::correlate
