#include "correlate/dns_rules.h"

#include "correlate/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace netcorr::correlate {
namespace {

using testing::DnsPacket;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::kMs;
using testing::kT0;

TEST(DnsRulesTest, RcodeNames) {
  EXPECT_EQ(DnsRcodeName(0), "NOERROR");
  EXPECT_EQ(DnsRcodeName(2), "SERVFAIL");
  EXPECT_EQ(DnsRcodeName(3), "NXDOMAIN");
  EXPECT_EQ(DnsRcodeName(5), "REFUSED");
  EXPECT_EQ(DnsRcodeName(23), "RCODE23");
}

class DnsErrorTest : public ::testing::TestWithParam<bool> {
 protected:
  const DnsQueryRecord& Answer(uint8_t rcode) {
    table.Add(DnsPacket(1, kT0, c, ns, 7, false, "no.such.test"));
    table.Add(DnsPacket(2, kT0 + kMs, ns, c, 7, true, "no.such.test", rcode));
    return table.Find(NormalizedFlowKey::From(flow))->dns[0];
  }
  testing::World w = testing::World::Make(GetParam());
  Endpoint c = w.Client(50000);
  Endpoint ns = w.Server(53);
  FlowKey flow{Transport::kUdp, c, ns};
  FlowTable table;
};

TEST_P(DnsErrorTest, NxdomainNamesTheQuery) {
  Finding f = DnsError(testing::Call(9, "recvfrom", 5, kT0, kT0 + 2 * kMs, 0, 40), flow, Answer(3));
  EXPECT_EQ(f.kind, FindingKind::kDnsError);
  EXPECT_THAT(f.evidence, ElementsAre(1, 2));
  EXPECT_THAT(f.summary, HasSubstr("NXDOMAIN for no.such.test"));
  EXPECT_THAT(f.hint, HasSubstr("does not exist"));
  EXPECT_EQ(f.dns->rcode, 3);
  EXPECT_TRUE(f.dns->answered);
}

TEST_P(DnsErrorTest, RefusedPointsAtTheServersAcl) {
  Finding f = DnsError(testing::Call(9, "recvfrom", 5, kT0, kT0 + 2 * kMs, 0, 40), flow, Answer(5));
  EXPECT_THAT(f.summary, HasSubstr("REFUSED"));
  EXPECT_THAT(f.hint, HasSubstr("refuses to answer"));
  EXPECT_THAT(f.hint, HasSubstr(ns.ToString()));
}

TEST_P(DnsErrorTest, UnansweredQueryFound) {
  table.Add(DnsPacket(1, kT0, c, ns, 7, false, "a.test"));
  table.Add(DnsPacket(2, kT0 + kMs, ns, c, 7, true, "a.test"));
  table.Add(DnsPacket(3, kT0 + 2 * kMs, c, ns, 8, false, "b.test"));
  const FlowRecord& r = *table.Find(NormalizedFlowKey::From(flow));
  const int side = r.key.SideOf(c);
  const DnsQueryRecord* q = UnansweredDnsQuery(r, side, kT0 + kMs * 5);
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->name, "b.test");
  EXPECT_EQ(UnansweredDnsQuery(r, side, kT0 + kMs), nullptr);
}

INSTANTIATE_TEST_SUITE_P(V4AndV6, DnsErrorTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "IPv6" : "IPv4"; });

}  // namespace
}  // namespace netcorr::correlate
