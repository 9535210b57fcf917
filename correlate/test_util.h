#pragma once

// Small builders for synthetic syscall events and packets, shared by the correlate tests.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "correlate/correlator.h"
#include "correlate/flow_state.h"
#include "correlate/local_addresses.h"
#include "correlate/neighbour_state.h"
#include "correlate/rule_context.h"
#include "src/model/endpoint.h"
#include "src/model/packet.h"
#include "src/model/syscall_event.h"

namespace netcorr::correlate::testing {

constexpr TimeNs kMs = 1'000'000;
constexpr TimeNs kSec = 1'000'000'000;
constexpr TimeNs kT0 = 1'700'000'000 * kSec;  // an arbitrary CLOCK_REALTIME origin

IpAddress Ip(std::string_view text);
Endpoint Ep(std::string_view addr, uint16_t port);

// The shared test world's addresses, in IPv4 or IPv6.
struct World {
  bool v6 = false;
  IpAddress client;  // this host (10.71.1.2 / fd71:1::2)
  IpAddress router;  // the hop (10.71.1.1 / fd71:1::1)
  IpAddress server;  // the destination (10.71.2.2 / fd71:2::2)
  static World Make(bool v6);
  Endpoint Client(uint16_t port) const { return Endpoint{client, port}; }
  Endpoint Server(uint16_t port) const { return Endpoint{server, port}; }
};

// The window every TcpPacket advertises unless a test closes it (a zero window is a stall).
constexpr uint16_t kOpenWindow = 502;
Packet TcpPacket(uint64_t id, TimeNs ts, const Endpoint& src, const Endpoint& dst, uint8_t flags,
                 uint32_t seq, uint32_t ack = 0, uint32_t payload = 0);
// A pure ACK from `src` advertising `window` (0: its receive buffer is full).
Packet WindowPacket(uint64_t id, TimeNs ts, const Endpoint& src, const Endpoint& dst, uint32_t seq,
                    uint32_t ack, uint16_t window);
Packet UdpPacket(uint64_t id, TimeNs ts, const Endpoint& src, const Endpoint& dst,
                 uint32_t payload);
// An ICMP/ICMPv6 error from `sender` to `to` about the packet original.local -> original.remote.
Packet IcmpPacket(uint64_t id, TimeNs ts, const IpAddress& sender, const IpAddress& to,
                  const FlowKey& original, uint8_t type, uint8_t code,
                  std::optional<uint32_t> tcp_seq = std::nullopt, uint32_t mtu = 0);
Packet DnsPacket(uint64_t id, TimeNs ts, const Endpoint& src, const Endpoint& dst, uint16_t dns_id,
                 bool response, std::string_view name, uint8_t rcode = 0, uint16_t qtype = 1,
                 bool truncated = false);
// A TCP data segment carrying a TLS record: a Client Hello (sni set) or an alert.
Packet TlsHelloPacket(uint64_t id, TimeNs ts, const Endpoint& src, const Endpoint& dst,
                      uint32_t seq, uint32_t ack, std::string_view sni);
Packet TlsAlertPacket(uint64_t id, TimeNs ts, const Endpoint& src, const Endpoint& dst,
                      uint32_t seq, uint32_t ack, uint8_t level, uint8_t description);

// An ARP request (v4) or neighbour solicitation (v6) from `asker` for `target`, or the reply /
// advertisement of `target` to `asker`.
Packet NeighbourPacket(uint64_t id, TimeNs ts, const IpAddress& asker, const IpAddress& target,
                       bool reply = false);
// A connection c -> s into `table`: the handshake (ids 1-3; our ISN 100, theirs 900) and, at
// kT0 + 3 ms, `bytes` of our data (id 4) from sequence number 101.
void AddEstablished(FlowTable& table, const Endpoint& c, const Endpoint& s, uint32_t bytes);

SocketIdentity TcpSocket(uint64_t inode, std::optional<Endpoint> local,
                         std::optional<Endpoint> remote);
SocketIdentity UdpSocket(uint64_t inode, std::optional<Endpoint> local,
                         std::optional<Endpoint> remote);

// A finished call; `error` 0 means success with `result`. Its kind is the one its name has.
SyscallEvent Call(uint64_t id, std::string_view name, int fd, TimeNs entry, TimeNs exit,
                  int error = 0, int64_t result = 0);

// Owns what a RuleContext points to.
struct TestContext {
  CorrelatorOptions options;
  CaptureStats capture;
  LocalAddresses local;
  NeighbourTable neighbours;
  RuleContext get() const { return RuleContext{options, capture, local, &neighbours}; }
};

}  // namespace netcorr::correlate::testing
