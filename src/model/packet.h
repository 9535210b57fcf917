#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "src/model/endpoint.h"
#include "src/model/time.h"

namespace netcorr {

// TCP header flag bits, as on the wire.
enum TcpFlags : uint8_t {
  kTcpFin = 0x01,
  kTcpSyn = 0x02,
  kTcpRst = 0x04,
  kTcpPsh = 0x08,
  kTcpAck = 0x10,
  kTcpUrg = 0x20,
  kTcpEce = 0x40,
  kTcpCwr = 0x80,
};

struct TcpSegment {
  uint8_t flags = 0;
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint16_t window = 0;
  uint32_t payload_len = 0;
  std::optional<uint16_t> mss;
  // Options a retransmission or PAWS analysis can use (RFC 7323); unset when absent.
  std::optional<uint8_t> window_scale;
  std::optional<uint32_t> ts_val;
  std::optional<uint32_t> ts_ecr;

  bool has(uint8_t f) const { return (flags & f) == f; }
  // "SYN", "SYN,ACK", "RST,ACK", ...
  std::string FlagsString() const;
};

// An ICMP or ICMPv6 error about a flow: it quotes the header of the packet that caused it.
struct IcmpError {
  bool v6 = false;
  uint8_t type = 0;
  uint8_t code = 0;
  IpAddress sender;  // who sent the error: the destination, a router, or this host
  // The quoted packet's flow as it was sent: local = the quoted source.
  FlowKey original;
  std::optional<uint32_t> original_tcp_seq;
  uint32_t next_hop_mtu = 0;  // frag-needed (v4) / packet-too-big (v6)

  // "host-unreachable", "port-unreachable", "admin-prohibited", "frag-needed", ...
  std::string Describe() const;
};

struct DnsMessage {
  uint16_t id = 0;
  bool is_response = false;
  uint8_t opcode = 0;
  uint8_t rcode = 0;
  bool truncated = false;  // TC: the answer did not fit, ask again over TCP (RFC 1035 4.2.1)
  uint16_t question_count = 0;
  uint16_t answer_count = 0;
  std::string qname;  // first question, dotted, "" if none
  uint16_t qtype = 0;
};

struct TlsAlert {
  uint8_t level = 0;
  uint8_t description = 0;
};

struct TlsClientHello {
  uint16_t legacy_version = 0;
  std::string sni;
  std::vector<uint16_t> supported_versions;
};

struct TlsRecordInfo {
  uint8_t content_type = 0;  // 21 alert, 22 handshake, 23 application data
  uint16_t version = 0;
  std::optional<TlsAlert> alert;
  std::optional<TlsClientHello> client_hello;
};

// Address resolution of a neighbour on the link: an ARP packet (RFC 826, IPv4 over Ethernet) or
// an ICMPv6 neighbour solicitation / advertisement (RFC 4861 4.3, 4.4). A connect whose next hop
// never answers these fails EHOSTUNREACH with nothing of its flow on the wire.
using MacAddress = std::array<uint8_t, 6>;
struct NeighbourMessage {
  bool v6 = false;
  bool is_reply = false;  // ARP reply / neighbour advertisement; else request / solicitation
  // ARP: the sender's protocol and hardware address. ND: the IPv6 source and, when the message
  // carries it, the source (NS) or target (NA) link-layer address option.
  IpAddress sender_ip;
  std::optional<MacAddress> sender_mac;
  // ARP: the target protocol address (the address asked about, or answered for a reply's
  // requester). ND: the target address field, the address being resolved or advertised.
  IpAddress target_ip;
  std::optional<MacAddress> target_mac;  // ARP only (all zero in a request)

  // The address this message resolves or asks about: the target of a request, the sender of an
  // ARP reply, the target of an advertisement.
  const IpAddress& resolved() const { return !v6 && is_reply ? sender_ip : target_ip; }
  // RFC 5227 / RFC 4862 5.4: an announcement or duplicate address probe (ARP with sender ==
  // target or sender 0.0.0.0, NS from the unspecified address) resolves no neighbour.
  bool IsAddressProbe() const;
};

// "02:00:0a:47:01:02".
std::string FormatMac(const MacAddress& mac);

// One captured packet, decoded into host-order values. The correlator sees only this.
struct Packet {
  uint64_t id = 0;  // 1-based position in the capture, as Wireshark numbers frames
  TimeNs ts_ns = 0;
  uint32_t wire_len = 0;
  uint32_t captured_len = 0;
  std::string interface;

  IpAddress::Family ip = IpAddress::Family::kNone;  // kNone: not IP (ARP, ...)
  Transport transport = Transport::kUnknown;
  Endpoint src;
  Endpoint dst;
  bool is_fragment = false;  // a non-first IP fragment: no L4 header
  uint32_t payload_len = 0;  // L4 payload bytes on the wire
  // What lets the same packet be recognised in another host's capture (correlate/
  // peer_alignment.h): the IPv4 identification (0 for IPv6, and often for DF packets such as
  // SYN-ACKs and RSTs), the TTL / hop limit, and for UDP a digest of the payload's first
  // kPayloadDigestBytes (unset when fewer were captured: a headers-only snap length).
  uint16_t ip_id = 0;
  uint8_t ttl = 0;
  std::optional<uint64_t> payload_digest;
  static constexpr size_t kPayloadDigestBytes = 32;

  std::optional<TcpSegment> tcp;
  std::optional<IcmpError> icmp_error;
  std::optional<DnsMessage> dns;
  std::optional<TlsRecordInfo> tls;
  std::optional<NeighbourMessage> neighbour;  // ARP (ip kNone) or ICMPv6 NS/NA

  // The flow this packet belongs to, seen from its sender.
  FlowKey SenderFlow() const { return FlowKey{transport, src, dst}; }
};

// Loss the capture admits to (pcap_stats and decode failures).
struct CaptureStats {
  uint64_t received = 0;
  uint64_t kernel_dropped = 0;
  uint64_t interface_dropped = 0;
  uint64_t undecodable = 0;
  bool available = true;  // false: no capture at all (no privilege, --no-capture)
  // false: it could have been, but the launched program never touched the network, so it was
  // never opened (its packet socket's setup and teardown cost the program time for nothing).
  bool opened = true;
  std::string unavailable_reason;
};

}  // namespace netcorr
