// The link layers DecodePacket reads before IP: Ethernet (with VLAN tags), Linux cooked
// capture v1 and v2, BSD null/loop, and raw IP.
#include <cstdint>

#include "absl/types/span.h"
#include "capture/byte_reader.h"
#include "capture/decode_layers.h"
#include "capture/raw_packet.h"

namespace netcorr::capture {

namespace decode_internal {

namespace {

constexpr uint16_t kEtherIpv4 = 0x0800;
constexpr uint16_t kEtherIpv6 = 0x86DD;
constexpr uint16_t kEtherArp = 0x0806;
constexpr uint16_t kEtherVlan = 0x8100;
constexpr uint16_t kEtherQinQ = 0x88A8;
constexpr uint16_t kEtherQinQOld = 0x9100;
// A frame may stack several VLAN tags (QinQ); more than this is not a real network.
constexpr int kMaxVlanTags = 4;

NetProto FromEthertype(uint16_t type) {
  if (type == kEtherIpv4) return NetProto::kIpv4;
  if (type == kEtherIpv6) return NetProto::kIpv6;
  if (type == kEtherArp) return NetProto::kArp;
  return NetProto::kNone;
}

// Ethernet II with any number (bounded) of 802.1Q / 802.1ad tags. 802.3 length frames (type
// < 0x600, LLC) carry no IP netcorr cares about.
bool DecodeEthernet(ByteReader& r, NetProto& net, DecodeNotes& notes) {
  uint16_t type = 0;
  if (!r.Skip(12) || !r.ReadU16(type)) {
    Note(notes, true, "ethernet");
    return false;
  }
  for (int tags = 0; type == kEtherVlan || type == kEtherQinQ || type == kEtherQinQOld; ++tags) {
    if (tags == kMaxVlanTags) {
      Note(notes, false, "vlan");
      return false;
    }
    if (!r.Skip(2) || !r.ReadU16(type)) {
      Note(notes, true, "vlan");
      return false;
    }
  }
  net = FromEthertype(type);
  return true;
}

// Linux cooked capture v1 (LINKTYPE_LINUX_SLL): packet type, ARPHRD type, address length,
// 8 address bytes, protocol (an Ethertype for the link types that carry IP).
bool DecodeSll(ByteReader& r, NetProto& net, DecodeNotes& notes) {
  uint16_t protocol = 0;
  if (!r.Skip(14) || !r.ReadU16(protocol)) {
    Note(notes, true, "sll");
    return false;
  }
  net = FromEthertype(protocol);
  return true;
}

// Linux cooked capture v2 (LINKTYPE_LINUX_SLL2): protocol first, then reserved, ifindex,
// ARPHRD type, packet type, address length and 8 address bytes: 20 bytes.
bool DecodeSll2(ByteReader& r, NetProto& net, DecodeNotes& notes) {
  uint16_t protocol = 0;
  if (!r.ReadU16(protocol) || !r.Skip(18)) {
    Note(notes, true, "sll2");
    return false;
  }
  net = FromEthertype(protocol);
  return true;
}

// BSD loopback: a 4-byte address family in the *capturing* host's byte order (DLT_NULL), or
// in network order (DLT_LOOP). AF_INET is 2 everywhere; AF_INET6 is 10 on Linux, 24, 28 or 30
// on the BSDs and macOS, so all are accepted.
bool DecodeNull(ByteReader& r, bool network_order, NetProto& net, DecodeNotes& notes) {
  absl::Span<const uint8_t> b;
  if (!r.ReadBytes(4, b)) {
    Note(notes, true, "loopback");
    return false;
  }
  uint32_t be = LoadBe<uint32_t>(b.data());
  uint32_t le =
      uint32_t{b[0]} | (uint32_t{b[1]} << 8) | (uint32_t{b[2]} << 16) | (uint32_t{b[3]} << 24);
  auto classify = [](uint32_t family) {
    if (family == 2) return NetProto::kIpv4;
    if (family == 10 || family == 24 || family == 28 || family == 30) return NetProto::kIpv6;
    return NetProto::kNone;
  };
  net = classify(be);
  if (!network_order && net == NetProto::kNone) net = classify(le);
  return true;
}

}  // namespace

bool DecodeLink(int link_type, ByteReader& r, NetProto& net, DecodeNotes& notes) {
  switch (link_type) {
    case kLinkEthernet:
      return DecodeEthernet(r, net, notes);
    case kLinkLinuxSll:
      return DecodeSll(r, net, notes);
    case kLinkLinuxSll2:
      return DecodeSll2(r, net, notes);
    case kLinkNull:
      return DecodeNull(r, /*network_order=*/false, net, notes);
    case kLinkLoop:
      return DecodeNull(r, /*network_order=*/true, net, notes);
    default:  // raw IP
      net = NetProto::kByVersion;
      return true;
  }
}

}  // namespace decode_internal

bool IsSupportedLinkType(int link_type) {
  switch (link_type) {
    case kLinkNull:
    case kLinkEthernet:
    case kLinkRaw:
    case kLinkRawDlt:
    case kLinkLoop:
    case kLinkLinuxSll:
    case kLinkLinuxSll2:
      return true;
    default:
      return false;
  }
}

}  // namespace netcorr::capture
