#pragma once

// The layers DecodePacket (decode.cc) is made of, one file each: the link layers
// (decode_link.cc), IPv4 and IPv6 (decode_ip.cc), TCP, UDP and ICMP (decode_transport.cc), and
// the application decoders DecodeDns (decode_dns.cc) and DecodeTls (decode_tls.cc). Internal to
// capture/: everyone else includes capture/decode.h.

#include <cstdint>
#include <string>

#include "absl/types/span.h"
#include "capture/byte_reader.h"
#include "capture/decode.h"
#include "src/model/endpoint.h"
#include "src/model/packet.h"

namespace netcorr::capture::decode_internal {

// Records where decoding stopped; the first problem wins (later layers were never reached).
inline void Note(DecodeNotes& notes, bool truncated, const char* where) {
  if (!notes.complete()) return;
  if (truncated) {
    notes.truncated = true;
  } else {
    notes.malformed = true;
  }
  notes.where = where;
}

// The network layer as the link layer announces it.
enum class NetProto { kNone, kIpv4, kIpv6, kByVersion, kArp };

// ICMPv6 types of neighbour discovery (RFC 4861 4.3, 4.4).
inline constexpr uint8_t kIcmpV6NeighbourSolicitation = 135;
inline constexpr uint8_t kIcmpV6NeighbourAdvertisement = 136;

// decode_link.cc: reads the link-layer header of a frame of `link_type` (one that
// IsSupportedLinkType accepts) and says in `net` what it carries. Raw IP reads nothing and
// gives kByVersion. False if the header is cut or invalid (`notes` says which).
bool DecodeLink(int link_type, ByteReader& r, NetProto& net, DecodeNotes& notes);

// The IP layer of a packet (outer or quoted in an ICMP error): addresses, the L4 protocol, and
// a reader over the L4 bytes limited to what the IP header says (so Ethernet padding is never
// taken for payload). `l4_wire_len` is the L4 length the header declares.
struct IpLayer {
  IpAddress::Family family = IpAddress::Family::kNone;
  IpAddress src;
  IpAddress dst;
  uint8_t proto = 0;
  bool has_proto = false;  // false: the extension header chain was cut before the L4 protocol
  bool non_first_fragment = false;
  uint16_t id = 0;  // IPv4 identification (0 for IPv6)
  uint8_t ttl = 0;  // TTL / hop limit
  ByteReader l4;
  uint32_t l4_wire_len = 0;
};

// decode_ip.cc: the IPv4 or IPv6 header at `r` (kByVersion: whichever its version nibble
// says). `quoted`: the copy inside an ICMP error. False if no IP header could be read; `ip`
// keeps what was.
bool DecodeIp(NetProto net, ByteReader& r, IpLayer& ip, DecodeNotes& notes, bool quoted);

// decode_transport.cc: the model's Transport for an IP protocol number.
Transport TransportFor(uint8_t proto);

// decode_transport.cc: the TCP, UDP or ICMP header in `ip.l4` (of a first or only fragment),
// and the DNS or TLS it carries, into `p`. Other protocols are left alone.
void DecodeTransport(const IpLayer& ip, Packet& p, DecodeNotes& notes);

// decode_neighbour.cc: an ARP packet (the bytes after the link header) into p.neighbour: only
// Ethernet/IPv4 requests and replies; other ARP is left out, a cut one is noted.
void DecodeArp(ByteReader r, Packet& p, DecodeNotes& notes);
// decode_neighbour.cc: an ICMPv6 neighbour solicitation or advertisement in `l4` (the ICMPv6
// message of `ip`) into p.neighbour: the target address and a link-layer address option.
// Other ICMPv6 types are left alone.
void DecodeNeighbourDiscovery(const IpLayer& ip, ByteReader l4, Packet& p, DecodeNotes& notes);

// decode_dns.cc: appends a DNS label (or a TLS server name) in dig's escaped form.
void AppendLabel(absl::Span<const uint8_t> label, std::string& out, bool escape_dots = true);

}  // namespace netcorr::capture::decode_internal
