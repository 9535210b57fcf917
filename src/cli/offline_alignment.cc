#include "src/cli/offline_alignment.h"

#include <sys/socket.h>

#include <algorithm>
#include <utility>

namespace netcorr::cli {

namespace {

bool IsOpeningSyn(const Packet& p) {
  return p.tcp && p.tcp->has(kTcpSyn) && !p.tcp->has(kTcpAck);
}

// The first packet from us to `remote` stamped in [from, to]: packets are in capture order.
const Packet* FirstPacketTo(absl::Span<const Packet> packets, Transport transport,
                            const Endpoint& remote, TimeNs from, TimeNs to, bool syn_only) {
  auto it = std::lower_bound(packets.begin(), packets.end(), from,
                             [](const Packet& p, TimeNs t) { return p.ts_ns < t; });
  for (; it != packets.end() && it->ts_ns <= to; ++it) {
    if (it->transport != transport || it->dst != remote) continue;
    if (syn_only && !IsOpeningSyn(*it)) continue;
    return &*it;
  }
  return nullptr;
}

bool PacketsSortedByTime(absl::Span<const Packet> packets) {
  return std::is_sorted(packets.begin(), packets.end(),
                        [](const Packet& a, const Packet& b) { return a.ts_ns < b.ts_ns; });
}

// How far `ts` lies outside the call's [entry, exit]; 0 inside.
TimeNs DistanceFromCall(const SyscallEvent& call, TimeNs ts) {
  if (ts < call.entry_ns) return call.entry_ns - ts;
  if (ts > call.exit_ns) return ts - call.exit_ns;
  return 0;
}

}  // namespace

bool IsSocketCall(const SyscallEvent& call) {
  return call.kind != CallKind::kOther || !call.waited.empty();
}

ClockOffsetEstimator::ClockOffsetEstimator(absl::Span<const Packet> packets)
    : packets_(packets), usable_(!packets.empty() && PacketsSortedByTime(packets)) {}

bool ClockOffsetEstimator::Add(const SyscallEvent& c) {
  if (!usable_ || agreed_) return agreed_;
  if (c.kind != CallKind::kConnect || !c.address || c.address->port == 0) return false;
  if (!seen_.insert(*c.address).second) return false;
  // Any SYN to the destination, wherever the clocks put it.
  const Packet* syn = FirstPacketTo(packets_, Transport::kTcp, *c.address, packets_.front().ts_ns,
                                    packets_.back().ts_ns, /*syn_only=*/true);
  if (syn == nullptr) return false;
  if (syn->ts_ns >= c.entry_ns && syn->ts_ns <= c.exit_ns) {
    agreed_ = true;
    return true;
  }
  deltas_.push_back(syn->ts_ns - c.entry_ns);
  return false;
}

std::optional<ClockOffset> ClockOffsetEstimator::Result() const {
  if (agreed_) return ClockOffset{0, 1};
  if (deltas_.empty()) return std::nullopt;
  std::vector<TimeNs> deltas = deltas_;
  std::nth_element(deltas.begin(), deltas.begin() + deltas.size() / 2, deltas.end());
  return ClockOffset{deltas[deltas.size() / 2], deltas.size()};
}

std::optional<ClockOffset> EstimateClockOffset(absl::Span<const SyscallEvent> calls,
                                               absl::Span<const Packet> packets) {
  ClockOffsetEstimator estimator(packets);
  for (const SyscallEvent& c : calls) {
    if (estimator.Add(c)) break;
  }
  return estimator.Result();
}

SocketIdentityInference::SocketIdentityInference(absl::Span<const Packet> packets,
                                                 const correlate::EvidenceWindow& window)
    : packets_(packets), window_(window), usable_(PacketsSortedByTime(packets)) {}

const Packet* SocketIdentityInference::SynFor(const SyscallEvent& call, const Endpoint& remote) {
  auto it = std::lower_bound(packets_.begin(), packets_.end(), window_.EarliestFor(call),
                             [](const Packet& p, TimeNs t) { return p.ts_ns < t; });
  const TimeNs latest = window_.LatestReceivedBy(call);
  const Packet* best = nullptr;
  TimeNs best_distance = 0;
  for (; it != packets_.end() && it->ts_ns <= latest; ++it) {
    if (it->transport != Transport::kTcp || it->dst != remote || !IsOpeningSyn(*it)) continue;
    if (claimed_.contains(static_cast<size_t>(&*it - packets_.data()))) continue;
    const TimeNs distance = DistanceFromCall(call, it->ts_ns);
    // Inside the call beats the slack around it; among equals, the earliest (the first SYN
    // of a connect that retransmitted it).
    if (best == nullptr || distance < best_distance) {
      best = &*it;
      best_distance = distance;
    }
    if (distance == 0) break;
  }
  return best;
}

void SocketIdentityInference::ClaimOwnSyn(const SyscallEvent& c) {
  if (c.kind != CallKind::kConnect || !c.socket || !c.socket->local || !c.socket->remote) return;
  auto it = std::lower_bound(packets_.begin(), packets_.end(), window_.EarliestFor(c),
                             [](const Packet& p, TimeNs t) { return p.ts_ns < t; });
  for (; it != packets_.end() && it->ts_ns <= window_.LatestReceivedBy(c); ++it) {
    if (IsOpeningSyn(*it) && it->src == *c.socket->local && it->dst == *c.socket->remote) {
      claimed_.insert(static_cast<size_t>(&*it - packets_.data()));
      return;
    }
  }
}

bool SocketIdentityInference::Infer(SyscallEvent& c) {
  if (!usable_) return false;
  socket_model::FdTable& table = tables_[c.pid];
  if (c.socket && c.socket->local && c.socket->remote) {  // -yy already told us
    ClaimOwnSyn(c);
    if (c.kind == CallKind::kClose) table.Close(c.fd);
    return false;
  }
  // A new socket on a reused fd number starts with no identity.
  if ((c.kind == CallKind::kSocket || c.kind == CallKind::kAccept) && c.result >= 0) {
    table.Close(static_cast<int>(c.result));
  }
  const bool addresses = c.kind == CallKind::kConnect || c.kind == CallKind::kSend;
  if (addresses && c.address && c.address->port != 0 && c.fd >= 0) {
    // A connect is a TCP SYN or, on a UDP socket, nothing on the wire until the first send.
    const Packet* first = nullptr;
    if (c.kind == CallKind::kConnect) {
      first = SynFor(c, *c.address);
      if (first != nullptr) claimed_.insert(static_cast<size_t>(first - packets_.data()));
    }
    if (first == nullptr) {
      first = FirstPacketTo(packets_, Transport::kUdp, *c.address, window_.EarliestFor(c),
                            window_.LatestReceivedBy(c), /*syn_only=*/false);
    }
    if (first != nullptr) {
      SocketIdentity s = c.socket.value_or(SocketIdentity{});
      s.family = first->ip == IpAddress::Family::kV6 ? AF_INET6 : AF_INET;
      s.transport = first->transport;
      s.type = first->transport == Transport::kTcp ? SOCK_STREAM : SOCK_DGRAM;
      s.local = first->src;
      s.remote = first->dst;
      table.Learn(c.fd, socket_model::FdKind::kSocket).identity = s;
    }
  }
  const socket_model::FdState* known = table.FindSocket(c.fd);
  if (known == nullptr) return false;
  c.socket = known->identity;
  if (c.kind == CallKind::kClose) table.Close(c.fd);
  return true;
}

size_t InferSocketIdentities(std::vector<SyscallEvent>& calls, absl::Span<const Packet> packets,
                             const correlate::EvidenceWindow& window) {
  SocketIdentityInference inference(packets, window);
  size_t inferred = 0;
  for (SyscallEvent& c : calls) {
    if (inference.Infer(c)) ++inferred;
  }
  return inferred;
}

}  // namespace netcorr::cli
