#include "correlate/flow_state.h"

#include "correlate/test_util.h"
#include "gtest/gtest.h"

namespace netcorr::correlate {
namespace {

using testing::DnsPacket;
using testing::Ep;
using testing::IcmpPacket;
using testing::kMs;
using testing::kSec;
using testing::kT0;
using testing::TcpPacket;
using testing::UdpPacket;

class FlowStateTest : public ::testing::TestWithParam<bool> {
 protected:
  testing::World w = testing::World::Make(GetParam());
  Endpoint c = w.Client(40000);
  Endpoint s = w.Server(80);
  NormalizedFlowKey key = NormalizedFlowKey::From(Transport::kTcp, c, s);
  int local = key.SideOf(c);
  int remote = key.SideOf(s);
};

TEST_P(FlowStateTest, BothDirectionsLandOnOneKey) {
  EXPECT_EQ(NormalizedFlowKey::From(Transport::kTcp, c, s),
            NormalizedFlowKey::From(Transport::kTcp, s, c));
  EXPECT_NE(local, remote);
  EXPECT_GE(local, 0);
  EXPECT_GE(remote, 0);
}

TEST_P(FlowStateTest, SynRetransmissionsCountedByIsn) {
  FlowTable t;
  t.Add(TcpPacket(1, kT0, c, s, kTcpSyn, 1000));
  t.Add(TcpPacket(2, kT0 + 1 * kSec, c, s, kTcpSyn, 1000));
  t.Add(TcpPacket(3, kT0 + 3 * kSec, c, s, kTcpSyn, 1000));
  const FlowRecord* f = t.Find(key);
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(f->tcp.size(), 1u);
  EXPECT_EQ(f->tcp[0].syns.total(), 3u);
  EXPECT_EQ(f->tcp[0].initiator_side, local);
  EXPECT_FALSE(f->tcp[0].syn_ack.has_value());
}

TEST_P(FlowStateTest, NewIsnOnSameTupleIsANewConnection) {
  FlowTable t;
  t.Add(TcpPacket(1, kT0, c, s, kTcpSyn, 1000));
  t.Add(TcpPacket(2, kT0 + kMs, s, c, kTcpRst | kTcpAck, 0, 1001));
  t.Add(TcpPacket(3, kT0 + 5 * kSec, c, s, kTcpSyn, 777777));
  const FlowRecord* f = t.Find(key);
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(f->tcp.size(), 2u);
  EXPECT_TRUE(f->tcp[0].RstRefusesSyn(remote));
  EXPECT_FALSE(f->tcp[1].dir[remote].rst.has_value());
  EXPECT_EQ(f->tcp[1].isn, TcpSeq(777777));
}

TEST_P(FlowStateTest, RstRecordedBeforeSynIsAdopted) {
  FlowTable t;
  t.Add(TcpPacket(2, kT0 + 50'000, s, c, kTcpRst | kTcpAck, 0, 5001));
  t.Add(TcpPacket(1, kT0, c, s, kTcpSyn, 5000));
  const FlowRecord* f = t.Find(key);
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(f->tcp.size(), 1u);
  EXPECT_TRUE(f->tcp[0].RstRefusesSyn(remote));
  EXPECT_EQ(f->tcp[0].first_ts, kT0);
}

TEST_P(FlowStateTest, RstNotAcknowledgingSynDoesNotRefuse) {
  FlowTable t;
  t.Add(TcpPacket(1, kT0, c, s, kTcpSyn, 5000));
  t.Add(TcpPacket(2, kT0 + kMs, s, c, kTcpRst | kTcpAck, 0, 9999));
  EXPECT_FALSE(t.Find(key)->tcp[0].RstRefusesSyn(remote));
}

TEST_P(FlowStateTest, DataRetransmissionsAndBytes) {
  FlowTable t;
  t.Add(TcpPacket(1, kT0, c, s, kTcpSyn, 100));
  t.Add(TcpPacket(2, kT0 + kMs, s, c, kTcpSyn | kTcpAck, 900, 101));
  t.Add(TcpPacket(3, kT0 + 2 * kMs, c, s, kTcpAck, 101, 901));
  t.Add(TcpPacket(4, kT0 + 3 * kMs, c, s, kTcpAck | kTcpPsh, 101, 901, 100));
  t.Add(TcpPacket(5, kT0 + 4 * kMs, s, c, kTcpAck, 901, 201));
  t.Add(TcpPacket(6, kT0 + 5 * kMs, c, s, kTcpAck | kTcpPsh, 201, 901, 1400));
  t.Add(TcpPacket(7, kT0 + 205 * kMs, c, s, kTcpAck | kTcpPsh, 201, 901, 1400));
  t.Add(TcpPacket(8, kT0 + 605 * kMs, c, s, kTcpAck | kTcpPsh, 201, 901, 1400));
  const TcpConnection& conn = t.Find(key)->tcp[0];
  EXPECT_TRUE(conn.handshake_ack.has_value());
  EXPECT_EQ(conn.dir[local].bytes, 1500u);
  EXPECT_EQ(conn.dir[local].retransmits.total(), 2u);
  EXPECT_EQ(conn.dir[local].largest_retransmitted, 1400u);
  EXPECT_EQ(conn.dir[local].largest_acked, 100u);
  // The lost segment is still in flight, marked as sent again, with its first send's time.
  ASSERT_EQ(conn.dir[local].in_flight.size(), 1u);
  EXPECT_TRUE(conn.dir[local].in_flight.front().retransmitted);
  EXPECT_EQ(conn.dir[local].in_flight.front().first_ts, kT0 + 5 * kMs);
}

TEST_P(FlowStateTest, RetransmissionDetectedAcrossSequenceWrap) {
  FlowTable t;
  const uint32_t isn = 0xffffff00u;
  t.Add(TcpPacket(1, kT0, c, s, kTcpSyn, isn));
  t.Add(TcpPacket(2, kT0 + kMs, s, c, kTcpSyn | kTcpAck, 1, isn + 1));
  t.Add(TcpPacket(3, kT0 + 2 * kMs, c, s, kTcpAck | kTcpPsh, isn + 1, 2, 1000));  // wraps
  t.Add(TcpPacket(4, kT0 + 300 * kMs, c, s, kTcpAck | kTcpPsh, isn + 1, 2, 1000));
  const TcpConnection& conn = t.Find(key)->tcp[0];
  EXPECT_EQ(conn.dir[local].retransmits.total(), 1u);
  EXPECT_EQ(conn.dir[local].bytes, 1000u);
}

TEST_P(FlowStateTest, KeepaliveIsNotARetransmission) {
  FlowTable t;
  t.Add(TcpPacket(1, kT0, c, s, kTcpSyn, 100));
  t.Add(TcpPacket(2, kT0 + kMs, s, c, kTcpSyn | kTcpAck, 900, 101));
  t.Add(TcpPacket(3, kT0 + 2 * kMs, c, s, kTcpAck | kTcpPsh, 101, 901, 10));
  t.Add(TcpPacket(4, kT0 + 3 * kMs, s, c, kTcpAck, 901, 111));
  t.Add(TcpPacket(5, kT0 + 60 * kSec, c, s, kTcpAck, 110, 901, 1));  // SEG.SEQ = SND.NXT-1
  EXPECT_EQ(t.Find(key)->tcp[0].dir[local].retransmits.total(), 0u);
}

TEST_P(FlowStateTest, IcmpMatchedByEmbeddedHeader) {
  FlowTable t;
  t.Add(TcpPacket(1, kT0, c, s, kTcpSyn, 4242));
  t.Add(IcmpPacket(2, kT0 + kMs, w.router, w.client, FlowKey{Transport::kTcp, c, s}, w.v6 ? 1 : 3,
                   w.v6 ? 3 : 1, 4242));
  const FlowRecord* f = t.Find(key);
  ASSERT_EQ(f->tcp.size(), 1u);
  ASSERT_EQ(f->tcp[0].icmp.size(), 1u);
  EXPECT_EQ(f->tcp[0].icmp[0].error.sender, w.router);
  EXPECT_EQ(f->tcp[0].icmp[0].ref.id, 2u);
}

TEST_P(FlowStateTest, IcmpWithoutSynStartsAnAttempt) {
  FlowTable t;
  t.Add(IcmpPacket(1, kT0, w.client, w.client, FlowKey{Transport::kTcp, c, s}, w.v6 ? 1 : 3,
                   w.v6 ? 1 : 13, 4242));
  const FlowRecord* f = t.Find(key);
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(f->tcp.size(), 1u);
  EXPECT_FALSE(f->tcp[0].has_syn);
  EXPECT_EQ(f->tcp[0].icmp.size(), 1u);
}

TEST_P(FlowStateTest, UdpUnansweredResetByReply) {
  FlowTable t;
  const Endpoint dns = w.Server(53);
  const NormalizedFlowKey k = NormalizedFlowKey::From(Transport::kUdp, c, dns);
  t.Add(UdpPacket(1, kT0, c, dns, 30));
  t.Add(UdpPacket(2, kT0 + kSec, c, dns, 30));
  EXPECT_EQ(t.Find(k)->udp.unanswered[k.SideOf(c)].total(), 2u);
  t.Add(UdpPacket(3, kT0 + 2 * kSec, dns, c, 80));
  EXPECT_EQ(t.Find(k)->udp.unanswered[k.SideOf(c)].total(), 0u);
  EXPECT_EQ(t.Find(k)->udp.unanswered[k.SideOf(dns)].total(), 1u);
  EXPECT_EQ(t.Find(k)->udp.bytes[k.SideOf(c)], 60u);
}

TEST_P(FlowStateTest, DnsMatchedById) {
  FlowTable t;
  const Endpoint dns = w.Server(53);
  const NormalizedFlowKey k = NormalizedFlowKey::From(Transport::kUdp, c, dns);
  t.Add(DnsPacket(1, kT0, c, dns, 0x1234, false, "example.test"));
  t.Add(DnsPacket(2, kT0 + kSec, c, dns, 0x1234, false, "example.test"));
  t.Add(DnsPacket(3, kT0 + 2 * kSec, c, dns, 0x9999, false, "other.test"));
  t.Add(DnsPacket(4, kT0 + 2 * kSec + kMs, dns, c, 0x1234, true, "example.test", 2));
  const FlowRecord* f = t.Find(k);
  ASSERT_EQ(f->dns.size(), 2u);
  EXPECT_EQ(f->dns[0].queries.total(), 2u);
  ASSERT_TRUE(f->dns[0].response.has_value());
  EXPECT_EQ(f->dns[0].response->id, 4u);
  EXPECT_EQ(f->dns[0].rcode, 2);
  EXPECT_FALSE(f->dns[1].response.has_value());
}

TEST_P(FlowStateTest, ExpiryKeepsOpenSocketsAndForgetsClosedFlows) {
  FlowTable t;
  const Endpoint c2 = w.Client(40001);
  t.Add(TcpPacket(1, kT0, c, s, kTcpSyn, 1));
  t.Add(TcpPacket(2, kT0 + kMs, s, c, kTcpRst | kTcpAck, 0, 2));
  t.Add(TcpPacket(3, kT0, c2, s, kTcpSyn, 1));
  t.Add(TcpPacket(4, kT0 + kMs, s, c2, kTcpRst | kTcpAck, 0, 2));
  const NormalizedFlowKey k2 = NormalizedFlowKey::From(Transport::kTcp, c2, s);
  EXPECT_EQ(t.size(), 2u);
  const size_t n = t.Expire(kT0 + kSec, kT0 - kSec, [&](const NormalizedFlowKey& k) {
    return k == k2 ? FlowTable::FlowUse::kOpenSocket : FlowTable::FlowUse::kUnknown;
  });
  EXPECT_EQ(n, 1u);
  EXPECT_EQ(t.Find(key), nullptr);
  EXPECT_NE(t.Find(k2), nullptr);
  EXPECT_TRUE(t.FindByRemote(Transport::kTcp, s).size() == 1);
}

TEST_P(FlowStateTest, MemoryBoundedForEndlessSyns) {
  FlowTable t;
  for (uint64_t i = 0; i < 10000; ++i) t.Add(TcpPacket(i + 1, kT0 + i * kMs, c, s, kTcpSyn, 1));
  const TcpConnection& conn = t.Find(key)->tcp[0];
  EXPECT_EQ(conn.syns.total(), 10000u);
  EXPECT_EQ(conn.syns.items().size(), RefList::kMax);
}

TEST_P(FlowStateTest, ExplainedPacketsAreForgottenWithTheirFlow) {
  FlowTable t;
  t.Add(TcpPacket(1, kT0, c, s, kTcpSyn, 1));
  t.Add(TcpPacket(2, kT0 + kMs, s, c, kTcpRst | kTcpAck, 0, 2));
  t.FindMutable(key)->MarkExplained({1, 2}, 1);
  EXPECT_TRUE(t.Find(key)->Explained(2));
  EXPECT_FALSE(t.Find(key)->Explained(3));
  t.Expire(kT0 + kSec, kT0 + kSec,
           [](const NormalizedFlowKey&) { return FlowTable::FlowUse::kUnknown; });
  EXPECT_EQ(t.Find(key), nullptr);
  // The 5-tuple used again: a new record, nothing of the old one's explanations.
  t.Add(TcpPacket(3, kT0 + 2 * kSec, c, s, kTcpSyn, 1));
  EXPECT_FALSE(t.Find(key)->Explained(2));
}

INSTANTIATE_TEST_SUITE_P(V4AndV6, FlowStateTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "IPv6" : "IPv4"; });

}  // namespace
}  // namespace netcorr::correlate
