#include "src/cli/offline_alignment.h"

#include <sys/socket.h>

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"

namespace netcorr::cli {

namespace {

// The first packet from us to `remote` stamped in [from, to]: packets are in capture order.
const Packet* FirstPacketTo(absl::Span<const Packet> packets, Transport transport,
                            const Endpoint& remote, TimeNs from, TimeNs to, bool syn_only) {
  auto it = std::lower_bound(packets.begin(), packets.end(), from,
                             [](const Packet& p, TimeNs t) { return p.ts_ns < t; });
  for (; it != packets.end() && it->ts_ns <= to; ++it) {
    if (it->transport != transport || it->dst != remote) continue;
    if (syn_only && !(it->tcp && it->tcp->has(kTcpSyn) && !it->tcp->has(kTcpAck))) continue;
    return &*it;
  }
  return nullptr;
}

bool PacketsSortedByTime(absl::Span<const Packet> packets) {
  return std::is_sorted(packets.begin(), packets.end(),
                        [](const Packet& a, const Packet& b) { return a.ts_ns < b.ts_ns; });
}

}  // namespace

bool IsSocketCall(const SyscallEvent& call) {
  static const absl::flat_hash_set<std::string> kSocketCalls = {
      "socket",   "connect",    "bind",       "listen",     "accept",      "accept4",
      "shutdown", "sendto",     "recvfrom",   "sendmsg",    "recvmsg",     "sendmmsg",
      "recvmmsg", "getsockopt", "setsockopt", "socketpair", "getsockname", "getpeername"};
  if (kSocketCalls.contains(call.name)) return true;
  if (call.socket && (call.socket->family == AF_INET || call.socket->family == AF_INET6)) {
    return true;
  }
  return !call.waited.empty();
}

std::optional<ClockOffset> EstimateClockOffset(absl::Span<const SyscallEvent> calls,
                                               absl::Span<const Packet> packets) {
  if (packets.empty() || !PacketsSortedByTime(packets)) return std::nullopt;
  std::vector<TimeNs> deltas;
  // Only the first connect to each destination: the first SYN to it is that connect's, while
  // a later connect would be paired with a SYN from long before it.
  absl::flat_hash_set<Endpoint> seen;
  for (const SyscallEvent& c : calls) {
    if (c.name != "connect" || !c.address || c.address->port == 0) continue;
    if (!seen.insert(*c.address).second) continue;
    // Any SYN to the destination, wherever the clocks put it.
    const Packet* syn = FirstPacketTo(packets, Transport::kTcp, *c.address, packets.front().ts_ns,
                                      packets.back().ts_ns, /*syn_only=*/true);
    if (syn == nullptr) continue;
    if (syn->ts_ns >= c.entry_ns && syn->ts_ns <= c.exit_ns) return ClockOffset{0, 1};
    deltas.push_back(syn->ts_ns - c.entry_ns);
  }
  if (deltas.empty()) return std::nullopt;
  std::nth_element(deltas.begin(), deltas.begin() + deltas.size() / 2, deltas.end());
  return ClockOffset{deltas[deltas.size() / 2], deltas.size()};
}

size_t InferSocketIdentities(std::vector<SyscallEvent>& calls, absl::Span<const Packet> packets,
                             TimeNs slack_ns) {
  if (!PacketsSortedByTime(packets)) return 0;
  absl::flat_hash_map<std::pair<int32_t, int>, SocketIdentity> by_fd;
  size_t inferred = 0;
  for (SyscallEvent& c : calls) {
    const auto key = std::make_pair(c.pid, c.fd);
    if (c.socket && c.socket->local && c.socket->remote) {  // -yy already told us
      if (c.name == "close") by_fd.erase(key);
      continue;
    }
    // A new socket on a reused fd number starts with no identity.
    if (c.name == "socket" || c.name == "accept" || c.name == "accept4") {
      by_fd.erase(std::make_pair(c.pid, static_cast<int>(c.result)));
    }
    if ((c.name == "connect" || c.name == "sendto" || c.name == "sendmsg") && c.address &&
        c.address->port != 0) {
      // A connect is a TCP SYN or, on a UDP socket, nothing on the wire until the first send.
      const Packet* first = nullptr;
      if (c.name == "connect") {
        first = FirstPacketTo(packets, Transport::kTcp, *c.address, c.entry_ns - slack_ns,
                              c.exit_ns + slack_ns, /*syn_only=*/true);
      }
      if (first == nullptr) {
        first = FirstPacketTo(packets, Transport::kUdp, *c.address, c.entry_ns - slack_ns,
                              c.exit_ns + slack_ns, /*syn_only=*/false);
      }
      if (first != nullptr) {
        SocketIdentity s = c.socket.value_or(SocketIdentity{});
        s.family = first->ip == IpAddress::Family::kV6 ? AF_INET6 : AF_INET;
        s.transport = first->transport;
        s.type = first->transport == Transport::kTcp ? SOCK_STREAM : SOCK_DGRAM;
        s.local = first->src;
        s.remote = first->dst;
        by_fd[key] = s;
      }
    }
    if (auto it = by_fd.find(key); it != by_fd.end() && c.fd >= 0) {
      c.socket = it->second;
      ++inferred;
      if (c.name == "close") by_fd.erase(it);
    }
  }
  return inferred;
}

}  // namespace netcorr::cli
