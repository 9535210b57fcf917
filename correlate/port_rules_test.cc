#include "correlate/port_rules.h"

#include <cerrno>

#include "correlate/correlator_test_fixture.h"
#include "correlate/tcp_connect_rules.h"
#include "correlate/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace netcorr::correlate {
namespace {

using ::testing::HasSubstr;
using testing::kMs;
using testing::kT0;
using ::testing::Not;
using ::testing::SizeIs;
using testing::TcpPacket;

class PortRulesTest : public ::testing::TestWithParam<bool> {
 protected:
  // Four connections to the server from ports 40000-40003, each handshaken at kT0 + i ms.
  void FourConnections() {
    for (uint16_t i = 0; i < 4; ++i) {
      const Endpoint local = w.Client(static_cast<uint16_t>(40000 + i));
      table.Add(TcpPacket(3u * i + 1, kT0 + i * kMs, local, server, kTcpSyn, 100));
      table.Add(TcpPacket(3u * i + 2, kT0 + i * kMs + 100'000, server, local, kTcpSyn | kTcpAck,
                          900, 101));
    }
  }
  ConnectOutcome NoPort() {
    ConnectOutcome o;
    o.call = testing::Call(9, "connect", 7, kT0 + 10 * kMs, kT0 + 10 * kMs + 20'000, EADDRNOTAVAIL);
    o.error = EADDRNOTAVAIL;
    o.flow = FlowKey{Transport::kTcp, w.Client(0), server};
    o.end_ns = o.call.exit_ns;
    o.local_ports_in_use = LocalPortsTowards(table, server);
    return o;
  }

  testing::World w = testing::World::Make(GetParam());
  Endpoint server = w.Server(7000);
  FlowTable table;
  testing::TestContext ctx;
};

TEST_P(PortRulesTest, CountsTheLocalPortsTowardsTheDestinationOnly) {
  FourConnections();
  // Another port of the same server, and a retried SYN on a port already counted.
  table.Add(TcpPacket(20, kT0 + 5 * kMs, w.Client(40009), w.Server(7001), kTcpSyn, 100));
  table.Add(TcpPacket(21, kT0 + 1000 * kMs, w.Client(40000), server, kTcpSyn, 100));
  EXPECT_EQ(LocalPortsTowards(table, server), 4u);
  EXPECT_EQ(LocalPortsTowards(table, w.Server(7001)), 1u);
  EXPECT_EQ(LocalPortsTowards(table, w.Server(7002)), 0u);
}

TEST_P(PortRulesTest, ExhaustedRangeNamesTheCountAndTheSysctl) {
  FourConnections();
  ctx.options.local_port_range = PortRange{40000, 40003};
  auto f = DecideConnect(NoPort(), nullptr, ctx.get());
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->kind, FindingKind::kNoPacketSent);
  EXPECT_EQ(f->severity, FindingSeverity::kFailure);
  EXPECT_EQ(f->outcome_error, EADDRNOTAVAIL);
  EXPECT_THAT(f->summary,
              HasSubstr("ephemeral ports towards " + server.ToString() + " are exhausted"));
  EXPECT_THAT(f->hint, HasSubstr("holds 4 local ports towards " + server.ToString()));
  EXPECT_THAT(f->hint, HasSubstr("net.ipv4.ip_local_port_range is 40000-40003 (4 ports)"));
  EXPECT_TRUE(f->evidence.empty());
}

TEST_P(PortRulesTest, AWideRangeIsNotCalledExhaustedByThisProgram) {
  FourConnections();
  ctx.options.local_port_range = PortRange{32768, 60999};
  auto f = DecideConnect(NoPort(), nullptr, ctx.get());
  ASSERT_TRUE(f.has_value());
  EXPECT_THAT(f->summary, Not(HasSubstr("exhausted")));
  EXPECT_THAT(f->hint, HasSubstr("holds 4 local ports"));
  EXPECT_THAT(f->hint, HasSubstr("other programs may hold the rest"));
}

TEST_P(PortRulesTest, OfflineTheRangeIsUnknown) {
  FourConnections();
  auto f = DecideConnect(NoPort(), nullptr, ctx.get());
  ASSERT_TRUE(f.has_value());
  EXPECT_THAT(f->hint, HasSubstr("holds 4 local ports"));
  EXPECT_THAT(f->hint, HasSubstr("net.ipv4.ip_local_port_range) is unknown"));
}

INSTANTIATE_TEST_SUITE_P(IpVersions, PortRulesTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "v6" : "v4";
                         });

// Through the correlator: the connect that failed finds the flows its earlier connects opened.
using PortCorrelatorTest = testing::CorrelatorTest;

TEST_P(PortCorrelatorTest, OneNoPacketSentWithTheCount) {
  CorrelatorOptions options;
  options.local_port_range = PortRange{40000, 40001};
  Correlator with_range{options};
  const Endpoint server = w.Server(7000);
  for (uint16_t i = 0; i < 2; ++i) {
    const Endpoint local = w.Client(static_cast<uint16_t>(40000 + i));
    const TimeNs t = kT0 + i * 10 * kMs;
    with_range.AddPacket(TcpPacket(3u * i + 1, t, local, server, kTcpSyn, 100));
    with_range.AddPacket(
        TcpPacket(3u * i + 2, t + kMs, server, local, kTcpSyn | kTcpAck, 900, 101));
    with_range.AddPacket(TcpPacket(3u * i + 3, t + 2 * kMs, local, server, kTcpAck, 101, 901));
    with_range.AddSyscall(Connect(10 + i, t, t + 3 * kMs, 0, local, server, 3 + i));
  }
  with_range.AddSyscall(
      Connect(20, kT0 + 50 * kMs, kT0 + 50 * kMs + 10'000, EADDRNOTAVAIL, std::nullopt, server, 5));
  std::vector<Finding> f = with_range.Advance(kT0 + 1000 * testing::kSec);
  std::vector<Finding> rest = with_range.Finish();
  f.insert(f.end(), rest.begin(), rest.end());
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_EQ(f[0].kind, FindingKind::kNoPacketSent);
  EXPECT_EQ(f[0].call.id, 20u);
  EXPECT_THAT(f[0].hint, HasSubstr("holds 2 local ports"));
  EXPECT_THAT(f[0].hint, HasSubstr("40000-40001"));
}

INSTANTIATE_TEST_SUITE_P(IpVersions, PortCorrelatorTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "v6" : "v4";
                         });

}  // namespace
}  // namespace netcorr::correlate
