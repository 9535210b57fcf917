#pragma once

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
  bool is_fragment = false;     // a non-first IP fragment: no L4 header
  uint32_t payload_len = 0;     // L4 payload bytes on the wire

  std::optional<TcpSegment> tcp;
  std::optional<IcmpError> icmp_error;
  std::optional<DnsMessage> dns;
  std::optional<TlsRecordInfo> tls;

  // The flow this packet belongs to, seen from its sender.
  FlowKey SenderFlow() const { return FlowKey{transport, src, dst}; }
};

// Loss the capture admits to (pcap_stats and decode failures).
struct CaptureStats {
  uint64_t received = 0;
  uint64_t kernel_dropped = 0;
  uint64_t interface_dropped = 0;
  uint64_t undecodable = 0;
  bool available = true;       // false: no capture at all (no privilege, --no-capture)
  std::string unavailable_reason;
};

}  // namespace netcorr
