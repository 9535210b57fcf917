#include "correlate/path_rules.h"

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

class PathRulesTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    table.Add(TcpPacket(1, kT0, c, s, kTcpSyn, 100));
    table.Add(TcpPacket(2, kT0 + kMs, s, c, kTcpSyn | kTcpAck, 900, 101));
    table.Add(TcpPacket(3, kT0 + 2 * kMs, c, s, kTcpAck, 101, 901));
  }
  std::optional<Finding> Decide(const SyscallEvent& call) {
    const FlowRecord& r = *table.Find(NormalizedFlowKey::From(flow));
    return DecidePath(call, flow, r.tcp.back(), r, ctx.get());
  }
  testing::World w = testing::World::Make(GetParam());
  Endpoint c = w.Client(40000);
  Endpoint s = w.Server(80);
  FlowKey flow{Transport::kTcp, c, s};
  FlowTable table;
  testing::TestContext ctx;
};

TEST_P(PathRulesTest, FastCallIsNotAFinding) {
  table.Add(TcpPacket(4, kT0 + 3 * kMs, c, s, kTcpAck, 101, 901, 10));
  table.Add(TcpPacket(5, kT0 + 4 * kMs, c, s, kTcpAck, 101, 901, 10));
  EXPECT_FALSE(
      Decide(testing::Call(9, "write", 3, kT0 + 3 * kMs, kT0 + 5 * kMs, 0, 10)).has_value());
}

TEST_P(PathRulesTest, RetransmissionsOutsideTheCallDoNotCount) {
  table.Add(TcpPacket(4, kT0 + 3 * kMs, c, s, kTcpAck, 101, 901, 10));
  table.Add(TcpPacket(5, kT0 + 300 * kMs, c, s, kTcpAck, 101, 901, 10));
  EXPECT_FALSE(
      Decide(testing::Call(9, "read", 3, kT0 + 10 * kSec, kT0 + 11 * kSec, 0, 10)).has_value());
}

TEST_P(PathRulesTest, BlackholeWithFragNeededSeen) {
  table.Add(TcpPacket(4, kT0 + 3 * kMs, c, s, kTcpAck, 101, 901, 100));
  table.Add(TcpPacket(5, kT0 + 4 * kMs, s, c, kTcpAck, 901, 201));
  table.Add(TcpPacket(6, kT0 + 5 * kMs, c, s, kTcpAck, 201, 901, 1448));
  table.Add(IcmpPacket(7, kT0 + 6 * kMs, w.router, w.client, flow, w.v6 ? 2 : 3, w.v6 ? 0 : 4, 201,
                       1280));
  table.Add(TcpPacket(8, kT0 + 205 * kMs, c, s, kTcpAck, 201, 901, 1448));
  table.Add(TcpPacket(9, kT0 + 605 * kMs, c, s, kTcpAck, 201, 901, 1448));
  auto f = Decide(testing::Call(9, "write", 3, kT0 + 5 * kMs, kT0 + 20 * kSec, ETIMEDOUT));
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->kind, FindingKind::kPmtuBlackhole);
  EXPECT_TRUE(f->retransmissions->frag_needed_seen);
  EXPECT_THAT(f->summary, HasSubstr("frag-needed (MTU 1280) came from " + w.router.ToString()));
  EXPECT_THAT(f->evidence, ElementsAre(7, 8, 9));
}

TEST_P(PathRulesTest, PeerRetransmissionsSlowARead) {
  table.Add(TcpPacket(4, kT0 + 3 * kMs, s, c, kTcpAck, 901, 101, 500));
  table.Add(TcpPacket(5, kT0 + 403 * kMs, s, c, kTcpAck, 901, 101, 500));
  auto f = Decide(testing::Call(9, "read", 3, kT0 + 2 * kMs, kT0 + 404 * kMs, 0, 500));
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->kind, FindingKind::kRetransmissions);
  EXPECT_EQ(f->severity, FindingSeverity::kSlow);
  EXPECT_THAT(f->summary, HasSubstr("the peer's data was retransmitted once"));
  EXPECT_THAT(f->evidence, ElementsAre(5));
}

TEST_P(PathRulesTest, SlowConnectNeedsARetransmittedSyn) {
  ConnectOutcome o;
  o.call = testing::Call(7, "connect", 3, kT0 - kMs, kT0 + 2 * kMs);
  o.flow = flow;
  o.end_ns = kT0 + 2 * kMs;
  const TcpConnection& a = table.Find(NormalizedFlowKey::From(flow))->tcp[0];
  EXPECT_FALSE(DecideSlowConnect(o, a, ctx.get()).has_value());
}

INSTANTIATE_TEST_SUITE_P(V4AndV6, PathRulesTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "IPv6" : "IPv4"; });

}  // namespace
}  // namespace netcorr::correlate
