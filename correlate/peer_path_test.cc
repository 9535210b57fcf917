#include "correlate/peer_path.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "correlate/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace netcorr::correlate {
namespace {

using ::testing::ElementsAre;
using testing::Ep;
using ::testing::HasSubstr;
using testing::kMs;
using testing::kSec;
using testing::kT0;
using testing::TcpPacket;
using testing::UdpPacket;

const Endpoint kClient = Ep("10.71.1.2", 40000);
const Endpoint kHealthyClient = Ep("10.71.1.2", 39999);
const Endpoint kServer = Ep("10.71.2.2", 8080);
constexpr TimeNs kOffset = 6 * kSec;  // the peer's clock is 6 s ahead
constexpr TimeNs kOneWay = 1 * kMs;

// Our capture and a peer's, built side by side.
class Story {
 public:
  // A healthy exchange with `healthy` first, so that the clocks can be aligned.
  explicit Story(Endpoint healthy = kServer) : healthy_(healthy) {
    Both(TcpPacket(0, kT0, kHealthyClient, healthy, kTcpSyn, 10), true);
    Both(TcpPacket(0, kT0 + 2 * kMs, healthy, kHealthyClient, kTcpSyn | kTcpAck, 20, 11), false);
    Both(TcpPacket(0, kT0 + 3 * kMs, kHealthyClient, healthy, kTcpAck, 11, 21), true);
  }

  // A packet sent at `t` (our clock) seen by both captures.
  uint64_t Both(Packet p, bool from_us) {
    const uint64_t id = Ours(p);
    Peer(p, from_us);
    return id;
  }
  uint64_t Ours(Packet p) {
    p.id = ours_.size() + 1;
    ours_.push_back(p);
    return p.id;
  }
  uint64_t Peer(Packet p, bool from_us) {
    p.id = peer_.size() + 1;
    p.ts_ns += kOffset + (from_us ? kOneWay : -kOneWay);
    peer_.push_back(p);
    return p.id;
  }
  // Both captures keep recording until `t` (our clock): another flow's packet, seen by both.
  void PeerRecordsUntil(TimeNs t) {
    Packet other = TcpPacket(0, t, healthy_, Ep("10.71.2.9", 22), kTcpAck, 5, 5);
    Ours(other);
    Peer(other, false);
  }

  PeerCapture Capture(const std::string& name) const {
    LocalAddresses local;
    local.Add(kClient.addr);
    PeerCapture c{name, peer_, {}};
    c.alignment = AlignPeerClock(ours_, peer_, local);
    return c;
  }
  const std::vector<Packet>& ours() const { return ours_; }

 private:
  Endpoint healthy_;
  std::vector<Packet> ours_;
  std::vector<Packet> peer_;
};

Finding FindingOf(FindingKind kind, Transport t, std::vector<uint64_t> evidence,
                  TimeNs end = kT0 + 3 * kSec) {
  Finding f;
  f.kind = kind;
  f.flow = FlowKey{t, kClient, kServer};
  f.evidence = std::move(evidence);
  f.call = testing::Call(1, "connect", 3, kT0 + 1 * kSec, end);
  return f;
}

PathVerdict Judge(const Story& s, Finding f, std::vector<PeerCapture> peers) {
  std::vector<Finding> findings = {std::move(f)};
  JudgePaths(findings, s.ours(), peers);
  EXPECT_TRUE(findings[0].path.has_value());
  return findings[0].path.value_or(PathVerdict{});
}

Packet Syn(TimeNs t) { return TcpPacket(0, t, kClient, kServer, kTcpSyn, 1000); }
Packet SynAck(TimeNs t) { return TcpPacket(0, t, kServer, kClient, kTcpSyn | kTcpAck, 5000, 1001); }
Packet Rst(TimeNs t) { return TcpPacket(0, t, kServer, kClient, kTcpRst | kTcpAck, 0, 1001); }

TEST(PeerPath, SynsThatNeverReachedThePeerWereLostOnTheWayOut) {
  Story s;
  std::vector<uint64_t> syns;
  for (int i = 0; i < 3; ++i) syns.push_back(s.Ours(Syn(kT0 + (1 + i) * kSec)));
  s.PeerRecordsUntil(kT0 + 10 * kSec);
  const PathVerdict v =
      Judge(s, FindingOf(FindingKind::kSynUnanswered, Transport::kTcp, syns), {s.Capture("srv")});
  EXPECT_EQ(v.verdict, PathVerdictKind::kLostOnPathOut) << v.summary;
  ASSERT_EQ(v.peers.size(), 1u);
  EXPECT_EQ(v.peers[0].our_frames, syns);
  EXPECT_TRUE(v.peers[0].peer_frames.empty());
  EXPECT_THAT(v.hint, HasSubstr("srv"));
}

TEST(PeerPath, SynsThePeerReceivedAndNeverAnsweredWereDroppedByIt) {
  Story s;
  const uint64_t syn = s.Ours(Syn(kT0 + 1 * kSec));
  const uint64_t at_peer = s.Peer(Syn(kT0 + 1 * kSec), true);
  s.PeerRecordsUntil(kT0 + 10 * kSec);
  const PathVerdict v =
      Judge(s, FindingOf(FindingKind::kSynUnanswered, Transport::kTcp, {syn}), {s.Capture("srv")});
  EXPECT_EQ(v.verdict, PathVerdictKind::kDroppedByPeer) << v.peers[0].detail;
  EXPECT_THAT(v.peers[0].peer_frames, ElementsAre(at_peer));
  EXPECT_THAT(v.hint, HasSubstr("port 8080"));
}

TEST(PeerPath, AnAnswerThatNeverArrivedWasLostOnTheWayBack) {
  Story s;
  const uint64_t syn = s.Ours(Syn(kT0 + 1 * kSec));
  s.Peer(Syn(kT0 + 1 * kSec), true);
  const uint64_t answer = s.Peer(SynAck(kT0 + 1 * kSec + 3 * kMs), false);
  s.PeerRecordsUntil(kT0 + 10 * kSec);
  const PathVerdict v =
      Judge(s, FindingOf(FindingKind::kSynUnanswered, Transport::kTcp, {syn}), {s.Capture("srv")});
  EXPECT_EQ(v.verdict, PathVerdictKind::kLostOnPathBack) << v.peers[0].detail;
  EXPECT_THAT(v.peers[0].peer_frames, ::testing::Contains(answer));
}

TEST(PeerPath, AnRstThePeerNeverSentWasForgedOnThePath) {
  Story s;
  const uint64_t syn = s.Ours(Syn(kT0 + 1 * kSec));
  Packet rst = Rst(kT0 + 1 * kSec + 1 * kMs);
  rst.ttl = 64;  // one hop nearer than the server's would be
  const uint64_t rst_id = s.Ours(rst);
  s.PeerRecordsUntil(kT0 + 10 * kSec);
  const PathVerdict v = Judge(
      s, FindingOf(FindingKind::kRefusedByRst, Transport::kTcp, {syn, rst_id}), {s.Capture("srv")});
  EXPECT_EQ(v.verdict, PathVerdictKind::kForgedOnPath) << v.peers[0].detail;
  EXPECT_THAT(v.peers[0].our_frames, ElementsAre(rst_id));
  EXPECT_THAT(v.peers[0].detail, HasSubstr("TTL 64"));
}

TEST(PeerPath, AnRstThePeerSentIsConsistent) {
  Story s;
  const uint64_t syn = s.Both(Syn(kT0 + 1 * kSec), true);
  const uint64_t rst = s.Both(Rst(kT0 + 1 * kSec + 2 * kMs), false);
  s.PeerRecordsUntil(kT0 + 10 * kSec);
  const PathVerdict v = Judge(s, FindingOf(FindingKind::kRefusedByRst, Transport::kTcp, {syn, rst}),
                              {s.Capture("srv")});
  EXPECT_EQ(v.verdict, PathVerdictKind::kConsistent) << v.peers[0].detail;
}

TEST(PeerPath, RouterSawTheSynAndTheServerDidNot) {
  Story router, server;
  const uint64_t syn = router.Both(Syn(kT0 + 1 * kSec), true);
  server.Ours(Syn(kT0 + 1 * kSec));
  router.PeerRecordsUntil(kT0 + 10 * kSec);
  server.PeerRecordsUntil(kT0 + 10 * kSec);
  const PathVerdict v =
      Judge(router, FindingOf(FindingKind::kSynUnanswered, Transport::kTcp, {syn}),
            {router.Capture("router"), server.Capture("server")});
  EXPECT_EQ(v.verdict, PathVerdictKind::kLostOnPathOut);
  EXPECT_EQ(v.peers[0].verdict, PathVerdictKind::kDroppedByPeer);
  EXPECT_EQ(v.peers[1].verdict, PathVerdictKind::kLostOnPathOut);
  EXPECT_THAT(v.hint, HasSubstr("between router and server"));
}

// An ICMP error a router sends in its own name is honest: our packet stopped there.
TEST(PeerPath, AnIcmpErrorFromAHopSaysWhereOurPacketStopped) {
  Story router, server;
  const IpAddress hop = testing::Ip("10.71.1.1");
  const uint64_t syn = router.Both(Syn(kT0 + 1 * kSec), true);
  server.Ours(Syn(kT0 + 1 * kSec));
  const Packet icmp = testing::IcmpPacket(0, kT0 + 1 * kSec + 1 * kMs, hop, kClient.addr,
                                          FlowKey{Transport::kTcp, kClient, kServer}, 3, 1, 1000);
  const uint64_t icmp_id = router.Both(icmp, false);
  server.Ours(icmp);
  router.PeerRecordsUntil(kT0 + 10 * kSec);
  server.PeerRecordsUntil(kT0 + 10 * kSec);
  const PathVerdict v =
      Judge(router, FindingOf(FindingKind::kIcmpUnreachable, Transport::kTcp, {syn, icmp_id}),
            {router.Capture("router"), server.Capture("server")});
  EXPECT_EQ(v.verdict, PathVerdictKind::kLostOnPathOut) << v.peers[0].detail;
  EXPECT_EQ(v.peers[0].verdict, PathVerdictKind::kLostOnPathOut) << v.peers[0].detail;
  EXPECT_EQ(v.peers[1].verdict, PathVerdictKind::kLostOnPathOut) << v.peers[1].detail;
  EXPECT_THAT(v.summary, HasSubstr("stopped at 10.71.1.1"));
  EXPECT_THAT(v.hint, HasSubstr("10.71.1.1"));
}

TEST(PeerPath, APeerThatStoppedRecordingLosesNothing) {
  Story s;
  const uint64_t syn = s.Ours(Syn(kT0 + 5 * kSec));
  // The peer's last packet is the healthy exchange's, 5 s before our SYN.
  const PathVerdict v =
      Judge(s, FindingOf(FindingKind::kSynUnanswered, Transport::kTcp, {syn}), {s.Capture("srv")});
  EXPECT_EQ(v.verdict, PathVerdictKind::kNotCovered);
  EXPECT_THAT(v.peers[0].detail, HasSubstr("not recording"));
  // Nor does an RST become forged.
  Story r;
  const uint64_t syn2 = r.Ours(Syn(kT0 + 5 * kSec));
  const uint64_t rst = r.Ours(Rst(kT0 + 5 * kSec + 1 * kMs));
  EXPECT_EQ(Judge(r, FindingOf(FindingKind::kRefusedByRst, Transport::kTcp, {syn2, rst}),
                  {r.Capture("srv")})
                .verdict,
            PathVerdictKind::kNotCovered);
  // Nor a SYN sent before the peer began recording.
  Story late;
  const uint64_t early = late.Ours(Syn(kT0 - 2 * kSec));
  late.PeerRecordsUntil(kT0 + 10 * kSec);
  EXPECT_EQ(Judge(late, FindingOf(FindingKind::kSynUnanswered, Transport::kTcp, {early}),
                  {late.Capture("srv")})
                .verdict,
            PathVerdictKind::kNotCovered);
}

// A capture of another server's host shares our packets with it, but says nothing of a flow
// to this one: not "lost on the way there".
TEST(PeerPath, APeerOnAnotherPathCoversNothing) {
  Story s(Ep("10.71.3.3", 443));
  const uint64_t syn = s.Ours(Syn(kT0 + 1 * kSec));
  s.PeerRecordsUntil(kT0 + 10 * kSec);
  const PathVerdict v = Judge(s, FindingOf(FindingKind::kSynUnanswered, Transport::kTcp, {syn}),
                              {s.Capture("other-server")});
  EXPECT_EQ(v.verdict, PathVerdictKind::kNotCovered) << v.peers[0].detail;
  EXPECT_THAT(v.peers[0].detail, HasSubstr("holds nothing to or from 10.71.2.2"));
}

TEST(PeerPath, AnUnalignedPeerCoversNothing) {
  Story s;
  const uint64_t syn = s.Ours(Syn(kT0 + 1 * kSec));
  PeerCapture other{"other", {TcpPacket(1, kT0, Ep("10.9.9.9", 1), kServer, kTcpSyn, 77)}, {}};
  LocalAddresses local;
  local.Add(kClient.addr);
  other.alignment = AlignPeerClock(s.ours(), other.packets, local);
  const PathVerdict v =
      Judge(s, FindingOf(FindingKind::kSynUnanswered, Transport::kTcp, {syn}), {other});
  EXPECT_EQ(v.verdict, PathVerdictKind::kNotCovered);
  EXPECT_THAT(v.peers[0].detail, HasSubstr("could not be aligned"));
}

TEST(PeerPath, AUdpRequestTheServerAnsweredButNeverArrived) {
  Story s;
  const Endpoint c = kClient, srv = Ep("10.71.2.2", 5300);
  Packet request = UdpPacket(0, kT0 + 1 * kSec, c, srv, 30);
  request.payload_digest = 99;
  Packet reply = UdpPacket(0, kT0 + 1 * kSec + 2 * kMs, srv, c, 30);
  reply.payload_digest = 99;  // an echo
  const uint64_t req = s.Both(request, true);
  s.Peer(reply, false);
  s.PeerRecordsUntil(kT0 + 10 * kSec);
  Finding f = FindingOf(FindingKind::kNoResponse, Transport::kUdp, {req});
  f.flow = FlowKey{Transport::kUdp, c, srv};
  EXPECT_EQ(Judge(s, f, {s.Capture("srv")}).verdict, PathVerdictKind::kLostOnPathBack);
}

}  // namespace
}  // namespace netcorr::correlate
