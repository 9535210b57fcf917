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
  EXPECT_EQ(f.severity, FindingSeverity::kFailure);
  EXPECT_EQ(f.tls->sni, "www.example.test");
  EXPECT_EQ(f.tls->description_name, "unknown_ca");
  EXPECT_THAT(f.evidence, ElementsAre(3, 4));
  EXPECT_THAT(f.summary,
              HasSubstr("this program rejected the certificate of www.example.test (alert "
                        "unknown_ca)"));
  EXPECT_THAT(f.hint, HasSubstr("does not trust the issuer"));
  EXPECT_THAT(f.hint, HasSubstr("trust store"));
}

// Each certificate alert a client sends names the side that has to change something.
TEST_P(TlsAlertTest, OurCertificateAlertsNameTheSideToFix) {
  const struct {
    uint8_t description;
    const char* name;
    const char* hint;
  } cases[] = {
      {45, "certificate_expired", "the server must renew"},
      {42, "bad_certificate", "the server must fix its certificate chain"},
      {43, "unsupported_certificate", "the server needs a certificate this client supports"},
      {44, "certificate_revoked", "the server needs a new certificate"},
      {46, "certificate_unknown", "compare the certificate's names"},
  };
  uint64_t id = 4;
  for (const auto& k : cases) {
    const uint32_t seq = 401 + 7 * static_cast<uint32_t>(id - 4);  // one record after another
    table.Add(testing::TlsAlertPacket(id, kT0 + id * kMs, c, s, seq, 2000, 2, k.description));
    const TcpConnection& conn = Conn();
    Finding f = TlsAlertFinding(testing::Call(9, "write", 3, kT0, kT0 + id * kMs, 0, 7), flow,
                                conn, conn.alerts.back(), false);
    EXPECT_EQ(f.severity, FindingSeverity::kFailure) << k.name;
    EXPECT_THAT(f.summary, HasSubstr(std::string("rejected the certificate of www.example.test "
                                                 "(alert ") + k.name + ")"));
    EXPECT_THAT(f.hint, HasSubstr(k.hint)) << k.name;
    ++id;
  }
}

// user_canceled is the program's own decision, not a failure of the handshake.
TEST_P(TlsAlertTest, OurUserCanceledIsInformational) {
  table.Add(testing::TlsAlertPacket(4, kT0 + 3 * kMs, c, s, 401, 2000, 1, 90));
  const TcpConnection& conn = Conn();
  Finding f = TlsAlertFinding(testing::Call(9, "write", 3, kT0, kT0 + 3 * kMs, 0, 7), flow, conn,
                              conn.alerts[0], false);
  EXPECT_EQ(f.severity, FindingSeverity::kInfo);
  EXPECT_THAT(f.summary, HasSubstr("this program sent TLS warning alert user_canceled"));
}

// A server that rejects our client certificate is told apart from us rejecting its own.
TEST_P(TlsAlertTest, PeerUnknownCaBlamesOurClientCertificate) {
  table.Add(testing::TlsAlertPacket(4, kT0 + 3 * kMs, s, c, 901, 401, 2, 48));
  const TcpConnection& conn = Conn();
  Finding f = TlsAlertFinding(testing::Call(9, "read", 3, kT0, kT0 + 3 * kMs, 0, 7), flow, conn,
                              conn.alerts[0], true);
  EXPECT_TRUE(f.tls->from_peer);
  EXPECT_THAT(f.summary, HasSubstr("the server sent TLS fatal alert unknown_ca"));
  EXPECT_THAT(f.hint, HasSubstr("rejected the client certificate"));
}

INSTANTIATE_TEST_SUITE_P(V4AndV6, TlsAlertTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "IPv6" : "IPv4"; });

}  // namespace
}  // namespace netcorr::correlate
