#include "correlate/tcp_connect_rules.h"

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
using testing::TcpPacket;

class ConnectRulesTest : public ::testing::TestWithParam<bool> {
 protected:
  ConnectOutcome Outcome(int error, TimeNs duration,
                         ConnectOutcome::Ending ending = ConnectOutcome::Ending::kReturned) {
    ConnectOutcome o;
    o.call = testing::Call(7, "connect", 3, kT0, kT0 + duration, error);
    o.call.address = s;
    o.ending = ending;
    o.error = error;
    o.flow = FlowKey{Transport::kTcp, c, s};
    o.end_ns = kT0 + duration;
    return o;
  }
  const TcpConnection* Attempt() {
    const FlowRecord* f = table.Find(NormalizedFlowKey::From(Transport::kTcp, c, s));
    return f && !f->tcp.empty() ? &f->tcp.back() : nullptr;
  }

  testing::World w = testing::World::Make(GetParam());
  Endpoint c = w.Client(40000);
  Endpoint s = w.Server(81);
  FlowTable table;
  testing::TestContext ctx;
};

TEST_P(ConnectRulesTest, SynAnsweredByRstIsRefused) {
  table.Add(TcpPacket(1, kT0 + kMs, c, s, kTcpSyn, 1000));
  table.Add(TcpPacket(2, kT0 + 2 * kMs, s, c, kTcpRst | kTcpAck, 0, 1001));
  auto f = DecideConnect(Outcome(ECONNREFUSED, 3 * kMs), Attempt(), ctx.get());
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->kind, FindingKind::kRefusedByRst);
  EXPECT_EQ(f->call.id, 7u);
  EXPECT_THAT(f->evidence, ElementsAre(1, 2));
  EXPECT_THAT(f->summary, HasSubstr("RST"));
  EXPECT_THAT(f->hint, HasSubstr("nothing listens on " + s.ToString()));
  EXPECT_EQ(f->severity, FindingSeverity::kFailure);
}

TEST_P(ConnectRulesTest, SynRetriedThenTimedOut) {
  table.Add(TcpPacket(1, kT0 + kMs, c, s, kTcpSyn, 1000));
  table.Add(TcpPacket(2, kT0 + 1001 * kMs, c, s, kTcpSyn, 1000));
  table.Add(TcpPacket(3, kT0 + 3001 * kMs, c, s, kTcpSyn, 1000));
  auto f = DecideConnect(Outcome(ETIMEDOUT, 7 * kSec), Attempt(), ctx.get());
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->kind, FindingKind::kSynUnanswered);
  EXPECT_THAT(f->evidence, ElementsAre(1, 2, 3));
  EXPECT_THAT(f->summary, HasSubstr("SYN sent 3 times"));
  EXPECT_THAT(f->summary, HasSubstr("+1.00 s, +3.00 s"));
  EXPECT_THAT(f->summary, HasSubstr("no SYN-ACK"));
  ASSERT_TRUE(f->handshake.has_value());
  EXPECT_EQ(f->handshake->syn_count, 3u);
  EXPECT_THAT(f->handshake->syn_times, ElementsAre(kT0 + kMs, kT0 + 1001 * kMs, kT0 + 3001 * kMs));
}

TEST_P(ConnectRulesTest, StillBlockedAtTheEnd) {
  for (uint64_t i = 0; i < 5; ++i) {
    table.Add(TcpPacket(i + 1, kT0 + kMs + i * kSec, c, s, kTcpSyn, 1000));
  }
  ConnectOutcome o = Outcome(0, 21300 * kMs, ConnectOutcome::Ending::kStillBlocked);
  o.call.finished = false;
  auto f = DecideConnect(o, Attempt(), ctx.get());
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->kind, FindingKind::kSynUnanswered);
  EXPECT_THAT(f->summary, HasSubstr("21.3 s"));
  EXPECT_THAT(f->summary, HasSubstr("SYN sent 5 times"));
}

TEST_P(ConnectRulesTest, AppGaveUpNamesThePoll) {
  table.Add(TcpPacket(1, kT0 + kMs, c, s, kTcpSyn, 1000));
  table.Add(TcpPacket(2, kT0 + 1001 * kMs, c, s, kTcpSyn, 1000));
  ConnectOutcome o = Outcome(EINPROGRESS, kMs, ConnectOutcome::Ending::kAppGaveUp);
  o.error = 0;
  o.resolved_by = testing::Call(8, "poll", -1, kT0 + kMs, kT0 + 2 * kSec);
  o.end_ns = kT0 + 2 * kSec;
  auto f = DecideConnect(o, Attempt(), ctx.get());
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->kind, FindingKind::kSynUnanswered);
  EXPECT_THAT(f->summary, HasSubstr("abandoned by the program"));
  EXPECT_THAT(f->summary, HasSubstr("poll() timed out"));
  ASSERT_TRUE(f->resolved_by.has_value());
  EXPECT_EQ(f->resolved_by->id, 8u);
  EXPECT_EQ(f->outcome_error, ETIMEDOUT);
}

TEST_P(ConnectRulesTest, ConnectedIsNotAFinding) {
  table.Add(TcpPacket(1, kT0 + kMs, c, s, kTcpSyn, 1000));
  table.Add(TcpPacket(2, kT0 + 2 * kMs, s, c, kTcpSyn | kTcpAck, 5, 1001));
  EXPECT_FALSE(DecideConnect(Outcome(0, 3 * kMs), Attempt(), ctx.get()).has_value());
}

struct IcmpCase {
  uint8_t type;
  uint8_t code;
  int error;
  const char* description;
  const char* hint_word;
};

TEST_P(ConnectRulesTest, IcmpFromAHopOfEachCode) {
  const std::vector<IcmpCase> v4 = {
      {3, 0, ENETUNREACH, "net-unreachable", "no route"},
      {3, 1, EHOSTUNREACH, "host-unreachable", "cannot reach"},
      {3, 3, ECONNREFUSED, "port-unreachable", "rejects"},
      {3, 9, EACCES, "net-prohibited", "firewall"},
      {3, 10, EACCES, "host-prohibited", "firewall"},
      {3, 13, EHOSTUNREACH, "admin-prohibited", "firewall"},
      {11, 0, EHOSTUNREACH, "ttl-exceeded", "traceroute"},
  };
  const std::vector<IcmpCase> v6 = {
      {1, 0, ENETUNREACH, "no-route", "no route"},
      {1, 1, EACCES, "admin-prohibited", "firewall"},
      {1, 3, EHOSTUNREACH, "addr-unreachable", "cannot reach"},
      {1, 4, ECONNREFUSED, "port-unreachable", "rejects"},
      {1, 5, EACCES, "policy-failed", "firewall"},
      {3, 0, EHOSTUNREACH, "hop-limit-exceeded", "traceroute"},
  };
  for (const IcmpCase& k : w.v6 ? v6 : v4) {
    SCOPED_TRACE(k.description);
    FlowTable t;
    t.Add(TcpPacket(1, kT0 + kMs, c, s, kTcpSyn, 1000));
    t.Add(IcmpPacket(2, kT0 + 2 * kMs, w.router, w.client, FlowKey{Transport::kTcp, c, s}, k.type,
                     k.code, 1000));
    const TcpConnection* a = &t.Find(NormalizedFlowKey::From(Transport::kTcp, c, s))->tcp[0];
    auto f = DecideConnect(Outcome(k.error, 3 * kMs), a, ctx.get());
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(f->kind, FindingKind::kIcmpUnreachable);
    EXPECT_THAT(f->evidence, ElementsAre(1, 2));
    EXPECT_THAT(f->summary, HasSubstr(k.description));
    EXPECT_THAT(f->summary, HasSubstr(w.router.ToString()));
    EXPECT_THAT(f->summary, HasSubstr("hop"));
    EXPECT_THAT(f->hint, HasSubstr(k.hint_word));
    ASSERT_TRUE(f->icmp.has_value());
    EXPECT_EQ(f->icmp->sender, w.router);
    EXPECT_EQ(f->icmp->sender_role, IcmpSenderRole::kHop);
    EXPECT_EQ(f->icmp->code, k.code);
  }
}

TEST_P(ConnectRulesTest, IcmpFromTheDestination) {
  table.Add(TcpPacket(1, kT0 + kMs, c, s, kTcpSyn, 1000));
  table.Add(IcmpPacket(2, kT0 + 2 * kMs, w.server, w.client, FlowKey{Transport::kTcp, c, s},
                       w.v6 ? 1 : 3, w.v6 ? 1 : 13, 1000));
  auto f = DecideConnect(Outcome(EHOSTUNREACH, 3 * kMs), Attempt(), ctx.get());
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->kind, FindingKind::kIcmpUnreachable);
  EXPECT_EQ(f->icmp->sender_role, IcmpSenderRole::kDestination);
  EXPECT_THAT(f->summary, HasSubstr("the destination itself"));
  EXPECT_THAT(f->summary, ::testing::Not(HasSubstr("hop")));
}

// Linux treats host-unreachable in SYN-SENT as soft (RFC 1122 4.2.3.9): it retransmits the SYN
// and fails on the next error. Both SYN/ICMP pairs explain the one failed connect.
TEST_P(ConnectRulesTest, EveryIcmpErrorAboutTheAttemptIsEvidence) {
  table.Add(TcpPacket(1, kT0 + kMs, c, s, kTcpSyn, 1000));
  table.Add(IcmpPacket(2, kT0 + 2 * kMs, w.router, w.client, FlowKey{Transport::kTcp, c, s},
                       w.v6 ? 1 : 3, w.v6 ? 3 : 1, 1000));
  table.Add(TcpPacket(3, kT0 + 1000 * kMs, c, s, kTcpSyn, 1000));
  table.Add(IcmpPacket(4, kT0 + 1001 * kMs, w.router, w.client, FlowKey{Transport::kTcp, c, s},
                       w.v6 ? 1 : 3, w.v6 ? 3 : 1, 1000));
  auto f = DecideConnect(Outcome(EHOSTUNREACH, 1002 * kMs), Attempt(), ctx.get());
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->kind, FindingKind::kIcmpUnreachable);
  EXPECT_THAT(f->evidence, ElementsAre(1, 2, 3, 4));
}

TEST_P(ConnectRulesTest, RejectedByThisHostsFirewall) {
  ctx.local.Add(w.client);
  // REJECT in OUTPUT: the SYN never reaches the interface; the ICMP comes from this host.
  table.Add(IcmpPacket(1, kT0 + kMs, w.client, w.client, FlowKey{Transport::kTcp, c, s},
                       w.v6 ? 1 : 3, w.v6 ? 1 : 13, 1000));
  auto f = DecideConnect(Outcome(EHOSTUNREACH, 2 * kMs), Attempt(), ctx.get());
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->kind, FindingKind::kIcmpUnreachable);
  EXPECT_EQ(f->icmp->sender_role, IcmpSenderRole::kThisHost);
  EXPECT_THAT(f->summary, HasSubstr("rejected by this host's firewall"));
  EXPECT_THAT(f->hint, HasSubstr("OUTPUT"));
  EXPECT_THAT(f->evidence, ElementsAre(1));
}

TEST_P(ConnectRulesTest, NoRouteSendsNothing) {
  auto f = DecideConnect(Outcome(ENETUNREACH, kMs), nullptr, ctx.get());
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->kind, FindingKind::kNoPacketSent);
  EXPECT_THAT(f->summary, HasSubstr("no route to " + w.server.ToString()));
  EXPECT_THAT(f->hint, HasSubstr("ip route get"));
  EXPECT_TRUE(f->evidence.empty());
}

// Without the ARP/ND requests in the capture a failed resolution is only a guess
// (neighbour_rules_test.cc has the cases with them).
TEST_P(ConnectRulesTest, HostUnreachableAfterSecondsWithoutArpIsUnexplained) {
  auto f = DecideConnect(Outcome(EHOSTUNREACH, 3 * kSec), nullptr, ctx.get());
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->kind, FindingKind::kUnexplained);
  EXPECT_THAT(f->unexplained_reason, HasSubstr("ARP/neighbour discovery"));
  auto quick = DecideConnect(Outcome(EHOSTUNREACH, kMs), nullptr, ctx.get());
  ASSERT_TRUE(quick.has_value());
  EXPECT_EQ(quick->kind, FindingKind::kNoPacketSent);
  EXPECT_THAT(quick->summary, ::testing::Not(HasSubstr("ARP")));
}

TEST_P(ConnectRulesTest, TimeoutWithNoSynOnTheWireIsALocalDrop) {
  auto f = DecideConnect(Outcome(ETIMEDOUT, 127 * kSec), nullptr, ctx.get());
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->kind, FindingKind::kNoPacketSent);
  EXPECT_THAT(f->summary, HasSubstr("OUTPUT chain DROP"));
  auto eperm = DecideConnect(Outcome(EPERM, kMs), nullptr, ctx.get());
  ASSERT_TRUE(eperm.has_value());
  EXPECT_EQ(eperm->kind, FindingKind::kNoPacketSent);
  EXPECT_THAT(eperm->summary, HasSubstr("firewall"));
  auto addr = DecideConnect(Outcome(EADDRNOTAVAIL, kMs), nullptr, ctx.get());
  ASSERT_TRUE(addr.has_value());
  EXPECT_EQ(addr->kind, FindingKind::kNoPacketSent);
}

TEST_P(ConnectRulesTest, NoCaptureMeansUnexplainedNotNoPacket) {
  ctx.capture.available = false;
  ctx.capture.unavailable_reason = "no CAP_NET_RAW";
  auto f = DecideConnect(Outcome(ETIMEDOUT, 127 * kSec), nullptr, ctx.get());
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->kind, FindingKind::kUnexplained);
  EXPECT_THAT(f->unexplained_reason, HasSubstr("no CAP_NET_RAW"));
}

TEST_P(ConnectRulesTest, KernelDropsMeanUnexplained) {
  ctx.capture.kernel_dropped = 5;
  auto f = DecideConnect(Outcome(ECONNREFUSED, kMs), nullptr, ctx.get());
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->kind, FindingKind::kUnexplained);
  EXPECT_THAT(f->summary, HasSubstr("lost 5 packets"));
}

TEST_P(ConnectRulesTest, RefusedWithNothingCapturedIsUnexplained) {
  auto f = DecideConnect(Outcome(ECONNREFUSED, kMs), nullptr, ctx.get());
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->kind, FindingKind::kUnexplained);
  EXPECT_THAT(f->unexplained_reason, HasSubstr("no RST or ICMP"));
}

TEST_P(ConnectRulesTest, OneInterfaceCapturedIsSaid) {
  ctx.options.capture_interface = "eth1";
  auto f = DecideConnect(Outcome(ETIMEDOUT, 3 * kSec), nullptr, ctx.get());
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->kind, FindingKind::kUnexplained);
  EXPECT_THAT(f->unexplained_reason, HasSubstr("only interface eth1"));
}

INSTANTIATE_TEST_SUITE_P(V4AndV6, ConnectRulesTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "IPv6" : "IPv4"; });

}  // namespace
}  // namespace netcorr::correlate
