// DecodePacket: a frame's link layer, then its IP layer, then its transport layer, each in its
// own file (decode_layers.h names them).
#include "capture/decode.h"

#include <algorithm>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "capture/byte_reader.h"
#include "capture/decode_layers.h"

namespace netcorr::capture {

using decode_internal::DecodeArp;
using decode_internal::DecodeIp;
using decode_internal::DecodeLink;
using decode_internal::DecodeTransport;
using decode_internal::IpLayer;
using decode_internal::NetProto;
using decode_internal::TransportFor;

absl::StatusOr<Packet> DecodePacket(int link_type, absl::Span<const uint8_t> bytes,
                                    uint32_t wire_len, TimeNs ts, DecodeNotes* notes_out) {
  if (!IsSupportedLinkType(link_type)) {
    return absl::InvalidArgumentError(
        absl::StrCat("unsupported link-layer type ", link_type,
                     " (netcorr decodes Ethernet, Linux cooked v1/v2, loopback and raw IP)"));
  }
  DecodeNotes local_notes;
  DecodeNotes& notes = notes_out ? *notes_out : local_notes;
  notes = DecodeNotes();
  Packet p;
  p.ts_ns = ts;
  p.wire_len = std::max<uint32_t>(wire_len, static_cast<uint32_t>(bytes.size()));
  p.captured_len = static_cast<uint32_t>(bytes.size());

  ByteReader r(bytes);
  NetProto net = NetProto::kNone;
  const bool ok = DecodeLink(link_type, r, net, notes);
  if (!ok || net == NetProto::kNone) return p;  // not IP nor ARP (LLDP, ...): nothing more
  if (net == NetProto::kArp) {
    DecodeArp(r, p, notes);
    return p;
  }

  IpLayer ip;
  if (!DecodeIp(net, r, ip, notes, /*quoted=*/false)) {
    if (ip.family == IpAddress::Family::kNone) return p;
  }
  p.ip = ip.family;
  p.src.addr = ip.src;
  p.dst.addr = ip.dst;
  p.ip_id = ip.id;
  p.ttl = ip.ttl;
  if (!ip.has_proto) return p;
  p.transport = TransportFor(ip.proto);
  p.payload_len = ip.l4_wire_len;
  if (ip.non_first_fragment) {
    p.is_fragment = true;
    return p;
  }
  DecodeTransport(ip, p, notes);
  return p;
}

absl::StatusOr<Packet> DecodePacket(const RawPacket& raw, DecodeNotes* notes) {
  absl::StatusOr<Packet> p = DecodePacket(raw.link_type, raw.bytes, raw.wire_len, raw.ts, notes);
  if (p.ok()) p->interface = raw.interface;
  return p;
}

}  // namespace netcorr::capture
