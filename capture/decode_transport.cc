// The transport layer: TCP with its options, UDP, and ICMP/ICMPv6 errors with the header of
// the packet they quote; the TLS record on TCP and DNS on UDP are handed to their decoders.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>

#include "absl/types/span.h"
#include "capture/byte_reader.h"
#include "capture/decode.h"
#include "capture/decode_layers.h"

namespace netcorr::capture::decode_internal {

namespace {

constexpr uint8_t kProtoIcmp = 1;
constexpr uint8_t kProtoTcp = 6;
constexpr uint8_t kProtoUdp = 17;
constexpr uint8_t kProtoIcmpV6 = 58;

constexpr uint16_t kDnsPort = 53;
constexpr uint16_t kMdnsPort = 5353;

// TCP options (RFC 9293 section 3.2): end, no-op, and kind-length-value; a length below 2 or
// past the header ends the walk.
void DecodeTcpOptions(ByteReader opts, TcpSegment& tcp) {
  while (!opts.empty()) {
    uint8_t kind = 0, len = 0;
    opts.ReadU8(kind);
    if (kind == 0) return;
    if (kind == 1) continue;
    if (!opts.ReadU8(len) || len < 2) return;
    ByteReader value;
    if (!opts.ReadSub(len - 2, value)) return;
    switch (kind) {
      case 2: {  // MSS
        uint16_t mss = 0;
        if (len == 4 && value.ReadU16(mss)) tcp.mss = mss;
        break;
      }
      case 3: {  // window scale
        uint8_t shift = 0;
        if (len == 3 && value.ReadU8(shift)) tcp.window_scale = shift;
        break;
      }
      case 8: {  // timestamps
        uint32_t val = 0, ecr = 0;
        if (len == 10 && value.ReadU32(val) && value.ReadU32(ecr)) {
          tcp.ts_val = val;
          tcp.ts_ecr = ecr;
        }
        break;
      }
      default:
        break;
    }
  }
}

// The L4 header's ports (and TCP's sequence number) from the first 8 bytes, all an ICMP error
// is guaranteed to quote (RFC 792).
void DecodeQuotedL4(const IpLayer& ip, IcmpError& err) {
  err.original.transport = TransportFor(ip.proto);
  err.original.local.addr = ip.src;
  err.original.remote.addr = ip.dst;
  if (ip.non_first_fragment) return;
  if (ip.proto != kProtoTcp && ip.proto != kProtoUdp) return;
  ByteReader l4 = ip.l4;
  uint16_t sport = 0, dport = 0;
  if (!l4.ReadU16(sport) || !l4.ReadU16(dport)) return;
  err.original.local.port = sport;
  err.original.remote.port = dport;
  uint32_t seq = 0;
  if (ip.proto == kProtoTcp && l4.ReadU32(seq)) err.original_tcp_seq = seq;
}

bool IsIcmpV4Error(uint8_t type) { return type == 3 || type == 11 || type == 12; }
bool IsIcmpV6Error(uint8_t type) { return type >= 1 && type <= 4; }

// ICMP (RFC 792) and ICMPv6 (RFC 4443) errors: type, code, a 4-byte field (next-hop MTU for
// frag-needed, MTU for packet-too-big), then as much of the offending packet as fits.
void DecodeIcmp(const IpLayer& outer, ByteReader l4, Packet& p, DecodeNotes& notes) {
  const bool v6 = outer.proto == kProtoIcmpV6;
  const char* where = v6 ? "icmpv6" : "icmp";
  uint8_t type = 0, code = 0;
  uint32_t rest = 0;
  if (!l4.ReadU8(type) || !l4.ReadU8(code) || !l4.Skip(2) || !l4.ReadU32(rest)) {
    Note(notes, true, where);
    return;
  }
  p.payload_len = outer.l4_wire_len >= 8 ? outer.l4_wire_len - 8 : 0;
  if (v6 ? !IsIcmpV6Error(type) : !IsIcmpV4Error(type)) return;  // echo & co: not evidence
  IcmpError err;
  err.v6 = v6;
  err.type = type;
  err.code = code;
  err.sender = outer.src;
  if (!v6 && type == 3 && code == 4) err.next_hop_mtu = rest & 0xFFFF;
  if (v6 && type == 2) err.next_hop_mtu = rest;
  IpLayer quoted;
  if (DecodeIp(v6 ? NetProto::kIpv6 : NetProto::kIpv4, l4, quoted, notes, /*quoted=*/true) &&
      quoted.has_proto) {
    DecodeQuotedL4(quoted, err);
  }
  p.icmp_error = std::move(err);
}

void DecodeTcp(const IpLayer& ip, ByteReader l4, Packet& p, DecodeNotes& notes) {
  ByteReader h;
  uint8_t doff_byte = 0;
  if (!l4.PeekU8(12, doff_byte)) {
    Note(notes, true, "tcp");
    return;
  }
  const size_t header_len = size_t{static_cast<uint8_t>(doff_byte >> 4)} * 4;
  if (header_len < 20) {
    Note(notes, false, "tcp");
    return;
  }
  if (!l4.ReadSub(20, h)) {
    Note(notes, true, "tcp");
    return;
  }
  TcpSegment tcp;
  h.ReadU16(p.src.port);
  h.ReadU16(p.dst.port);
  h.ReadU32(tcp.seq);
  h.ReadU32(tcp.ack);
  h.Skip(1);
  h.ReadU8(tcp.flags);
  h.ReadU16(tcp.window);
  tcp.payload_len = ip.l4_wire_len >= header_len ? ip.l4_wire_len - header_len : 0;
  p.payload_len = tcp.payload_len;
  ByteReader opts;
  if (!l4.ReadSub(header_len - 20, opts)) {
    // Options cut by the snap length: keep what is there, the fixed header is complete.
    DecodeTcpOptions(ByteReader(l4.rest()), tcp);
    p.tcp = tcp;
    Note(notes, true, "tcp-options");
    return;
  }
  DecodeTcpOptions(opts, tcp);
  p.tcp = tcp;
  if (!l4.empty()) p.tls = DecodeTls(l4.rest());
}

// FNV-1a over the payload's first Packet::kPayloadDigestBytes (or all of a shorter payload),
// when the capture kept that much: the same datagram gives the same digest in any capture
// whose snap length kept those bytes, whatever NAT did to its addresses and checksum.
std::optional<uint64_t> PayloadDigest(absl::Span<const uint8_t> captured, uint32_t wire_len) {
  const size_t want = std::min<size_t>(wire_len, Packet::kPayloadDigestBytes);
  if (want == 0 || captured.size() < want) return std::nullopt;
  uint64_t h = 14695981039346656037ull;
  for (size_t i = 0; i < want; ++i) {
    h ^= captured[i];
    h *= 1099511628211ull;
  }
  return h;
}

void DecodeUdp(const IpLayer& ip, ByteReader l4, Packet& p, DecodeNotes& notes) {
  uint16_t len = 0;
  if (!l4.ReadU16(p.src.port) || !l4.ReadU16(p.dst.port) || !l4.ReadU16(len) || !l4.Skip(2)) {
    Note(notes, true, "udp");
    return;
  }
  // Trust the UDP length only when it agrees with the IP layer.
  const uint32_t l4_len = (len >= 8 && len <= ip.l4_wire_len) ? len : ip.l4_wire_len;
  p.payload_len = l4_len >= 8 ? l4_len - 8 : 0;
  absl::Span<const uint8_t> payload = l4.rest();
  payload = payload.subspan(0, std::min<size_t>(payload.size(), p.payload_len));
  p.payload_digest = PayloadDigest(payload, p.payload_len);
  const bool dns_port = p.src.port == kDnsPort || p.dst.port == kDnsPort ||
                        p.src.port == kMdnsPort || p.dst.port == kMdnsPort;
  if (dns_port) {
    p.dns = DecodeDns(payload);
    if (!p.dns) Note(notes, true, "dns");
  }
}

}  // namespace

Transport TransportFor(uint8_t proto) {
  switch (proto) {
    case kProtoTcp:
      return Transport::kTcp;
    case kProtoUdp:
      return Transport::kUdp;
    case kProtoIcmp:
      return Transport::kIcmp;
    case kProtoIcmpV6:
      return Transport::kIcmpV6;
    default:
      return Transport::kUnknown;
  }
}

void DecodeTransport(const IpLayer& ip, Packet& p, DecodeNotes& notes) {
  switch (ip.proto) {
    case kProtoTcp:
      DecodeTcp(ip, ip.l4, p, notes);
      break;
    case kProtoUdp:
      DecodeUdp(ip, ip.l4, p, notes);
      break;
    case kProtoIcmp:
      if (ip.family == IpAddress::Family::kV4) DecodeIcmp(ip, ip.l4, p, notes);
      break;
    case kProtoIcmpV6:
      if (ip.family == IpAddress::Family::kV6) {
        DecodeIcmp(ip, ip.l4, p, notes);
        DecodeNeighbourDiscovery(ip, ip.l4, p, notes);
      }
      break;
    default:
      break;
  }
}

}  // namespace netcorr::capture::decode_internal
