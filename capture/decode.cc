#include "capture/decode.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "capture/byte_reader.h"

namespace netcorr::capture {

namespace {

constexpr uint16_t kEtherIpv4 = 0x0800;
constexpr uint16_t kEtherIpv6 = 0x86DD;
constexpr uint16_t kEtherVlan = 0x8100;
constexpr uint16_t kEtherQinQ = 0x88A8;
constexpr uint16_t kEtherQinQOld = 0x9100;
// A frame may stack several VLAN tags (QinQ); more than this is not a real network.
constexpr int kMaxVlanTags = 4;
// IPv6 extension header chains are short in practice; the bound keeps a crafted chain cheap.
constexpr int kMaxIpv6ExtensionHeaders = 16;

constexpr uint8_t kProtoIcmp = 1;
constexpr uint8_t kProtoTcp = 6;
constexpr uint8_t kProtoUdp = 17;
constexpr uint8_t kProtoIcmpV6 = 58;
constexpr uint8_t kIpv6HopByHop = 0;
constexpr uint8_t kIpv6Routing = 43;
constexpr uint8_t kIpv6Fragment = 44;
constexpr uint8_t kIpv6Ah = 51;
constexpr uint8_t kIpv6NoNext = 59;
constexpr uint8_t kIpv6DestOpts = 60;

constexpr uint16_t kDnsPort = 53;
constexpr uint16_t kMdnsPort = 5353;

// Records where decoding stopped; the first problem wins (later layers were never reached).
void Note(DecodeNotes& notes, bool truncated, const char* where) {
  if (!notes.complete()) return;
  if (truncated) {
    notes.truncated = true;
  } else {
    notes.malformed = true;
  }
  notes.where = where;
}

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

// The network layer as the link layer announces it.
enum class NetProto { kNone, kIpv4, kIpv6, kByVersion };

NetProto FromEthertype(uint16_t type) {
  if (type == kEtherIpv4) return NetProto::kIpv4;
  if (type == kEtherIpv6) return NetProto::kIpv6;
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

IpAddress ReadV4(absl::Span<const uint8_t> b) { return IpAddress::V4({b[0], b[1], b[2], b[3]}); }

IpAddress ReadV6(absl::Span<const uint8_t> b) {
  std::array<uint8_t, 16> a{};
  std::copy(b.begin(), b.begin() + 16, a.begin());
  return IpAddress::V6(a);
}

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
  ByteReader l4;
  uint32_t l4_wire_len = 0;
};

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
  uint16_t total_len = 0, frag = 0;
  uint8_t proto = 0;
  absl::Span<const uint8_t> src, dst;
  h.Skip(2);
  h.ReadU16(total_len);
  h.Skip(2);
  h.ReadU16(frag);
  h.Skip(1);
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
  uint8_t version = 0, next = 0;
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
  h.Skip(1);
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
  const bool dns_port = p.src.port == kDnsPort || p.dst.port == kDnsPort ||
                        p.src.port == kMdnsPort || p.dst.port == kMdnsPort;
  if (dns_port) {
    p.dns = DecodeDns(payload);
    if (!p.dns) Note(notes, true, "dns");
  }
}

// Keeps names printable in reports and terminals: '.' and '\' inside a label and bytes outside
// printable ASCII are written as dig writes them (\. \\ \DDD).
void AppendLabel(absl::Span<const uint8_t> label, std::string& out, bool escape_dots = true) {
  for (uint8_t c : label) {
    if ((c == '.' && escape_dots) || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x21 || c > 0x7E) {
      char buf[5];
      buf[0] = '\\';
      buf[1] = static_cast<char>('0' + c / 100);
      buf[2] = static_cast<char>('0' + (c / 10) % 10);
      buf[3] = static_cast<char>('0' + c % 10);
      buf[4] = 0;
      out.append(buf);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
}

// Reads a (possibly compressed) domain name starting at `r`'s cursor (RFC 1035 section 4.1.4)
// and leaves `r` after it. Pointers jump within the whole message; the jump count and the
// name's wire length are bounded, so a pointer loop ends. False if the name is cut or invalid.
bool ReadDnsName(ByteReader& r, std::string& name) {
  constexpr int kMaxJumps = 32;
  constexpr size_t kMaxNameWire = 255;
  const absl::Span<const uint8_t> message = r.all();
  ByteReader cur = r;
  bool jumped = false;
  int jumps = 0;
  size_t wire = 0;
  name.clear();
  while (true) {
    uint8_t len = 0;
    if (!cur.ReadU8(len)) return false;
    if (len == 0) break;
    if ((len & 0xC0) == 0xC0) {
      uint8_t low = 0;
      if (!cur.ReadU8(low)) return false;
      if (!jumped) r = cur;  // the name ends, for the caller, after the first pointer
      jumped = true;
      if (++jumps > kMaxJumps) return false;
      const size_t target = (size_t{len & 0x3Fu} << 8) | low;
      if (target >= message.size()) return false;
      cur = ByteReader(message);
      cur.Skip(target);
      continue;
    }
    if ((len & 0xC0) != 0) return false;  // 0x40/0x80: reserved label types
    wire += size_t{len} + 1;
    if (wire > kMaxNameWire) return false;
    absl::Span<const uint8_t> label;
    if (!cur.ReadBytes(len, label)) return false;
    if (!name.empty()) name.push_back('.');
    AppendLabel(label, name);
  }
  if (!jumped) r = cur;
  if (name.empty()) name = ".";
  return true;
}

// TLS ClientHello body (RFC 8446 section 4.1.2), read as far as the bytes go: a hello cut by
// the snap length still yields the fields before the cut.
void DecodeClientHello(ByteReader r, TlsClientHello& hello) {
  uint8_t sid_len = 0, comp_len = 0;
  uint16_t suites_len = 0, ext_total = 0;
  if (!r.ReadU16(hello.legacy_version) || !r.Skip(32) || !r.ReadU8(sid_len) || !r.Skip(sid_len) ||
      !r.ReadU16(suites_len) || !r.Skip(suites_len) || !r.ReadU8(comp_len) || !r.Skip(comp_len) ||
      !r.ReadU16(ext_total)) {
    return;
  }
  ByteReader exts(r.rest().subspan(0, std::min<size_t>(r.remaining(), ext_total)));
  while (!exts.empty()) {
    uint16_t type = 0, len = 0;
    ByteReader body;
    if (!exts.ReadU16(type) || !exts.ReadU16(len) || !exts.ReadSub(len, body)) return;
    if (type == 0) {  // server_name (RFC 6066 section 3): a list of (type, name)
      uint16_t list_len = 0;
      if (!body.ReadU16(list_len)) continue;
      ByteReader list;
      if (!body.ReadSub(std::min<size_t>(list_len, body.remaining()), list)) continue;
      while (!list.empty()) {
        uint8_t name_type = 0;
        uint16_t name_len = 0;
        absl::Span<const uint8_t> name;
        if (!list.ReadU8(name_type) || !list.ReadU16(name_len) || !list.ReadBytes(name_len, name))
          break;
        if (name_type == 0) {  // host_name
          hello.sni.clear();
          AppendLabel(name, hello.sni, /*escape_dots=*/false);
          break;
        }
      }
    } else if (type == 43) {  // supported_versions: a 1-byte length, then 2-byte versions
      uint8_t vlen = 0;
      if (!body.ReadU8(vlen)) continue;
      for (size_t i = 0; i + 2 <= vlen; i += 2) {
        uint16_t v = 0;
        if (!body.ReadU16(v)) break;
        hello.supported_versions.push_back(v);
      }
    }
  }
}

}  // namespace

std::optional<DnsMessage> DecodeDns(absl::Span<const uint8_t> payload) {
  ByteReader r(payload);
  DnsMessage m;
  uint16_t flags = 0, ns = 0, ar = 0;
  if (!r.ReadU16(m.id) || !r.ReadU16(flags) || !r.ReadU16(m.question_count) ||
      !r.ReadU16(m.answer_count) || !r.ReadU16(ns) || !r.ReadU16(ar)) {
    return std::nullopt;
  }
  m.is_response = (flags & 0x8000) != 0;
  m.opcode = static_cast<uint8_t>((flags >> 11) & 0x0F);
  m.rcode = static_cast<uint8_t>(flags & 0x0F);
  if (m.question_count > 0) {
    std::string name;
    if (ReadDnsName(r, name)) {
      m.qname = std::move(name);
      r.ReadU16(m.qtype);
    }
  }
  return m;
}

std::optional<TlsRecordInfo> DecodeTls(absl::Span<const uint8_t> payload) {
  ByteReader r(payload);
  TlsRecordInfo info;
  uint16_t length = 0;
  if (!r.ReadU8(info.content_type) || !r.ReadU16(info.version) || !r.ReadU16(length)) {
    return std::nullopt;
  }
  // RFC 8446 section 5.1: types 20-24, record versions 3.0-3.4, at most 2^14 + 2048 bytes.
  if (info.content_type < 20 || info.content_type > 24) return std::nullopt;
  if ((info.version >> 8) != 3 || (info.version & 0xFF) > 4) return std::nullopt;
  if (length == 0 || length > (1 << 14) + 2048) return std::nullopt;
  ByteReader body(r.rest().subspan(0, std::min<size_t>(r.remaining(), length)));
  if (info.content_type == 21 && length == 2) {  // a plaintext alert; encrypted ones are longer
    TlsAlert alert;
    if (body.ReadU8(alert.level) && body.ReadU8(alert.description)) info.alert = alert;
  } else if (info.content_type == 22) {
    uint8_t msg_type = 0;
    uint32_t msg_len = 0;
    if (body.ReadU8(msg_type) && body.ReadU24(msg_len) && msg_type == 1) {
      TlsClientHello hello;
      DecodeClientHello(
          ByteReader(body.rest().subspan(0, std::min<size_t>(body.remaining(), msg_len))), hello);
      info.client_hello = std::move(hello);
    }
  }
  return info;
}

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
  bool ok = false;
  switch (link_type) {
    case kLinkEthernet:
      ok = DecodeEthernet(r, net, notes);
      break;
    case kLinkLinuxSll:
      ok = DecodeSll(r, net, notes);
      break;
    case kLinkLinuxSll2:
      ok = DecodeSll2(r, net, notes);
      break;
    case kLinkNull:
      ok = DecodeNull(r, /*network_order=*/false, net, notes);
      break;
    case kLinkLoop:
      ok = DecodeNull(r, /*network_order=*/true, net, notes);
      break;
    default:  // raw IP
      ok = true;
      net = NetProto::kByVersion;
      break;
  }
  if (!ok || net == NetProto::kNone) return p;  // not IP (ARP, LLDP, ...): nothing more

  IpLayer ip;
  if (!DecodeIp(net, r, ip, notes, /*quoted=*/false)) {
    if (ip.family == IpAddress::Family::kNone) return p;
  }
  p.ip = ip.family;
  p.src.addr = ip.src;
  p.dst.addr = ip.dst;
  if (!ip.has_proto) return p;
  p.transport = TransportFor(ip.proto);
  p.payload_len = ip.l4_wire_len;
  if (ip.non_first_fragment) {
    p.is_fragment = true;
    return p;
  }
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
      if (ip.family == IpAddress::Family::kV6) DecodeIcmp(ip, ip.l4, p, notes);
      break;
    default:
      break;
  }
  return p;
}

absl::StatusOr<Packet> DecodePacket(const RawPacket& raw, DecodeNotes* notes) {
  absl::StatusOr<Packet> p = DecodePacket(raw.link_type, raw.bytes, raw.wire_len, raw.ts, notes);
  if (p.ok()) p->interface = raw.interface;
  return p;
}

}  // namespace netcorr::capture
