// The IP layer: IPv4 with options and fragments, IPv6 with its extension header chain, for a
// packet and for the copy of one quoted inside an ICMP error.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

#include "absl/types/span.h"
#include "capture/byte_reader.h"
#include "capture/decode_layers.h"

namespace netcorr::capture::decode_internal {

namespace {

// IPv6 extension header chains are short in practice; the bound keeps a crafted chain cheap.
constexpr int kMaxIpv6ExtensionHeaders = 16;

constexpr uint8_t kIpv6HopByHop = 0;
constexpr uint8_t kIpv6Routing = 43;
constexpr uint8_t kIpv6Fragment = 44;
constexpr uint8_t kIpv6Ah = 51;
constexpr uint8_t kIpv6NoNext = 59;
constexpr uint8_t kIpv6DestOpts = 60;

IpAddress ReadV4(absl::Span<const uint8_t> b) { return IpAddress::V4({b[0], b[1], b[2], b[3]}); }

IpAddress ReadV6(absl::Span<const uint8_t> b) {
  std::array<uint8_t, 16> a{};
  std::copy(b.begin(), b.begin() + 16, a.begin());
  return IpAddress::V6(a);
}

// IPv4 (RFC 791): IHL covers the options, which are skipped. A fragment with a non-zero offset
// carries no L4 header. `quoted`: the copy inside an ICMP error, whose total length describes
// the original packet, not the bytes present.
bool DecodeIpv4(ByteReader& r, IpLayer& ip, DecodeNotes& notes, bool quoted) {
  const char* where = quoted ? "icmp-quoted-ipv4" : "ipv4";
  uint8_t ver_ihl = 0;
  if (!r.PeekU8(0, ver_ihl)) {
    Note(notes, true, where);
    return false;
  }
  if ((ver_ihl >> 4) != 4) {
    Note(notes, false, where);
    return false;
  }
  const size_t header_len = size_t{ver_ihl & 0x0Fu} * 4;
  if (header_len < 20) {
    Note(notes, false, where);
    return false;
  }
  ByteReader h;
  if (!r.ReadSub(20, h)) {
    Note(notes, true, where);
    return false;
  }
  uint16_t total_len = 0, frag = 0, id = 0;
  uint8_t proto = 0, ttl = 0;
  absl::Span<const uint8_t> src, dst;
  h.Skip(2);
  h.ReadU16(total_len);
  h.ReadU16(id);
  h.ReadU16(frag);
  h.ReadU8(ttl);
  h.ReadU8(proto);
  h.Skip(2);
  h.ReadBytes(4, src);
  h.ReadBytes(4, dst);
  ip.family = IpAddress::Family::kV4;
  ip.src = ReadV4(src);
  ip.dst = ReadV4(dst);
  ip.proto = proto;
  ip.has_proto = true;
  ip.non_first_fragment = (frag & 0x1FFF) != 0;
  ip.id = id;
  ip.ttl = ttl;
  if (!r.Skip(header_len - 20)) {  // options
    Note(notes, true, where);
    return false;
  }
  // total_len 0 happens for segmentation-offloaded packets captured before the NIC splits
  // them; then the captured bytes are all there is to go on.
  if (total_len >= header_len) {
    ip.l4_wire_len = total_len - static_cast<uint32_t>(header_len);
    const size_t present = std::min<size_t>(r.remaining(), ip.l4_wire_len);
    r.ReadSub(present, ip.l4);
  } else if (total_len == 0 && !quoted) {
    ip.l4_wire_len = static_cast<uint32_t>(r.remaining());
    r.ReadSub(r.remaining(), ip.l4);
  } else {
    Note(notes, false, where);
    r.ReadSub(r.remaining(), ip.l4);
    ip.l4_wire_len = static_cast<uint32_t>(ip.l4.remaining());
  }
  return true;
}

// IPv6 (RFC 8200): fixed 40-byte header, then a chain of extension headers walked to the
// upper-layer protocol. A fragment header with a non-zero offset ends the walk: no L4 header.
bool DecodeIpv6(ByteReader& r, IpLayer& ip, DecodeNotes& notes, bool quoted) {
  const char* where = quoted ? "icmp-quoted-ipv6" : "ipv6";
  ByteReader h;
  if (!r.ReadSub(40, h)) {
    Note(notes, true, where);
    return false;
  }
  uint8_t version = 0, next = 0, hop_limit = 0;
  uint16_t payload_len = 0;
  absl::Span<const uint8_t> src, dst;
  h.PeekU8(0, version);
  if ((version >> 4) != 6) {
    Note(notes, false, where);
    return false;
  }
  h.Skip(4);
  h.ReadU16(payload_len);
  h.ReadU8(next);
  h.ReadU8(hop_limit);
  ip.ttl = hop_limit;
  h.ReadBytes(16, src);
  h.ReadBytes(16, dst);
  ip.family = IpAddress::Family::kV6;
  ip.src = ReadV6(src);
  ip.dst = ReadV6(dst);

  // Limit the chain to the declared payload (0 = jumbogram or offloaded: use what is there).
  ByteReader payload;
  const size_t declared = (payload_len == 0 && !quoted) ? r.remaining() : payload_len;
  r.ReadSub(std::min(r.remaining(), declared), payload);
  uint32_t wire_left = static_cast<uint32_t>(declared);

  for (int i = 0;; ++i) {
    if (next == kIpv6NoNext) {
      ip.proto = next;
      ip.has_proto = true;
      break;
    }
    const bool ext = next == kIpv6HopByHop || next == kIpv6Routing || next == kIpv6DestOpts ||
                     next == kIpv6Fragment || next == kIpv6Ah;
    if (!ext) {
      ip.proto = next;
      ip.has_proto = true;
      break;
    }
    if (i == kMaxIpv6ExtensionHeaders) {
      Note(notes, false, where);
      return true;
    }
    uint8_t following = 0, len_field = 0;
    if (!payload.PeekU8(0, following) || !payload.PeekU8(1, len_field)) {
      Note(notes, true, where);
      return true;
    }
    size_t len = 0;
    if (next == kIpv6Fragment) {
      uint16_t offset_flags = 0;
      ByteReader frag;
      if (!payload.ReadSub(8, frag)) {
        Note(notes, true, where);
        return true;
      }
      frag.Skip(2);
      frag.ReadU16(offset_flags);
      len = 8;
      if ((offset_flags >> 3) != 0) {
        ip.proto = following;
        ip.has_proto = true;
        ip.non_first_fragment = true;
        wire_left = wire_left >= len ? wire_left - static_cast<uint32_t>(len) : 0;
        next = following;
        break;
      }
    } else {
      // AH counts 4-byte units minus 2; the others 8-byte units not counting the first 8.
      len = next == kIpv6Ah ? (size_t{len_field} + 2) * 4 : (size_t{len_field} + 1) * 8;
      if (!payload.Skip(len)) {
        Note(notes, true, where);
        return true;
      }
    }
    wire_left = wire_left >= len ? wire_left - static_cast<uint32_t>(len) : 0;
    next = following;
  }
  ip.l4_wire_len = wire_left;
  payload.ReadSub(std::min<size_t>(payload.remaining(), wire_left), ip.l4);
  return true;
}

}  // namespace

bool DecodeIp(NetProto net, ByteReader& r, IpLayer& ip, DecodeNotes& notes, bool quoted) {
  if (net == NetProto::kByVersion) {
    uint8_t v = 0;
    if (!r.PeekU8(0, v)) {
      Note(notes, true, quoted ? "icmp-quoted-ip" : "ip");
      return false;
    }
    net = (v >> 4) == 4 ? NetProto::kIpv4 : (v >> 4) == 6 ? NetProto::kIpv6 : NetProto::kNone;
    if (net == NetProto::kNone) {
      Note(notes, false, quoted ? "icmp-quoted-ip" : "ip");
      return false;
    }
  }
  if (net == NetProto::kIpv4) return DecodeIpv4(r, ip, notes, quoted);
  if (net == NetProto::kIpv6) return DecodeIpv6(r, ip, notes, quoted);
  return false;
}

}  // namespace netcorr::capture::decode_internal
