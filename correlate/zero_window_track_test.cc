#include "correlate/zero_window_track.h"

#include "correlate/flow_state.h"
#include "correlate/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace netcorr::correlate {
namespace {

using ::testing::SizeIs;
using testing::kMs;
using testing::kT0;
using testing::TcpPacket;
using testing::WindowPacket;

// A connection c -> s whose server stops reading after 8000 bytes: its ACK of them closes the
// window. Our ISN 100 (data from 101), theirs 900.
class ZeroWindowTrackTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override { testing::AddEstablished(table, c, s, 8000); }
  const TcpConnection& Conn() const { return table.Find(NormalizedFlowKey::From(flow))->tcp[0]; }
  const ZeroWindowTrack& Server() const {
    return Conn().dir[NormalizedFlowKey::From(flow).SideOf(s)].zero_window;
  }
  const ZeroWindowTrack& Client() const {
    return Conn().dir[NormalizedFlowKey::From(flow).SideOf(c)].zero_window;
  }

  testing::World w = testing::World::Make(GetParam());
  Endpoint c = w.Client(40000);
  Endpoint s = w.Server(7010);
  FlowKey flow{Transport::kTcp, c, s};
  FlowTable table;
};

TEST_P(ZeroWindowTrackTest, ZeroWindowAcksAndOurProbesUntilItReopens) {
  table.Add(WindowPacket(5, kT0 + 4 * kMs, s, c, 901, 8101, 0));
  // Linux's probes: no data, SEG.SEQ = SND.UNA - 1 (8100), answered by the zero window again.
  table.Add(TcpPacket(6, kT0 + 204 * kMs, c, s, kTcpAck, 8100, 901));
  table.Add(WindowPacket(7, kT0 + 205 * kMs, s, c, 901, 8101, 0));
  table.Add(TcpPacket(8, kT0 + 604 * kMs, c, s, kTcpAck, 8100, 901));
  ASSERT_TRUE(Server().zero());
  ASSERT_THAT(Server().periods(), SizeIs(1));
  const ZeroWindowPeriod& p = Server().periods()[0];
  EXPECT_EQ(p.first.id, 5u);
  EXPECT_EQ(p.last.id, 7u);
  EXPECT_EQ(p.acks.total(), 2u);
  EXPECT_EQ(p.probes.total(), 2u);
  EXPECT_EQ(p.probes.items()[1].ts, kT0 + 604 * kMs);
  EXPECT_FALSE(p.reopened.has_value());
  EXPECT_TRUE(p.OpenAt(kT0 + 604 * kMs));
  // The server reads: a window update reopens it.
  table.Add(WindowPacket(9, kT0 + 900 * kMs, s, c, 901, 8101, 64));
  EXPECT_FALSE(Server().zero());
  ASSERT_TRUE(Server().periods()[0].reopened.has_value());
  EXPECT_EQ(Server().periods()[0].reopened->id, 9u);
  EXPECT_FALSE(Server().periods()[0].OpenAt(kT0 + 900 * kMs));
  EXPECT_TRUE(Client().periods().empty());  // our own window never closed
  // Nothing of this counts as a retransmission.
  EXPECT_EQ(Conn().dir[NormalizedFlowKey::From(flow).SideOf(c)].retransmits.total(), 0u);
}

TEST_P(ZeroWindowTrackTest, TheSameSegmentIntoAnOpenWindowIsAKeepAlive) {
  table.Add(WindowPacket(5, kT0 + 4 * kMs, s, c, 901, 8101, 300));
  table.Add(TcpPacket(6, kT0 + 60'000 * kMs, c, s, kTcpAck, 8100, 901));
  EXPECT_FALSE(Server().zero());
  EXPECT_TRUE(Server().periods().empty());
}

TEST_P(ZeroWindowTrackTest, APureAckOrARstIsNotAProbeNorAnAdvertisement) {
  table.Add(WindowPacket(5, kT0 + 4 * kMs, s, c, 901, 8101, 0));
  table.Add(TcpPacket(6, kT0 + 5 * kMs, c, s, kTcpAck, 8101, 901));  // SND.NXT, not SND.UNA - 1
  EXPECT_EQ(Server().periods()[0].probes.total(), 0u);
  // A RST carries window 0 as often as not; it does not close (or keep closed) any window.
  Packet rst = TcpPacket(7, kT0 + 6 * kMs, c, s, kTcpRst | kTcpAck, 8101, 901);
  rst.tcp->window = 0;
  table.Add(rst);
  EXPECT_TRUE(Client().periods().empty());
  EXPECT_EQ(Server().periods()[0].acks.total(), 1u);
}

TEST_P(ZeroWindowTrackTest, EachStallIsItsOwnPeriodAndThePeriodsAreBounded) {
  uint64_t id = 5;
  TimeNs t = kT0 + 4 * kMs;
  for (size_t i = 0; i < ZeroWindowTrack::kMaxPeriods + 3; ++i) {
    table.Add(WindowPacket(id++, t, s, c, 901, 8101, 0));
    table.Add(WindowPacket(id++, t + 100 * kMs, s, c, 901, 8101, 64));
    t += 200 * kMs;
  }
  ASSERT_THAT(Server().periods(), SizeIs(ZeroWindowTrack::kMaxPeriods));
  for (const ZeroWindowPeriod& p : Server().periods()) {
    EXPECT_EQ(p.acks.total(), 1u);
    ASSERT_TRUE(p.reopened.has_value());
    EXPECT_EQ(p.reopened->id, p.first.id + 1);
  }
  EXPECT_EQ(Server().periods().back().first.id, id - 2);  // the oldest were dropped
}

INSTANTIATE_TEST_SUITE_P(V4AndV6, ZeroWindowTrackTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "IPv6" : "IPv4"; });

}  // namespace
}  // namespace netcorr::correlate
