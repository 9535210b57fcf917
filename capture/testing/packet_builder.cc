#include "capture/testing/packet_builder.h"

#include <arpa/inet.h>

#include <cstdio>
#include <cstdlib>

namespace netcorr::capture::testing {

namespace {

void Put16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
void Put24(Bytes& b, uint32_t v) {
  b.push_back(static_cast<uint8_t>(v >> 16));
  Put16(b, static_cast<uint16_t>(v));
}
void Put32(Bytes& b, uint32_t v) {
  Put16(b, static_cast<uint16_t>(v >> 16));
  Put16(b, static_cast<uint16_t>(v));
}
// Reserving first is not an optimisation: without it GCC 12 at -O3 raises a false
// -Warray-bounds on the insert into an 8-byte vector (Ipv6Ext8).
void Append(Bytes& b, const Bytes& more) {
  b.reserve(b.size() + more.size());
  b.insert(b.end(), more.begin(), more.end());
}

// Test inputs are literals; a bad one is a bug in the test itself.
Bytes Addr(int family, const std::string& text) {
  Bytes out(family == AF_INET ? 4 : 16);
  if (inet_pton(family, text.c_str(), out.data()) != 1) std::abort();
  return out;
}

}  // namespace

Bytes Concat(const Bytes& a, const Bytes& b) {
  Bytes out = a;
  Append(out, b);
  return out;
}

Bytes Ethernet(uint16_t ethertype, const Bytes& payload, const std::vector<uint16_t>& vlan_ids) {
  Bytes b = {0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01};
  for (uint16_t id : vlan_ids) {
    Put16(b, 0x8100);
    Put16(b, id);
  }
  Put16(b, ethertype);
  Append(b, payload);
  return b;
}

Bytes Sll(uint16_t protocol, const Bytes& payload) {
  Bytes b;
  Put16(b, 4);  // sent by us
  Put16(b, 1);  // ARPHRD_ETHER
  Put16(b, 6);
  for (int i = 0; i < 8; ++i) b.push_back(i < 6 ? 0x02 : 0);
  Put16(b, protocol);
  Append(b, payload);
  return b;
}

Bytes Sll2(uint16_t protocol, const Bytes& payload) {
  Bytes b;
  Put16(b, protocol);
  Put16(b, 0);
  Put32(b, 2);  // ifindex
  Put16(b, 1);  // ARPHRD_ETHER
  b.push_back(4);
  b.push_back(6);
  for (int i = 0; i < 8; ++i) b.push_back(i < 6 ? 0x02 : 0);
  Append(b, payload);
  return b;
}

Bytes Null(uint32_t family, const Bytes& payload, bool network_order) {
  Bytes b;
  if (network_order) {
    Put32(b, family);
  } else {
    for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(family >> (8 * i)));
  }
  Append(b, payload);
  return b;
}

Bytes Ipv4(const std::string& src, const std::string& dst, uint8_t proto, const Bytes& l4,
           const Bytes& options, uint16_t frag, uint8_t ttl) {
  Bytes opts = options;
  while (opts.size() % 4 != 0) opts.push_back(0);
  const size_t header = 20 + opts.size();
  Bytes b;
  b.push_back(static_cast<uint8_t>(0x40 | (header / 4)));
  b.push_back(0);
  Put16(b, static_cast<uint16_t>(header + l4.size()));
  Put16(b, 0x1234);
  Put16(b, frag);
  b.push_back(ttl);
  b.push_back(proto);
  Put16(b, 0);
  Append(b, Addr(AF_INET, src));
  Append(b, Addr(AF_INET, dst));
  Append(b, opts);
  Append(b, l4);
  return b;
}

Bytes Ipv6(const std::string& src, const std::string& dst, uint8_t next, const Bytes& l4_and_ext) {
  Bytes b = {0x60, 0, 0, 0};
  Put16(b, static_cast<uint16_t>(l4_and_ext.size()));
  b.push_back(next);
  b.push_back(64);
  Append(b, Addr(AF_INET6, src));
  Append(b, Addr(AF_INET6, dst));
  Append(b, l4_and_ext);
  return b;
}

Bytes Ipv6Ext8(uint8_t next, const Bytes& rest_of_chain) {
  Bytes b = {next, 0, 1, 4, 0, 0, 0, 0};  // PadN option filling the 8 bytes
  Append(b, rest_of_chain);
  return b;
}

Bytes Ipv6Fragment(uint8_t next, uint16_t offset_units, bool more, const Bytes& rest) {
  Bytes b = {next, 0};
  Put16(b, static_cast<uint16_t>((offset_units << 3) | (more ? 1 : 0)));
  Put32(b, 0xabcd);
  Append(b, rest);
  return b;
}

Bytes Tcp(uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
          const Bytes& options, const Bytes& payload, uint16_t window) {
  Bytes opts = options;
  while (opts.size() % 4 != 0) opts.push_back(1);  // NOP padding
  Bytes b;
  Put16(b, sport);
  Put16(b, dport);
  Put32(b, seq);
  Put32(b, ack);
  b.push_back(static_cast<uint8_t>(((20 + opts.size()) / 4) << 4));
  b.push_back(flags);
  Put16(b, window);
  Put16(b, 0);
  Put16(b, 0);
  Append(b, opts);
  Append(b, payload);
  return b;
}

Bytes LinuxSynOptions(uint16_t mss, uint32_t ts_val, uint32_t ts_ecr, uint8_t wscale) {
  Bytes b = {2, 4};
  Put16(b, mss);
  b.insert(b.end(), {4, 2, 8, 10});  // SACK permitted, timestamps
  Put32(b, ts_val);
  Put32(b, ts_ecr);
  b.insert(b.end(), {1, 3, 3, wscale});
  return b;
}

Bytes Udp(uint16_t sport, uint16_t dport, const Bytes& payload) {
  Bytes b;
  Put16(b, sport);
  Put16(b, dport);
  Put16(b, static_cast<uint16_t>(8 + payload.size()));
  Put16(b, 0);
  Append(b, payload);
  return b;
}

Bytes Icmp(uint8_t type, uint8_t code, uint32_t rest, const Bytes& quoted) {
  Bytes b = {type, code, 0, 0};
  Put32(b, rest);
  Append(b, quoted);
  return b;
}

namespace {

Bytes Mac(const std::string& text) {
  Bytes b;
  unsigned v[6] = {};
  if (std::sscanf(text.c_str(), "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) ==
      6) {
    for (unsigned x : v) b.push_back(static_cast<uint8_t>(x));
  } else {
    b.assign(6, 0);
  }
  return b;
}

}  // namespace

Bytes Arp(uint16_t op, const std::string& sender_mac, const std::string& sender_ip,
          const std::string& target_mac, const std::string& target_ip) {
  Bytes b;
  Put16(b, 1);       // Ethernet
  Put16(b, 0x0800);  // IPv4
  b.push_back(6);
  b.push_back(4);
  Put16(b, op);
  Append(b, Mac(sender_mac));
  Append(b, Addr(AF_INET, sender_ip));
  Append(b, Mac(target_mac));
  Append(b, Addr(AF_INET, target_ip));
  return b;
}

Bytes NeighbourDiscovery(uint8_t type, const std::string& target, const std::string& mac) {
  Bytes b = {type, 0, 0, 0};
  Put32(b, type == 136 ? 0x60000000 : 0);  // NA: solicited + override
  Append(b, Addr(AF_INET6, target));
  if (!mac.empty()) {
    b.push_back(type == 135 ? 1 : 2);
    b.push_back(1);  // 8 bytes
    Append(b, Mac(mac));
  }
  return b;
}

Bytes Dns(uint16_t id, uint16_t flags, const std::string& qname, uint16_t qtype, uint16_t answers) {
  Bytes b;
  Put16(b, id);
  Put16(b, flags);
  Put16(b, 1);
  Put16(b, answers);
  Put16(b, 0);
  Put16(b, 0);
  size_t start = 0;
  while (start <= qname.size() && !qname.empty()) {
    size_t dot = qname.find('.', start);
    if (dot == std::string::npos) dot = qname.size();
    if (dot > start) {
      b.push_back(static_cast<uint8_t>(dot - start));
      b.insert(b.end(), qname.begin() + static_cast<long>(start),
               qname.begin() + static_cast<long>(dot));
    }
    start = dot + 1;
  }
  b.push_back(0);
  Put16(b, qtype);
  Put16(b, 1);  // IN
  for (uint16_t i = 0; i < answers; ++i) {
    b.insert(b.end(), {0xC0, 12});  // compressed pointer to the question name
    Put16(b, qtype);
    Put16(b, 1);
    Put32(b, 60);
    Put16(b, 4);
    b.insert(b.end(), {10, 0, 0, 1});
  }
  return b;
}

Bytes TlsClientHello(const std::string& sni, const std::vector<uint16_t>& versions) {
  Bytes body;
  Put16(body, 0x0303);
  for (int i = 0; i < 32; ++i) body.push_back(static_cast<uint8_t>(i));
  body.push_back(32);
  for (int i = 0; i < 32; ++i) body.push_back(0xEE);
  const uint16_t suites[] = {0x1301, 0x1302, 0x1303, 0xC02B, 0xC02F};
  Put16(body, sizeof(suites));
  for (uint16_t s : suites) Put16(body, s);
  body.insert(body.end(), {1, 0});  // null compression
  Bytes exts;
  if (!sni.empty()) {
    Put16(exts, 0);
    Put16(exts, static_cast<uint16_t>(sni.size() + 5));
    Put16(exts, static_cast<uint16_t>(sni.size() + 3));
    exts.push_back(0);
    Put16(exts, static_cast<uint16_t>(sni.size()));
    exts.insert(exts.end(), sni.begin(), sni.end());
  }
  Put16(exts, 10);  // supported_groups
  Put16(exts, 4);
  Put16(exts, 2);
  Put16(exts, 29);
  if (!versions.empty()) {
    Put16(exts, 43);
    Put16(exts, static_cast<uint16_t>(1 + 2 * versions.size()));
    exts.push_back(static_cast<uint8_t>(2 * versions.size()));
    for (uint16_t v : versions) Put16(exts, v);
  }
  Put16(body, static_cast<uint16_t>(exts.size()));
  Append(body, exts);
  Bytes hs = {1};
  Put24(hs, static_cast<uint32_t>(body.size()));
  Append(hs, body);
  Bytes rec = {22, 3, 1};
  Put16(rec, static_cast<uint16_t>(hs.size()));
  Append(rec, hs);
  return rec;
}

Bytes TlsAlert(uint8_t level, uint8_t description) { return {21, 3, 3, 0, 2, level, description}; }

}  // namespace netcorr::capture::testing
