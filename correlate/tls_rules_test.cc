#include "correlate/tls_rules.h"

#include "correlate/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace netcorr::correlate {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::kMs;
using testing::kT0;

TEST(TlsRulesTest, AlertNames) {
  EXPECT_EQ(TlsAlertName(40), "handshake_failure");
  EXPECT_EQ(TlsAlertName(48), "unknown_ca");
  EXPECT_EQ(TlsAlertName(112), "unrecognized_name");
  EXPECT_EQ(TlsAlertName(120), "no_application_protocol");
  EXPECT_EQ(TlsAlertName(200), "alert_200");
}

class TlsAlertTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    table.Add(testing::TcpPacket(1, kT0, c, s, kTcpSyn, 100));
    table.Add(testing::TcpPacket(2, kT0 + kMs, s, c, kTcpSyn | kTcpAck, 900, 101));
    table.Add(testing::TlsHelloPacket(3, kT0 + 2 * kMs, c, s, 101, 901, "www.example.test"));
  }
  const TcpConnection& Conn() { return table.Find(NormalizedFlowKey::From(flow))->tcp[0]; }
  testing::World w = testing::World::Make(GetParam());
  Endpoint c = w.Client(40000);
  Endpoint s = w.Server(443);
  FlowKey flow{Transport::kTcp, c, s};
  FlowTable table;
};

TEST_P(TlsAlertTest, UnrecognizedNameFromTheServerNamesTheSni) {
  table.Add(testing::TlsAlertPacket(4, kT0 + 3 * kMs, s, c, 901, 401, 2, 112));
  const TcpConnection& conn = Conn();
  ASSERT_EQ(conn.alerts.size(), 1u);
  Finding f = TlsAlertFinding(testing::Call(9, "read", 3, kT0, kT0 + 3 * kMs, 0, 7), flow, conn,
                              conn.alerts[0], true);
  EXPECT_EQ(f.kind, FindingKind::kTlsAlert);
  EXPECT_THAT(f.evidence, ElementsAre(3, 4));
  EXPECT_THAT(f.summary, HasSubstr("the server sent TLS fatal alert unrecognized_name"));
  EXPECT_THAT(f.summary, HasSubstr("www.example.test"));
  EXPECT_THAT(f.hint, HasSubstr("'www.example.test'"));
}

TEST_P(TlsAlertTest, OurUnknownCaAlertBlamesTheCertificate) {
  table.Add(testing::TlsAlertPacket(4, kT0 + 3 * kMs, c, s, 401, 2000, 2, 48));
  const TcpConnection& conn = Conn();
  Finding f = TlsAlertFinding(testing::Call(9, "write", 3, kT0, kT0 + 3 * kMs, 0, 7), flow, conn,
                              conn.alerts[0], false);
  EXPECT_FALSE(f.tls->from_peer);
  EXPECT_THAT(f.summary, HasSubstr("this program sent TLS fatal alert unknown_ca"));
  EXPECT_THAT(f.hint, HasSubstr("rejected the certificate"));
}

INSTANTIATE_TEST_SUITE_P(V4AndV6, TlsAlertTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "IPv6" : "IPv4"; });

}  // namespace
}  // namespace netcorr::correlate
