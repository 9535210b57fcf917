// Address resolution on the link: ARP (RFC 826) for IPv4 over Ethernet, and ICMPv6 neighbour
// solicitations and advertisements (RFC 4861 4.3, 4.4). The correlator needs them to tell a
// next hop that never answered (EHOSTUNREACH after ~3 s, no SYN on the wire) from a firewall.
#include <cstdint>

#include "absl/types/span.h"
#include "capture/byte_reader.h"
#include "capture/decode_layers.h"

namespace netcorr::capture::decode_internal {

namespace {

constexpr uint16_t kArpHardwareEthernet = 1;
constexpr uint16_t kArpProtocolIpv4 = 0x0800;
constexpr uint16_t kArpRequest = 1;
constexpr uint16_t kArpReply = 2;
constexpr uint8_t kNdSourceLinkLayer = 1;  // RFC 4861 4.6.1
constexpr uint8_t kNdTargetLinkLayer = 2;
// A real NS/NA carries one or two options; a chain longer than this is not worth walking.
constexpr int kMaxNdOptions = 16;

bool ReadMac(ByteReader& r, MacAddress& mac) {
  absl::Span<const uint8_t> b;
  if (!r.ReadBytes(mac.size(), b)) return false;
  for (size_t i = 0; i < mac.size(); ++i) mac[i] = b[i];
  return true;
}

bool ReadV4(ByteReader& r, IpAddress& addr) {
  absl::Span<const uint8_t> b;
  if (!r.ReadBytes(4, b)) return false;
  addr = IpAddress::V4({b[0], b[1], b[2], b[3]});
  return true;
}

}  // namespace

void DecodeArp(ByteReader r, Packet& p, DecodeNotes& notes) {
  uint16_t hardware = 0, protocol = 0, op = 0;
  uint8_t hardware_len = 0, protocol_len = 0;
  if (!r.ReadU16(hardware) || !r.ReadU16(protocol) || !r.ReadU8(hardware_len) ||
      !r.ReadU8(protocol_len) || !r.ReadU16(op)) {
    Note(notes, true, "arp");
    return;
  }
  // Only IPv4 over Ethernet resolves anything netcorr's flows use; other hardware, RARP and
  // InARP are valid ARP that is simply not about them.
  if (hardware != kArpHardwareEthernet || protocol != kArpProtocolIpv4 || hardware_len != 6 ||
      protocol_len != 4 || (op != kArpRequest && op != kArpReply)) {
    return;
  }
  NeighbourMessage m;
  m.is_reply = op == kArpReply;
  MacAddress sender_mac{}, target_mac{};
  if (!ReadMac(r, sender_mac) || !ReadV4(r, m.sender_ip) || !ReadMac(r, target_mac) ||
      !ReadV4(r, m.target_ip)) {
    Note(notes, true, "arp");
    return;
  }
  m.sender_mac = sender_mac;
  m.target_mac = target_mac;
  p.neighbour = std::move(m);
}

void DecodeNeighbourDiscovery(const IpLayer& ip, ByteReader l4, Packet& p, DecodeNotes& notes) {
  uint8_t type = 0, code = 0;
  if (!l4.ReadU8(type) || !l4.ReadU8(code)) return;  // DecodeIcmp noted the truncation
  if (type != kIcmpV6NeighbourSolicitation && type != kIcmpV6NeighbourAdvertisement) return;
  absl::Span<const uint8_t> target;
  if (!l4.Skip(2 + 4) || !l4.ReadBytes(16, target)) {  // checksum, reserved/flags
    Note(notes, true, "ndp");
    return;
  }
  // RFC 4861 7.1.1: a solicitation with a code other than 0 is invalid and silently discarded.
  if (code != 0) {
    Note(notes, false, "ndp");
    return;
  }
  NeighbourMessage m;
  m.v6 = true;
  m.is_reply = type == kIcmpV6NeighbourAdvertisement;
  m.sender_ip = ip.src;
  std::array<uint8_t, 16> t{};
  for (size_t i = 0; i < t.size(); ++i) t[i] = target[i];
  m.target_ip = IpAddress::V6(t);
  // RFC 4861 4.6: type, length in units of 8 bytes (0 is invalid), value.
  for (int n = 0; n < kMaxNdOptions && !l4.empty(); ++n) {
    uint8_t opt_type = 0, opt_len = 0;
    ByteReader value;
    if (!l4.ReadU8(opt_type) || !l4.ReadU8(opt_len)) {
      Note(notes, true, "ndp");
      break;
    }
    if (opt_len == 0) {
      Note(notes, false, "ndp");
      break;
    }
    if (!l4.ReadSub(size_t{opt_len} * 8 - 2, value)) {
      Note(notes, true, "ndp");
      break;
    }
    MacAddress mac{};
    if ((opt_type == kNdSourceLinkLayer || opt_type == kNdTargetLinkLayer) && ReadMac(value, mac)) {
      // Either option names the link-layer address of the message's sender.
      m.sender_mac = mac;
    }
  }
  p.neighbour = std::move(m);
}

}  // namespace netcorr::capture::decode_internal
