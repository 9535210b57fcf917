#include "correlate/tcp_stream_rules.h"

#include <cerrno>

#include "correlate/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace netcorr::correlate {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::IcmpPacket;
using testing::kMs;
using testing::kSec;
using testing::kT0;
using testing::TcpPacket;

class StreamRulesTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    table.Add(TcpPacket(1, kT0, c, s, kTcpSyn, 100));
    table.Add(TcpPacket(2, kT0 + kMs, s, c, kTcpSyn | kTcpAck, 900, 101));
    table.Add(TcpPacket(3, kT0 + 2 * kMs, c, s, kTcpAck, 101, 901));
    table.Add(TcpPacket(4, kT0 + 3 * kMs, c, s, kTcpAck | kTcpPsh, 101, 901, 50));
  }
  std::optional<Finding> Decide(const SyscallEvent& call, bool first_eof = true) {
    const FlowRecord* r = table.Find(NormalizedFlowKey::From(flow));
    return DecideStreamCall(call, flow, r ? &r->tcp.back() : nullptr, r, first_eof, ctx.get());
  }

  testing::World w = testing::World::Make(GetParam());
  Endpoint c = w.Client(40000);
  Endpoint s = w.Server(80);
  FlowKey flow{Transport::kTcp, c, s};
  FlowTable table;
  testing::TestContext ctx;
};

TEST_P(StreamRulesTest, ResetByPeerCarriesBytesAndIdleTime) {
  table.Add(TcpPacket(5, kT0 + 5 * kSec, s, c, kTcpRst, 901));
  auto f = Decide(testing::Call(9, "recv", 3, kT0 + 4 * kMs, kT0 + 5 * kSec, ECONNRESET));
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->kind, FindingKind::kResetByPeer);
  EXPECT_THAT(f->evidence, ElementsAre(2, 5));
  EXPECT_EQ(f->stream->bytes_sent, 50u);
  EXPECT_EQ(f->stream->bytes_received, 0u);
  EXPECT_TRUE(f->stream->rst_from_peer);
  EXPECT_EQ(f->stream->idle_before_ns, 5 * kSec - 3 * kMs);
  EXPECT_THAT(f->hint, HasSubstr(s.ToString()));
}

TEST_P(StreamRulesTest, EpipeAfterPeerFin) {
  table.Add(TcpPacket(5, kT0 + kSec, s, c, kTcpFin | kTcpAck, 901, 151));
  auto f = Decide(testing::Call(9, "write", 3, kT0 + 2 * kSec, kT0 + 2 * kSec, EPIPE));
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->kind, FindingKind::kClosedByPeer);
  EXPECT_EQ(f->severity, FindingSeverity::kFailure);
  EXPECT_THAT(f->evidence, ElementsAre(5));
  EXPECT_THAT(f->summary, HasSubstr("FIN"));
}

TEST_P(StreamRulesTest, EpipeAfterOurOwnShutdownIsNotBlamedOnThePeer) {
  table.Add(TcpPacket(5, kT0 + kSec, c, s, kTcpFin | kTcpAck, 151, 901));
  auto f = Decide(testing::Call(9, "write", 3, kT0 + 2 * kSec, kT0 + 2 * kSec, EPIPE));
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->kind, FindingKind::kUnexplained);
  EXPECT_THAT(f->unexplained_reason, HasSubstr("shut down its own sending side"));
}

TEST_P(StreamRulesTest, ResetWithoutEvidenceIsUnexplained) {
  auto f = Decide(testing::Call(9, "read", 3, kT0 + kSec, kT0 + kSec, ECONNRESET));
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->kind, FindingKind::kUnexplained);
  EXPECT_THAT(f->unexplained_reason, HasSubstr("no RST or FIN"));
}

TEST_P(StreamRulesTest, EndOfStreamOnlyOnceAndOnlyWhenThePeerClosedFirst) {
  EXPECT_FALSE(Decide(testing::Call(9, "read", 3, kT0, kT0 + kSec, 0, 0)).has_value());
  table.Add(TcpPacket(5, kT0 + kSec, s, c, kTcpFin | kTcpAck, 901, 151));
  auto f = Decide(testing::Call(9, "read", 3, kT0, kT0 + kSec, 0, 0));
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->kind, FindingKind::kClosedByPeer);
  EXPECT_EQ(f->severity, FindingSeverity::kInfo);
  EXPECT_FALSE(
      Decide(testing::Call(10, "read", 3, kT0, kT0 + kSec, 0, 0), /*first_eof=*/false).has_value());
}

TEST_P(StreamRulesTest, PeerFinAnsweringOurCloseIsNotAFinding) {
  table.Add(TcpPacket(5, kT0 + kSec, c, s, kTcpFin | kTcpAck, 151, 901));
  table.Add(TcpPacket(6, kT0 + kSec + kMs, s, c, kTcpFin | kTcpAck, 901, 152));
  EXPECT_FALSE(Decide(testing::Call(9, "read", 3, kT0, kT0 + 2 * kSec, 0, 0)).has_value());
}

TEST_P(StreamRulesTest, TimeoutAfterIcmpDuringTransfer) {
  table.Add(TcpPacket(5, kT0 + 300 * kMs, c, s, kTcpAck | kTcpPsh, 101, 901, 50));
  table.Add(
      IcmpPacket(6, kT0 + 301 * kMs, w.router, w.client, flow, w.v6 ? 1 : 3, w.v6 ? 3 : 1, 101));
  auto f = Decide(testing::Call(9, "read", 3, kT0 + 4 * kMs, kT0 + 20 * kSec, EHOSTUNREACH));
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->kind, FindingKind::kIcmpUnreachable);
  EXPECT_EQ(f->icmp->sender_role, IcmpSenderRole::kHop);
  EXPECT_THAT(f->evidence, ElementsAre(5, 6));
}

TEST_P(StreamRulesTest, QuietBlockedReadIsNormal) {
  SyscallEvent read = testing::Call(9, "read", 3, kT0 + 4 * kMs, kT0 + 60 * kSec);
  read.finished = false;
  EXPECT_FALSE(Decide(read).has_value());
}

INSTANTIATE_TEST_SUITE_P(V4AndV6, StreamRulesTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "IPv6" : "IPv4"; });

}  // namespace
}  // namespace netcorr::correlate
