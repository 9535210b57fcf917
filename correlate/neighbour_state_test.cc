#include "correlate/neighbour_state.h"

#include "correlate/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace netcorr::correlate {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using testing::Ip;
using ::testing::IsEmpty;
using testing::kMs;
using testing::kSec;
using testing::kT0;
using testing::NeighbourPacket;
using ::testing::SizeIs;

class NeighbourTableTest : public ::testing::TestWithParam<bool> {
 protected:
  bool v6() const { return GetParam(); }
  IpAddress client = Ip(GetParam() ? "fd71:1::2" : "10.71.1.2");
  IpAddress absent = Ip(GetParam() ? "fd71:1::99" : "10.71.1.99");
  IpAddress router = Ip(GetParam() ? "fd71:1::1" : "10.71.1.1");
  NeighbourTable table;
};

TEST_P(NeighbourTableTest, UnansweredRequestsInTheWindow) {
  for (uint64_t i = 0; i < 3; ++i) {
    table.Add(NeighbourPacket(i + 1, kT0 + static_cast<TimeNs>(i) * kSec, client, absent));
  }
  std::optional<NeighbourTable::Resolution> r = table.Find(absent, kT0 - kMs, kT0 + 3 * kSec);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->v6, v6());
  EXPECT_FALSE(r->answered);
  EXPECT_THAT(r->requests, ElementsAre(Field(&PacketRef::id, 1u), Field(&PacketRef::id, 2u),
                                       Field(&PacketRef::id, 3u)));
  EXPECT_THAT(r->requesters, ElementsAre(client));
  // Only the requests stamped inside the window count.
  EXPECT_THAT(table.Find(absent, kT0 + 500 * kMs, kT0 + 3 * kSec)->requests, SizeIs(2));
  EXPECT_FALSE(table.Find(absent, kT0 + 5 * kSec, kT0 + 6 * kSec).has_value());
  EXPECT_THAT(table.Unanswered(client.family(), kT0, kT0 + 3 * kSec), SizeIs(1));
}

TEST_P(NeighbourTableTest, AReplyAfterTheRequestAnswersIt) {
  table.Add(NeighbourPacket(1, kT0, client, router));
  table.Add(NeighbourPacket(2, kT0 + kMs, client, router, /*reply=*/true));
  std::optional<NeighbourTable::Resolution> r = table.Find(router, kT0 - kMs, kT0 + kSec);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->answered);
  EXPECT_THAT(table.Unanswered(client.family(), kT0 - kMs, kT0 + kSec), IsEmpty());
}

TEST_P(NeighbourTableTest, AnOlderReplyDoesNotAnswerANewResolution) {
  table.Add(NeighbourPacket(1, kT0, client, router));
  table.Add(NeighbourPacket(2, kT0 + kMs, client, router, /*reply=*/true));
  // The neighbour went away: later probes get nothing.
  table.Add(NeighbourPacket(3, kT0 + 30 * kSec, client, router));
  table.Add(NeighbourPacket(4, kT0 + 31 * kSec, client, router));
  std::optional<NeighbourTable::Resolution> r =
      table.Find(router, kT0 + 29 * kSec, kT0 + 33 * kSec);
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->answered);
  EXPECT_THAT(r->requests, SizeIs(2));
  // A window covering both sees the old answer after the first request.
  EXPECT_TRUE(table.Find(router, kT0, kT0 + 33 * kSec)->answered);
}

TEST_P(NeighbourTableTest, AddressProbesResolveNothing) {
  // Gratuitous ARP / duplicate address detection: not a resolution of a neighbour.
  Packet probe = NeighbourPacket(1, kT0, client, client);
  if (v6()) probe.neighbour->sender_ip = Ip("::");
  table.Add(probe);
  EXPECT_EQ(table.size(), 0u);
}

TEST_P(NeighbourTableTest, MemoryIsBoundedAndQuietNeighboursExpire) {
  for (uint64_t i = 0; i < 2 * NeighbourTable::kMaxEventsPerNeighbour; ++i) {
    table.Add(NeighbourPacket(i + 1, kT0 + static_cast<TimeNs>(i) * kMs, client, absent));
  }
  EXPECT_THAT(table.Find(absent, kT0, kT0 + kSec)->requests,
              SizeIs(NeighbourTable::kMaxEventsPerNeighbour));
  for (uint32_t i = 0; i < NeighbourTable::kMaxNeighbours + 10; ++i) {
    const IpAddress a =
        v6() ? IpAddress::V6({0xfd, 0x72, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                              static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)})
             : IpAddress::V4({10, 72, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)});
    table.Add(NeighbourPacket(1000 + i, kT0 + kSec + i * kMs, client, a));
  }
  EXPECT_EQ(table.size(), NeighbourTable::kMaxNeighbours);
  // The quietest (the absent host's, oldest) went first.
  EXPECT_FALSE(table.Find(absent, kT0, kT0 + kSec).has_value());
  EXPECT_EQ(table.Expire(kT0 + 100 * kSec), NeighbourTable::kMaxNeighbours);
  EXPECT_EQ(table.size(), 0u);
}

INSTANTIATE_TEST_SUITE_P(IpVersions, NeighbourTableTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "v6" : "v4";
                         });

}  // namespace
}  // namespace netcorr::correlate
