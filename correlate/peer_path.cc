#include "correlate/peer_path.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "correlate/tcp_seq.h"

namespace netcorr::correlate {

namespace {

// Copies of one packet in two captures lie within the bound and the one-way delay of each
// other; this much more is allowed for timestamping jitter.
constexpr TimeNs kJitter = 50'000'000;

// The packets of one capture, found by what SamePacket compares and by flow.
class CaptureIndex {
 public:
  CaptureIndex(absl::Span<const Packet> packets, bool use_ip_id)
      : packets_(packets), use_ip_id_(use_ip_id) {
    for (size_t i = 0; i < packets.size(); ++i) {
      const Packet& p = packets[i];
      if (uint64_t k = PacketMatchKey(p, use_ip_id); k != 0) by_key_[k].push_back(i);
      if (p.icmp_error.has_value()) {
        // An ICMP error about a flow answers its sender: file it as sent the other way.
        by_flow_[p.icmp_error->original.Reversed()].push_back(i);
        mentioned_.insert(p.icmp_error->original.remote.addr);
      } else if (p.transport == Transport::kTcp || p.transport == Transport::kUdp) {
        by_flow_[p.SenderFlow()].push_back(i);
      }
      mentioned_.insert(p.src.addr);
      mentioned_.insert(p.dst.addr);
    }
  }

  // The copies of `p` in this capture sent in [lo, hi] (this capture's clock).
  std::vector<const Packet*> Find(const Packet& p, TimeNs lo, TimeNs hi) const {
    std::vector<const Packet*> out;
    auto it = by_key_.find(PacketMatchKey(p, use_ip_id_));
    if (it == by_key_.end()) return out;
    for (size_t i : it->second) {
      const Packet& q = packets_[i];
      if (q.ts_ns >= lo && q.ts_ns <= hi && SamePacket(p, q, use_ip_id_)) out.push_back(&q);
    }
    return out;
  }

  // Packets sent on `flow` in [lo, hi], and ICMP errors about its reverse.
  std::vector<const Packet*> OnFlow(const FlowKey& flow, TimeNs lo, TimeNs hi) const {
    std::vector<const Packet*> out;
    auto it = by_flow_.find(flow);
    if (it == by_flow_.end()) return out;
    for (size_t i : it->second) {
      const Packet& q = packets_[i];
      if (q.ts_ns >= lo && q.ts_ns <= hi) out.push_back(&q);
    }
    return out;
  }

  // Whether anything of this capture went to or came from `addr`.
  bool Mentions(const IpAddress& addr) const { return mentioned_.contains(addr); }

 private:
  absl::Span<const Packet> packets_;
  bool use_ip_id_;
  absl::flat_hash_map<uint64_t, std::vector<size_t>> by_key_;
  absl::flat_hash_map<FlowKey, std::vector<size_t>> by_flow_;
  absl::flat_hash_set<IpAddress> mentioned_;
};

const Packet* OurFrame(absl::Span<const Packet> ours, uint64_t id) {
  auto it = std::lower_bound(ours.begin(), ours.end(), id,
                             [](const Packet& p, uint64_t v) { return p.id < v; });
  return it != ours.end() && it->id == id ? &*it : nullptr;
}

// The finding's packets, by the part they play.
struct Roles {
  std::vector<const Packet*> claims;      // RST / ICMP arriving in the destination's name
  std::vector<const Packet*> hop_errors;  // ICMP errors from a router, in its own name
  std::vector<const Packet*> outs;        // ours, to the destination
};

Roles SortEvidence(const Finding& f, absl::Span<const Packet> ours) {
  Roles r;
  const FlowKey& flow = *f.flow;
  for (uint64_t id : f.evidence) {
    const Packet* p = OurFrame(ours, id);
    if (p == nullptr) continue;
    if (p->icmp_error.has_value()) {
      if (p->icmp_error->original.remote != flow.remote) continue;
      (p->icmp_error->sender == flow.remote.addr ? r.claims : r.hop_errors).push_back(p);
    } else if (p->transport == flow.transport && p->src == flow.remote && p->tcp.has_value() &&
               p->tcp->has(kTcpRst)) {
      r.claims.push_back(p);
    } else if (p->transport == flow.transport && p->dst == flow.remote) {
      r.outs.push_back(p);
    }
  }
  return r;
}

// Whether `answer` (sent back at the peer) answers `q` (ours, as the peer saw it).
bool Answers(const Packet& answer, const Packet& q) {
  if (answer.icmp_error.has_value() || !q.tcp.has_value()) return true;  // ICMP, UDP
  if (!answer.tcp.has_value()) return false;
  if (answer.tcp->has(kTcpRst)) return true;
  if (!answer.tcp->has(kTcpAck)) return false;
  const TcpSegment& s = *q.tcp;
  const uint32_t span = s.payload_len + (s.has(kTcpSyn) ? 1u : 0u) + (s.has(kTcpFin) ? 1u : 0u);
  const int32_t acked = TcpSeq(answer.tcp->ack) - TcpSeq(s.seq);
  return span > 0 && acked > 0 && static_cast<uint32_t>(acked) <= span;
}

std::string Frames(const std::vector<uint64_t>& ids) {
  std::vector<uint64_t> sorted = ids;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  return absl::StrCat(sorted.size() == 1 ? "frame " : "frames ", absl::StrJoin(sorted, ","));
}

std::string What(const std::vector<const Packet*>& outs) {
  if (outs.empty()) return "packets";
  const Packet& p = *outs.front();
  const bool many = outs.size() > 1;
  if (p.tcp.has_value() && p.tcp->has(kTcpSyn)) return many ? "SYNs" : "SYN";
  if (p.transport == Transport::kUdp) return many ? "datagrams" : "datagram";
  return many ? "segments" : "segment";
}

// A capture's file name without its directories, for sentences.
std::string ShortName(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos || slash + 1 == path.size() ? path : path.substr(slash + 1);
}

class PeerJudge {
 public:
  PeerJudge(const PeerCapture& peer, const CaptureIndex& at_peer, const CaptureIndex& here,
            TimeNs our_last)
      : peer_(peer),
        name_(ShortName(peer.name)),
        a_(peer.alignment),
        at_peer_(at_peer),
        here_(here),
        our_last_(our_last) {}

  PeerPathEvidence Judge(const Finding& f, const Roles& roles) const {
    PeerPathEvidence e;
    e.capture = peer_.name;
    if (!a_.aligned) {
      e.detail = absl::StrCat(name_, " could not be aligned: ", a_.note);
      return e;
    }
    e = JudgeOnPath(f, roles);
    // A capture that never saw the remote address (a NAT in front of it rewrote it, or it is
    // on another path) tells something only through packets of this finding it holds: without
    // any, its silence is no evidence of a loss.
    if (!at_peer_.Mentions(f.flow->remote.addr) && e.peer_frames.empty()) {
      e = PeerPathEvidence{
          peer_.name,
          PathVerdictKind::kNotCovered,
          {},
          {},
          absl::StrCat(name_, " holds nothing to or from ", f.flow->remote.addr.ToString(),
                       " and none of these packets: it may not be on this "
                       "flow's path")};
    }
    return e;
  }

 private:
  PeerPathEvidence JudgeOnPath(const Finding& f, const Roles& roles) const {
    PeerPathEvidence e;
    e.capture = peer_.name;
    if (JudgeClaims(roles.claims, e)) return e;
    for (const Packet* icmp : roles.hop_errors) {
      if (!Covered(icmp->ts_ns - kCoverageBefore, icmp->ts_ns + kCoverageBefore)) continue;
      for (const Packet* q : AtPeer(*icmp, /*sent_by_us=*/false)) {
        // Honest: the router said in its own name that our packet went no further.
        e.verdict = PathVerdictKind::kLostOnPathOut;
        e.our_frames.push_back(icmp->id);
        e.peer_frames.push_back(q->id);
      }
    }
    if (e.verdict == PathVerdictKind::kLostOnPathOut) {
      const std::string hop = roles.hop_errors.front()->icmp_error->sender.ToString();
      e.detail = absl::StrCat(name_, " holds the ICMP error ", hop, " sent in its own name (its ",
                              Frames(e.peer_frames), "): our packet stopped at ", hop);
      return e;
    }
    JudgeOuts(f, roles, e);
    return e;
  }

  bool Covered(TimeNs from, TimeNs to) const { return a_.Covers(from, to); }

  // Copies at the peer of our packet `p`: sent by us, it reached the peer after we sent it;
  // sent by the peer, it left before it reached us.
  std::vector<const Packet*> AtPeer(const Packet& p, bool sent_by_us) const {
    const TimeNs t = a_.ToPeer(p.ts_ns);
    const TimeNs slack = a_.bound_ns + kJitter;
    return sent_by_us ? at_peer_.Find(p, t - slack, t + slack + kCoverageAfter)
                      : at_peer_.Find(p, t - slack - kCoverageAfter, t + slack);
  }

  // RSTs and ICMP errors in the destination's name: did the peer send them? False when there
  // were none the peer capture covers (the finding is then judged by our own packets).
  bool JudgeClaims(const std::vector<const Packet*>& claims, PeerPathEvidence& e) const {
    std::vector<const Packet*> forged;
    bool covered = false;
    for (const Packet* c : claims) {
      if (!Covered(c->ts_ns - kCoverageBefore, c->ts_ns + kCoverageBefore)) continue;
      covered = true;
      const std::vector<const Packet*> copies = AtPeer(*c, /*sent_by_us=*/false);
      if (copies.empty()) forged.push_back(c);
      for (const Packet* q : copies) e.peer_frames.push_back(q->id);
    }
    if (!covered) {
      if (claims.empty()) return false;
      e.our_frames.push_back(claims.front()->id);
      e.detail =
          absl::StrCat(name_, " was not recording when ", Frames(e.our_frames), " arrived here");
      return true;
    }
    const char* what = claims.front()->icmp_error.has_value() ? "ICMP error" : "RST";
    if (!forged.empty()) {
      e.verdict = PathVerdictKind::kForgedOnPath;
      for (const Packet* c : forged) e.our_frames.push_back(c->id);
      e.detail = absl::StrCat("the ", what, " of ", Frames(e.our_frames), " (TTL ",
                              forged.front()->ttl, ") is not in ", name_,
                              ", which was recording then: ", name_, " never sent it");
      return true;
    }
    e.verdict = PathVerdictKind::kConsistent;
    for (const Packet* c : claims) e.our_frames.push_back(c->id);
    e.detail = absl::StrCat(name_, " holds the ", what, " (its ", Frames(e.peer_frames),
                            "): it really came from there");
    return true;
  }

  void JudgeOuts(const Finding& f, const Roles& roles, PeerPathEvidence& e) const {
    std::vector<const Packet*> covered;
    // Ours reached the peer after we sent it: its recording must have begun by then, and gone
    // on long enough for the packet to arrive and be answered.
    for (const Packet* p : roles.outs) {
      if (Covered(p->ts_ns, p->ts_ns + kCoverageAfter)) covered.push_back(p);
    }
    const std::string what = What(covered.empty() ? roles.outs : covered);
    if (covered.empty()) {
      for (const Packet* p : roles.outs) e.our_frames.push_back(p->id);
      e.detail = roles.outs.empty()
                     ? absl::StrCat("the finding has no packet of ours to look for in ", name_)
                     : absl::StrCat(name_, " was not recording when our ", what, " (",
                                    Frames(e.our_frames), ") would have reached it");
      return;
    }
    std::vector<const Packet*> reached;
    for (const Packet* p : covered) {
      e.our_frames.push_back(p->id);
      for (const Packet* q : AtPeer(*p, /*sent_by_us=*/true)) reached.push_back(q);
    }
    if (reached.empty()) {
      e.verdict = PathVerdictKind::kLostOnPathOut;
      e.detail = absl::StrCat("our ", what, " (", Frames(e.our_frames), ") never reached ", name_,
                              ", which was recording then");
      return;
    }
    for (const Packet* q : reached) e.peer_frames.push_back(q->id);
    // The peer's answers, until the finding's call ended and a round trip more.
    const TimeNs until =
        a_.ToPeer(std::max(f.call.exit_ns, covered.back()->ts_ns)) + a_.bound_ns + kCoverageAfter;
    std::vector<const Packet*> answers;
    for (const Packet* q : reached) {
      const FlowKey back{q->transport, q->dst, q->src};
      for (const Packet* r : at_peer_.OnFlow(back, q->ts_ns, until)) {
        if (Answers(*r, *q) && std::find(answers.begin(), answers.end(), r) == answers.end()) {
          answers.push_back(r);
        }
      }
    }
    const std::string reached_text =
        absl::StrCat("our ", what, " (", Frames(e.our_frames), ") reached ", name_, " (its ",
                     Frames(e.peer_frames), ")");
    if (answers.empty()) {
      e.verdict = PathVerdictKind::kDroppedByPeer;
      e.detail = absl::StrCat(reached_text, " and nothing came back from there");
      return;
    }
    std::vector<uint64_t> lost, arrived, answer_frames;
    for (const Packet* r : answers) {
      const TimeNs t = a_.FromPeer(r->ts_ns);
      if (t - a_.bound_ns > our_last_) continue;  // after our capture ended: cannot say
      answer_frames.push_back(r->id);
      const TimeNs slack = a_.bound_ns + kJitter;
      const std::vector<const Packet*> here = here_.Find(*r, t - slack, t + slack + kCoverageAfter);
      if (here.empty()) {
        lost.push_back(r->id);
      } else {
        for (const Packet* h : here) arrived.push_back(h->id);
      }
    }
    for (uint64_t id : answer_frames) e.peer_frames.push_back(id);
    if (answer_frames.empty()) {
      e.detail = absl::StrCat(reached_text, "; it answered after our capture ended");
      return;
    }
    if (!lost.empty()) {
      e.verdict = PathVerdictKind::kLostOnPathBack;
      e.detail = absl::StrCat(reached_text, "; ", name_, " holds answers sent back (its ",
                              Frames(lost), ") that never arrived here");
      return;
    }
    e.verdict = PathVerdictKind::kConsistent;
    for (uint64_t id : arrived) e.our_frames.push_back(id);
    e.detail = absl::StrCat(reached_text, "; its answers (its ", Frames(answer_frames),
                            ") arrived here (", Frames(arrived), ")");
  }

  const PeerCapture& peer_;
  const std::string name_;
  const PeerAlignment& a_;
  const CaptureIndex& at_peer_;
  const CaptureIndex& here_;
  TimeNs our_last_;
};

int Rank(PathVerdictKind k) {
  switch (k) {
    case PathVerdictKind::kForgedOnPath:
      return 0;
    case PathVerdictKind::kLostOnPathBack:
      return 1;
    case PathVerdictKind::kLostOnPathOut:
      return 2;
    case PathVerdictKind::kDroppedByPeer:
      return 3;
    case PathVerdictKind::kConsistent:
      return 4;
    case PathVerdictKind::kNotCovered:
      return 5;
  }
  return 5;
}

std::string Names(const PathVerdict& v, PathVerdictKind kind) {
  std::vector<std::string> names;
  for (const PeerPathEvidence& e : v.peers) {
    if (e.verdict == kind) names.push_back(ShortName(e.capture));
  }
  return absl::StrJoin(names, ", ");
}

size_t Count(const PathVerdict& v, PathVerdictKind kind) {
  size_t n = 0;
  for (const PeerPathEvidence& e : v.peers) n += e.verdict == kind ? 1 : 0;
  return n;
}

// Captures that hold our packets (or the answer) without being the one that decided.
std::string Holders(const PathVerdict& v) {
  std::vector<std::string> names;
  for (const PeerPathEvidence& e : v.peers) {
    if (e.verdict == PathVerdictKind::kDroppedByPeer || e.verdict == PathVerdictKind::kConsistent) {
      names.push_back(ShortName(e.capture));
    }
  }
  return absl::StrJoin(names, ", ");
}

void Explain(const Finding& f, const Roles& roles, PathVerdict& v) {
  const std::string remote = f.flow->remote.ToString();
  const std::string what = What(roles.outs);
  const std::string deciders = Names(v, v.verdict);
  const std::string holders = Holders(v);
  switch (v.verdict) {
    case PathVerdictKind::kLostOnPathOut:
      v.summary =
          absl::StrCat("our ", what, " to ", remote, " left here and never reached ", deciders,
                       holders.empty() ? "" : absl::StrCat(" (", holders, " saw it)"));
      v.hint = holders.empty()
                   ? absl::StrCat("look at the path between here and ", deciders,
                                  ": firewalls, routes, ACLs or security groups on the way (a "
                                  "capture on a router in between narrows it down)")
                   : absl::StrCat("look between ", holders, " and ", deciders,
                                  ": the forwarding firewall rules and routes there");
      if (!roles.hop_errors.empty()) {
        const IcmpError& icmp = *roles.hop_errors.front()->icmp_error;
        v.summary =
            absl::StrCat("our ", what, " to ", remote, " stopped at ", icmp.sender.ToString(),
                         ", which answered in its own name (ICMP ", icmp.Describe(), ")");
        v.hint = absl::StrCat("our packet stopped at ",
                              roles.hop_errors.front()->icmp_error->sender.ToString(),
                              ", the router that sent the ICMP error: look at its firewall "
                              "and routes");
      }
      return;
    case PathVerdictKind::kDroppedByPeer:
      v.summary = absl::StrCat("our ", what, " reached ", deciders, ", which sent nothing back");
      v.hint = absl::StrCat(
          "look at the host ", Count(v, v.verdict) == 1 ? "of " : "furthest along the path of ",
          deciders, ": its firewall's input rules, whether anything listens on port ",
          f.flow->remote.port, ", its accept backlog and its logs");
      return;
    case PathVerdictKind::kLostOnPathBack:
      v.summary = absl::StrCat(remote, " answered (", deciders,
                               Count(v, v.verdict) == 1 ? " shows" : " show",
                               " the answer) but the answer never arrived here");
      v.hint = absl::StrCat(
          "look at the way back from ", deciders,
          ": a stateful firewall dropping the replies, an asymmetric route, reverse-path "
          "filtering (rp_filter)");
      return;
    case PathVerdictKind::kForgedOnPath:
      v.summary =
          absl::StrCat("the ", roles.claims.front()->icmp_error.has_value() ? "ICMP error" : "RST",
                       " that arrived here in ", remote, "'s name was never sent by ", deciders,
                       holders.empty() ? ""
                                       : absl::StrCat(" (", holders,
                                                      " holds it: it was "
                                                      "made between there and ",
                                                      deciders, ")"));
      v.hint = absl::StrCat(
          "a middlebox answered in the server's name: a firewall REJECT with tcp-reset, a load "
          "balancer or an IPS between here and ",
          deciders, "; its rules explain the failure, not the server's");
      return;
    case PathVerdictKind::kConsistent:
      v.summary = absl::StrCat(deciders, " agree", v.peers.size() == 1 ? "s" : "",
                               " with our capture: the packets really went as seen here");
      v.hint = absl::StrCat("the cause is where the finding says, at ", remote,
                            ": the path neither lost nor forged anything");
      return;
    case PathVerdictKind::kNotCovered:
      v.summary = "no peer capture covers this finding's packets";
      v.hint =
          "take the peer capture over the whole time of the failure, on the host the packets "
          "pass (docs/analyze.md, Peer captures)";
      return;
  }
}

}  // namespace

void JudgePaths(std::vector<Finding>& findings, absl::Span<const Packet> ours,
                absl::Span<const PeerCapture> peers) {
  if (peers.empty()) return;
  TimeNs our_last = 0;
  for (const Packet& p : ours) our_last = std::max(our_last, p.ts_ns);
  std::vector<CaptureIndex> at_peer;
  std::vector<CaptureIndex> here;  // ours, indexed as each peer's matching needs
  at_peer.reserve(peers.size());
  here.reserve(peers.size());
  for (const PeerCapture& p : peers) {
    at_peer.emplace_back(p.packets, p.alignment.ip_id_preserved);
    here.emplace_back(ours, p.alignment.ip_id_preserved);
  }
  for (Finding& f : findings) {
    if (!f.flow.has_value() || f.evidence.empty()) continue;
    const Roles roles = SortEvidence(f, ours);
    if (roles.claims.empty() && roles.hop_errors.empty() && roles.outs.empty()) continue;
    PathVerdict v;
    for (size_t i = 0; i < peers.size(); ++i) {
      v.peers.push_back(PeerJudge(peers[i], at_peer[i], here[i], our_last).Judge(f, roles));
      if (Rank(v.peers.back().verdict) < Rank(v.verdict)) v.verdict = v.peers.back().verdict;
    }
    Explain(f, roles, v);
    f.path = std::move(v);
  }
}

}  // namespace netcorr::correlate
