#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "capture/raw_packet.h"
#include "src/model/packet.h"
#include "src/model/time.h"

namespace netcorr::capture {

// What the decoder could not read. A packet cut by the snap length, or malformed, still
// yields a Packet with every layer decoded up to the problem; this says where it stopped.
struct DecodeNotes {
  bool truncated = false;  // a header ended before its declared length
  bool malformed = false;  // a field had an impossible value (IHL < 5, bad version, ...)
  std::string where;       // the layer that stopped decoding: "ipv4", "tcp", "dns", ...
  bool complete() const { return !truncated && !malformed; }
};

// True for the link types DecodePacket understands (see raw_packet.h).
bool IsSupportedLinkType(int link_type);

// Decodes one captured frame into the model's Packet: link layer (Ethernet with VLAN tags,
// Linux cooked v1/v2, null/loop, raw IP), IPv4/IPv6 (options, extension headers, fragments),
// TCP/UDP, ICMP/ICMPv6 errors with the quoted original header, DNS on port 53, TLS records on
// TCP. Never reads outside `bytes`. Fails only for an unsupported link type; anything else
// undecodable gives a Packet with what was decoded (ip kNone for non-IP frames such as ARP),
// and `notes` (if given) says what stopped the decoder. `wire_len` is the original length.
// The returned Packet has id 0 and an empty interface: the caller numbers packets.
absl::StatusOr<Packet> DecodePacket(int link_type, absl::Span<const uint8_t> bytes,
                                    uint32_t wire_len, TimeNs ts, DecodeNotes* notes = nullptr);

// The same for a RawPacket; copies its interface name into the Packet.
absl::StatusOr<Packet> DecodePacket(const RawPacket& raw, DecodeNotes* notes = nullptr);

// Decodes a DNS message (RFC 1035 section 4.1) from a UDP payload: header fields and the first
// question. Compression pointers are followed with a bound on jumps and name length. nullopt
// if the 12-byte header is not there; a truncated question leaves qname "" / qtype 0.
std::optional<DnsMessage> DecodeDns(absl::Span<const uint8_t> payload);

// Decodes the first TLS record (RFC 8446 section 5.1) at the start of a TCP payload: header,
// and for alerts the level/description, for a ClientHello the legacy version, SNI
// (server_name) and supported_versions — as far as the captured bytes go. nullopt when the
// bytes do not look like a TLS record (unknown content type or version).
std::optional<TlsRecordInfo> DecodeTls(absl::Span<const uint8_t> payload);

}  // namespace netcorr::capture
