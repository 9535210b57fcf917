#pragma once

#include <cstdint>
#include <string>
#include <vector>

// Hand-built packets for the capture tests, the fuzz seed corpus and the benchmark. Each
// function returns one layer wrapped around its payload, so a test reads like the packet:
//   Sll(kEtherIpv4, Ipv4("10.0.0.1", "10.0.0.2", 6, Tcp(40000, 80, 1, 0, kTcpSyn)))
// Checksums are left zero: nothing in netcorr (or tshark's default settings) checks them.
namespace netcorr::capture::testing {

using Bytes = std::vector<uint8_t>;

inline constexpr uint16_t kEtherIpv4 = 0x0800;
inline constexpr uint16_t kEtherIpv6 = 0x86DD;
inline constexpr uint16_t kEtherArp = 0x0806;

Bytes Concat(const Bytes& a, const Bytes& b);

// Link layers.
Bytes Ethernet(uint16_t ethertype, const Bytes& payload,
               const std::vector<uint16_t>& vlan_ids = {});
Bytes Sll(uint16_t protocol, const Bytes& payload);
Bytes Sll2(uint16_t protocol, const Bytes& payload);
// DLT_NULL family in little-endian (a Linux/x86 capture) or DLT_LOOP in network order.
Bytes Null(uint32_t family, const Bytes& payload, bool network_order);

// IPv4 with total length, the given options (padded to 4 bytes) and frag field (flags|offset).
Bytes Ipv4(const std::string& src, const std::string& dst, uint8_t proto, const Bytes& l4,
           const Bytes& options = {}, uint16_t frag = 0, uint8_t ttl = 64);
// IPv6; `ext` is a pre-built extension header chain whose first header type is `next`, and
// the chain ends with `l4`'s protocol.
Bytes Ipv6(const std::string& src, const std::string& dst, uint8_t next, const Bytes& l4_and_ext);
// One generic extension header (hop-by-hop, routing, destination options) of 8 bytes.
Bytes Ipv6Ext8(uint8_t next, const Bytes& rest_of_chain);
Bytes Ipv6Fragment(uint8_t next, uint16_t offset_units, bool more, const Bytes& rest);

Bytes Tcp(uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
          const Bytes& options = {}, const Bytes& payload = {}, uint16_t window = 65535);
// MSS, NOP, window scale, SACK-permitted, timestamps: what Linux puts on a SYN.
Bytes LinuxSynOptions(uint16_t mss, uint32_t ts_val, uint32_t ts_ecr, uint8_t wscale);
Bytes Udp(uint16_t sport, uint16_t dport, const Bytes& payload);
Bytes Icmp(uint8_t type, uint8_t code, uint32_t rest, const Bytes& quoted);
// ARP for IPv4 over Ethernet: op 1 request, 2 reply; MACs as "02:00:00:00:00:01".
Bytes Arp(uint16_t op, const std::string& sender_mac, const std::string& sender_ip,
          const std::string& target_mac, const std::string& target_ip);
// ICMPv6 neighbour solicitation (type 135) or advertisement (136) for `target`, with a source
// (NS) or target (NA) link-layer address option when `mac` is not empty. The ICMPv6 message
// only: wrap it in Ipv6(..., 58, ...).
Bytes NeighbourDiscovery(uint8_t type, const std::string& target, const std::string& mac);

// DNS message with one question. flags: QR/opcode/rcode as on the wire.
Bytes Dns(uint16_t id, uint16_t flags, const std::string& qname, uint16_t qtype,
          uint16_t answers = 0);
Bytes TlsClientHello(const std::string& sni, const std::vector<uint16_t>& versions);
Bytes TlsAlert(uint8_t level, uint8_t description);

}  // namespace netcorr::capture::testing
