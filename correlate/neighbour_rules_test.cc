#include "correlate/neighbour_rules.h"

#include <cerrno>

#include "correlate/correlator_test_fixture.h"
#include "correlate/tcp_connect_rules.h"
#include "correlate/test_util.h"
#include "correlate/udp_rules.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace netcorr::correlate {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::IcmpPacket;
using testing::Ip;
using testing::kMs;
using testing::kSec;
using testing::kT0;
using testing::NeighbourPacket;
using ::testing::Not;
using ::testing::SizeIs;

// The story of issue 10's host-absent fault: a connect to an address on this host's link that
// nobody has. The kernel asks three times a second apart, drops the SYN it held back, tells
// itself on lo (ICMP host-unreachable from this host quoting the SYN) and fails the connect
// with EHOSTUNREACH; no SYN ever reaches the wire.
class NeighbourRulesTest : public ::testing::TestWithParam<bool> {
 protected:
  bool v6() const { return GetParam(); }
  IpAddress Absent() const { return Ip(v6() ? "fd71:1::99" : "10.71.1.99"); }

  ConnectOutcome Outcome(const Endpoint& to, TimeNs duration, int error = EHOSTUNREACH) {
    ConnectOutcome o;
    o.call = testing::Call(7, "connect", 3, kT0, kT0 + duration, error);
    o.call.address = to;
    o.error = error;
    o.flow = FlowKey{Transport::kTcp, c, to};
    o.end_ns = kT0 + duration;
    return o;
  }
  // Unanswered requests from `asker` for `target`: ids first.., one a second from kT0 + 1 ms.
  void Ask(uint64_t first, const IpAddress& asker, const IpAddress& target, int count = 3) {
    for (int i = 0; i < count; ++i) {
      ctx.neighbours.Add(NeighbourPacket(first + static_cast<uint64_t>(i),
                                         kT0 + kMs + static_cast<TimeNs>(i) * kSec, asker, target));
    }
  }
  // This host's own host-unreachable about `flow` (v4 3/1, v6 1/3 address-unreachable).
  void LocalUnreachable(uint64_t id, TimeNs ts, const FlowKey& flow) {
    table.Add(IcmpPacket(
        id, ts, w.client, w.client, flow, v6() ? 1 : 3, v6() ? 3 : 1,
        flow.transport == Transport::kTcp ? std::optional<uint32_t>(1000) : std::nullopt));
  }
  const TcpConnection* Attempt(const Endpoint& to) {
    const FlowRecord* f = table.Find(NormalizedFlowKey::From(Transport::kTcp, c, to));
    return f && !f->tcp.empty() ? &f->tcp.back() : nullptr;
  }

  testing::World w = testing::World::Make(GetParam());
  Endpoint c = w.Client(40000);
  Endpoint absent = Endpoint{Absent(), 80};
  FlowTable table;
  testing::TestContext ctx;
};

TEST_P(NeighbourRulesTest, UnansweredRequestsForAnOnLinkDestination) {
  Ask(1, w.client, Absent());
  LocalUnreachable(4, kT0 + 3 * kSec + 2 * kMs, FlowKey{Transport::kTcp, c, absent});
  auto f = DecideConnect(Outcome(absent, 3 * kSec + 3 * kMs), Attempt(absent), ctx.get());
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->kind, FindingKind::kNeighbourUnreachable);
  EXPECT_EQ(f->severity, FindingSeverity::kFailure);
  EXPECT_EQ(f->outcome_error, EHOSTUNREACH);
  // The requests and the kernel's own report of the failure.
  EXPECT_THAT(f->evidence, ElementsAre(1, 2, 3, 4));
  const std::string protocol = v6() ? "neighbour discovery" : "ARP";
  EXPECT_THAT(f->summary, HasSubstr("no host answered " + protocol + " for " + Absent().ToString() +
                                    " (3 requests in 2.00 s)"));
  EXPECT_THAT(f->summary, Not(HasSubstr("firewall")));
  EXPECT_THAT(f->hint, HasSubstr("ip neigh show " + Absent().ToString()));
  EXPECT_THAT(f->hint, HasSubstr("VLAN"));
  ASSERT_TRUE(f->neighbour.has_value());
  EXPECT_EQ(f->neighbour->next_hop, Absent());
  EXPECT_EQ(f->neighbour->v6, v6());
  EXPECT_EQ(f->neighbour->requests, 3u);
  EXPECT_EQ(f->neighbour->first_ns, kT0 + kMs);
  EXPECT_EQ(f->neighbour->last_ns, kT0 + kMs + 2 * kSec);
  EXPECT_FALSE(f->neighbour->answered);
}

TEST_P(NeighbourRulesTest, UnansweredGatewayIsTheNextHopOfAnOffLinkDestination) {
  const Endpoint server = w.Server(80);
  Ask(1, w.client, w.router);
  auto f = DecideConnect(Outcome(server, 3 * kSec + 3 * kMs), nullptr, ctx.get());
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->kind, FindingKind::kNeighbourUnreachable);
  EXPECT_EQ(f->neighbour->next_hop, w.router);
  EXPECT_THAT(f->summary, HasSubstr(w.router.ToString() + " (the next hop towards " +
                                    w.server.ToString() + ")"));
  EXPECT_THAT(f->hint, HasSubstr("the gateway " + w.router.ToString()));
  EXPECT_THAT(f->evidence, ElementsAre(1, 2, 3));
}

TEST_P(NeighbourRulesTest, AnotherHostsUnansweredRequestsAreNotOurNextHop) {
  // On a shared segment another host asking for something absent proves nothing about us.
  Ask(1, Ip(v6() ? "fd71:1::5" : "10.71.1.5"), w.router);
  auto f = DecideConnect(Outcome(w.Server(80), 3 * kSec), nullptr, ctx.get());
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->kind, FindingKind::kUnexplained);
  EXPECT_THAT(f->unexplained_reason, HasSubstr("no unanswered request"));
}

TEST_P(NeighbourRulesTest, LocalHostUnreachableWithoutArpIsNotAFirewall) {
  // A capture without address resolution (an old one, or filtered): the shape of a failed
  // resolution, without its proof.
  LocalUnreachable(1, kT0 + 3 * kSec + 2 * kMs, FlowKey{Transport::kTcp, c, absent});
  auto f = DecideConnect(Outcome(absent, 3 * kSec + 3 * kMs), Attempt(absent), ctx.get());
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->kind, FindingKind::kUnexplained);
  EXPECT_EQ(f->severity, FindingSeverity::kFailure);
  EXPECT_THAT(f->summary, Not(HasSubstr("firewall")));
  EXPECT_THAT(f->unexplained_reason, HasSubstr("this host reported it host-unreachable"));
  EXPECT_THAT(f->unexplained_reason, HasSubstr("ARP/neighbour discovery"));
  EXPECT_THAT(f->evidence, ElementsAre(1));
  // Nothing at all captured: the same, with nothing to cite.
  auto bare = DecideConnect(Outcome(absent, 3 * kSec), nullptr, ctx.get());
  ASSERT_TRUE(bare.has_value());
  EXPECT_EQ(bare->kind, FindingKind::kUnexplained);
  EXPECT_THAT(bare->evidence, ::testing::IsEmpty());
}

TEST_P(NeighbourRulesTest, AnImmediateLocalRejectIsStillTheFirewall) {
  // REJECT --reject-with icmp-host-unreachable in OUTPUT answers at once, with no ARP.
  ctx.local.Add(w.client);
  LocalUnreachable(1, kT0 + kMs, FlowKey{Transport::kTcp, c, absent});
  auto f = DecideConnect(Outcome(absent, 2 * kMs), Attempt(absent), ctx.get());
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->kind, FindingKind::kIcmpUnreachable);
  EXPECT_THAT(f->summary, HasSubstr("rejected by this host's firewall"));
}

TEST_P(NeighbourRulesTest, AnsweredResolutionIsNotTheCause) {
  Ask(1, w.client, Absent(), 1);
  ctx.neighbours.Add(NeighbourPacket(2, kT0 + 2 * kMs, w.client, Absent(), /*reply=*/true));
  auto f = DecideConnect(Outcome(absent, 3 * kSec), nullptr, ctx.get());
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->kind, FindingKind::kUnexplained);
  EXPECT_THAT(f->unexplained_reason, HasSubstr(Absent().ToString() + " answered"));
}

TEST_P(NeighbourRulesTest, ConnectedUdpSendLearnsOfTheFailureLater) {
  // send() queued the datagram at kT0; the resolution failed ~3 s later and this host's ICMP set
  // the socket's error, which the next send() returns.
  const Endpoint dns{Absent(), 53};
  const FlowKey flow{Transport::kUdp, w.Client(40001), dns};
  Ask(1, w.client, Absent());
  LocalUnreachable(4, kT0 + 3 * kSec + 2 * kMs, flow);
  SyscallEvent send =
      testing::Call(9, "sendto", 4, kT0 + 5 * kSec, kT0 + 5 * kSec + 20'000, EHOSTUNREACH);
  send.socket = testing::UdpSocket(77, flow.local, dns);
  const FlowRecord* record = table.Find(NormalizedFlowKey::From(flow));
  ASSERT_NE(record, nullptr);
  auto f = DecideUdpError(send, flow, record, ctx.get());
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->kind, FindingKind::kNeighbourUnreachable);
  EXPECT_EQ(f->call.id, 9u);
  EXPECT_THAT(f->evidence, ElementsAre(1, 2, 3, 4));
  EXPECT_THAT(f->summary, HasSubstr("sendto()"));
}

INSTANTIATE_TEST_SUITE_P(IpVersions, NeighbourRulesTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "v6" : "v4";
                         });

// The correlator keeps what the capture showed of address resolution and the connect finds it.
using NeighbourCorrelatorTest = testing::CorrelatorTest;

TEST_P(NeighbourCorrelatorTest, OneFindingForAConnectToAnAbsentHost) {
  const Endpoint absent{Ip(w.v6 ? "fd71:1::99" : "10.71.1.99"), 80};
  for (uint64_t i = 0; i < 3; ++i) {
    corr.AddPacket(
        NeighbourPacket(i + 1, kT0 + kMs + static_cast<TimeNs>(i) * kSec, w.client, absent.addr));
  }
  corr.AddPacket(IcmpPacket(4, kT0 + 3 * kSec + 2 * kMs, w.client, w.client,
                            FlowKey{Transport::kTcp, c, absent}, w.v6 ? 1 : 3, w.v6 ? 3 : 1, 1000));
  corr.AddSyscall(Connect(10, kT0, kT0 + 3 * kSec + 3 * kMs, EHOSTUNREACH, c, absent));
  corr.AddSyscall(OnTcp(11, "close", kT0 + 3 * kSec + 4 * kMs, kT0 + 3 * kSec + 4 * kMs, 0, 0));
  std::vector<Finding> f = All();
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_EQ(f[0].kind, FindingKind::kNeighbourUnreachable);
  EXPECT_EQ(f[0].call.id, 10u);
  EXPECT_THAT(f[0].evidence, ElementsAre(1, 2, 3, 4));
}

INSTANTIATE_TEST_SUITE_P(IpVersions, NeighbourCorrelatorTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "v6" : "v4";
                         });

}  // namespace
}  // namespace netcorr::correlate
