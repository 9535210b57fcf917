// TLS alerts this program sent: a client that rejects the server's certificate says so with a
// fatal alert on the write before its close; that is the one finding.
#include "correlate/correlator_test_fixture.h"
#include "gtest/gtest.h"

namespace netcorr::correlate {
namespace {

using namespace testing;  // NOLINT: the fixture, builders and matchers of these tests

TEST_P(CorrelatorTest, OurUnknownCaAlertIsOneFailureOnTheWriteThatSentIt) {
  const Endpoint tls = w.Server(7443);
  corr.AddPacket(TcpPacket(1, kT0, c, tls, kTcpSyn, 100));
  corr.AddPacket(TcpPacket(2, kT0 + kMs, tls, c, kTcpSyn | kTcpAck, 900, 101));
  corr.AddPacket(TcpPacket(3, kT0 + 2 * kMs, c, tls, kTcpAck, 101, 901));
  corr.AddSyscall(Connect(10, kT0, kT0 + 2 * kMs, 0, c, tls));
  corr.AddPacket(testing::TlsHelloPacket(4, kT0 + 3 * kMs, c, tls, 101, 901, "test.example"));
  auto on_tls = [&](uint64_t id, std::string_view name, TimeNs entry, TimeNs exit,
                    int64_t result) {
    SyscallEvent e = Call(id, name, 3, entry, exit, 0, result);
    e.socket = TcpSocket(1003, c, tls);
    return e;
  };
  corr.AddSyscall(on_tls(11, "sendto", kT0 + 3 * kMs, kT0 + 3 * kMs, 300));
  // The server's flight (ServerHello, Certificate...), read by the client.
  corr.AddPacket(TcpPacket(5, kT0 + 4 * kMs, tls, c, kTcpAck | kTcpPsh, 901, 401, 1200));
  corr.AddSyscall(on_tls(12, "recvfrom", kT0 + 4 * kMs, kT0 + 4 * kMs, 1200));
  // The certificate does not verify: alert unknown_ca, then close.
  corr.AddPacket(testing::TlsAlertPacket(6, kT0 + 5 * kMs, c, tls, 401, 2101, 2, 48));
  corr.AddSyscall(on_tls(13, "sendto", kT0 + 5 * kMs, kT0 + 5 * kMs, 7));
  corr.AddPacket(TcpPacket(7, kT0 + 6 * kMs, c, tls, kTcpAck | kTcpFin, 408, 2101));
  corr.AddSyscall(on_tls(14, "close", kT0 + 6 * kMs, kT0 + 6 * kMs, 0));
  corr.AddPacket(TcpPacket(8, kT0 + 7 * kMs, tls, c, kTcpAck | kTcpFin, 2101, 409));
  const std::vector<Finding> f = All();
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_EQ(f[0].kind, FindingKind::kTlsAlert);
  EXPECT_EQ(f[0].severity, FindingSeverity::kFailure);
  EXPECT_EQ(f[0].call.id, 13u);
  ASSERT_TRUE(f[0].tls.has_value());
  EXPECT_FALSE(f[0].tls->from_peer);
  EXPECT_EQ(f[0].tls->sni, "test.example");
  EXPECT_EQ(f[0].tls->description_name, "unknown_ca");
  EXPECT_THAT(f[0].evidence, ElementsAre(4, 6));
  EXPECT_THAT(f[0].summary, HasSubstr("rejected the certificate of test.example"));
}

}  // namespace
}  // namespace netcorr::correlate
