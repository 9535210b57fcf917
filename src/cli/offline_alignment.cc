#include "src/cli/offline_alignment.h"

#include <sys/socket.h>

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "src/socket_model/fd_table.h"

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
  return call.kind != CallKind::kOther || !call.waited.empty();
}

std::optional<ClockOffset> EstimateClockOffset(absl::Span<const SyscallEvent> calls,
                                               absl::Span<const Packet> packets) {
  if (packets.empty() || !PacketsSortedByTime(packets)) return std::nullopt;
  std::vector<TimeNs> deltas;
  // Only the first connect to each destination: the first SYN to it is that connect's, while
  // a later connect would be paired with a SYN from long before it.
  absl::flat_hash_set<Endpoint> seen;
  for (const SyscallEvent& c : calls) {
    if (c.kind != CallKind::kConnect || !c.address || c.address->port == 0) continue;
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
                             const correlate::EvidenceWindow& window) {
  if (!PacketsSortedByTime(packets)) return 0;
  // What each process's fds were inferred to be, kept by the same socket model the strace
  // reader used, so a reused fd number starts over exactly where it did there.
  absl::flat_hash_map<int32_t, socket_model::FdTable> tables;
  size_t inferred = 0;
  for (SyscallEvent& c : calls) {
    socket_model::FdTable& table = tables[c.pid];
    if (c.socket && c.socket->local && c.socket->remote) {  // -yy already told us
      if (c.kind == CallKind::kClose) table.Close(c.fd);
      continue;
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
        first = FirstPacketTo(packets, Transport::kTcp, *c.address, window.EarliestFor(c),
                              window.LatestReceivedBy(c), /*syn_only=*/true);
      }
      if (first == nullptr) {
        first = FirstPacketTo(packets, Transport::kUdp, *c.address, window.EarliestFor(c),
                              window.LatestReceivedBy(c), /*syn_only=*/false);
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
    if (const socket_model::FdState* known = table.FindSocket(c.fd); known != nullptr) {
      c.socket = known->identity;
      ++inferred;
      if (c.kind == CallKind::kClose) table.Close(c.fd);
    }
  }
  return inferred;
}

}  // namespace netcorr::cli
