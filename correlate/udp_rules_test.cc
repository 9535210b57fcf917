#include "correlate/udp_rules.h"

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
using testing::UdpPacket;

class UdpRulesTest : public ::testing::TestWithParam<bool> {
 protected:
  const FlowRecord* Record() { return table.Find(NormalizedFlowKey::From(flow)); }
  SyscallEvent Send(int error, TimeNs at = kT0 + kSec) {
    return testing::Call(9, "send", 5, at, at + kMs, error);
  }

  testing::World w = testing::World::Make(GetParam());
  Endpoint c = w.Client(50000);
  Endpoint s = w.Server(7000);
  FlowKey flow{Transport::kUdp, c, s};
  FlowTable table;
  testing::TestContext ctx;
};

TEST_P(UdpRulesTest, RefusedAfterPortUnreachable) {
  table.Add(UdpPacket(1, kT0, c, s, 10));
  table.Add(IcmpPacket(2, kT0 + kMs, w.server, w.client, flow, w.v6 ? 1 : 3, w.v6 ? 4 : 3));
  auto f = DecideUdpError(Send(ECONNREFUSED), flow, Record(), ctx.get());
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->kind, FindingKind::kIcmpUnreachable);
  EXPECT_THAT(f->evidence, ElementsAre(1, 2));
  EXPECT_THAT(f->summary, HasSubstr("port-unreachable"));
  EXPECT_THAT(f->hint, HasSubstr("nothing listens on UDP " + s.ToString()));
}

TEST_P(UdpRulesTest, AnIcmpErrorExplainsOnlyOneCall) {
  table.Add(UdpPacket(1, kT0, c, s, 10));
  table.Add(IcmpPacket(2, kT0 + kMs, w.server, w.client, flow, w.v6 ? 1 : 3, w.v6 ? 4 : 3));
  table.FindMutable(NormalizedFlowKey::From(flow))->MarkExplained({2}, 1);
  auto f = DecideUdpError(Send(ECONNREFUSED), flow, Record(), ctx.get());
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->kind, FindingKind::kUnexplained);
}

TEST_P(UdpRulesTest, RefusedWithoutIcmpIsUnexplained) {
  table.Add(UdpPacket(1, kT0, c, s, 10));
  auto f = DecideUdpError(Send(ECONNREFUSED), flow, Record(), ctx.get());
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->kind, FindingKind::kUnexplained);
  EXPECT_THAT(f->unexplained_reason, HasSubstr("port-unreachable"));
}

TEST_P(UdpRulesTest, NoRouteAndLocalFirewallSendNothing) {
  auto route = DecideUdpError(Send(ENETUNREACH), flow, nullptr, ctx.get());
  ASSERT_TRUE(route.has_value());
  EXPECT_EQ(route->kind, FindingKind::kNoPacketSent);
  EXPECT_THAT(route->summary, HasSubstr("no route"));
  auto fw = DecideUdpError(Send(EPERM), flow, nullptr, ctx.get());
  ASSERT_TRUE(fw.has_value());
  EXPECT_EQ(fw->kind, FindingKind::kNoPacketSent);
  EXPECT_THAT(fw->summary, HasSubstr("local firewall"));
}

TEST_P(UdpRulesTest, DatagramOnTheWireWithoutIcmpIsUnexplained) {
  table.Add(UdpPacket(1, kT0 + kSec, c, s, 10));
  auto f = DecideUdpError(Send(EHOSTUNREACH), flow, Record(), ctx.get());
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->kind, FindingKind::kUnexplained);
}

TEST_P(UdpRulesTest, MessageTooBigWithoutFragNeeded) {
  auto f = DecideUdpError(Send(EMSGSIZE), flow, nullptr, ctx.get());
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->kind, FindingKind::kUnexplained);
  EXPECT_THAT(f->unexplained_reason, HasSubstr("frag-needed"));
}

TEST_P(UdpRulesTest, NoResponseOnlyWithOutstandingRequests) {
  const SyscallEvent wait = testing::Call(9, "recv", 5, kT0, kT0 + 5 * kSec, EAGAIN);
  table.Add(UdpPacket(1, kT0, c, s, 10));
  table.Add(UdpPacket(2, kT0 + kMs, s, c, 10));
  EXPECT_FALSE(DecideNoResponse(wait, flow, *Record(), ctx.get()).has_value());
  table.Add(UdpPacket(3, kT0 + 2 * kSec, c, s, 10));
  auto f = DecideNoResponse(wait, flow, *Record(), ctx.get());
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->kind, FindingKind::kNoResponse);
  EXPECT_THAT(f->evidence, ElementsAre(3));
  EXPECT_THAT(f->summary, HasSubstr("1 datagram sent"));
  EXPECT_THAT(f->hint, HasSubstr("UDP " + s.ToString()));
}

TEST_P(UdpRulesTest, NoResponseIsNotClaimedWhenTheCaptureLostPackets) {
  table.Add(UdpPacket(1, kT0, c, s, 10));
  ctx.capture.kernel_dropped = 3;
  auto f = DecideNoResponse(testing::Call(9, "recv", 5, kT0, kT0 + 5 * kSec, EAGAIN), flow,
                            *Record(), ctx.get());
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->kind, FindingKind::kUnexplained);
  EXPECT_THAT(f->unexplained_reason, HasSubstr("kernel dropped 3"));
}

INSTANTIATE_TEST_SUITE_P(V4AndV6, UdpRulesTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "IPv6" : "IPv4"; });

}  // namespace
}  // namespace netcorr::correlate
