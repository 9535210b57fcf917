#include "correlate/test_util.h"

#include <sys/socket.h>

#include <cstdlib>

namespace netcorr::correlate::testing {

IpAddress Ip(std::string_view text) {
  std::optional<IpAddress> a = IpAddress::Parse(text);
  if (!a) std::abort();  // a typo in a test, not a runtime condition
  return *a;
}

Endpoint Ep(std::string_view addr, uint16_t port) { return Endpoint{Ip(addr), port}; }

World World::Make(bool v6) {
  World w;
  w.v6 = v6;
  w.client = Ip(v6 ? "fd71:1::2" : "10.71.1.2");
  w.router = Ip(v6 ? "fd71:1::1" : "10.71.1.1");
  w.server = Ip(v6 ? "fd71:2::2" : "10.71.2.2");
  return w;
}

namespace {
Packet Base(uint64_t id, TimeNs ts, const Endpoint& src, const Endpoint& dst, Transport t) {
  Packet p;
  p.id = id;
  p.ts_ns = ts;
  p.ip = src.addr.family();
  p.transport = t;
  p.src = src;
  p.dst = dst;
  p.interface = "eth0";
  p.wire_len = p.captured_len = 60;
  return p;
}
}  // namespace

Packet TcpPacket(uint64_t id, TimeNs ts, const Endpoint& src, const Endpoint& dst, uint8_t flags,
                 uint32_t seq, uint32_t ack, uint32_t payload) {
  Packet p = Base(id, ts, src, dst, Transport::kTcp);
  TcpSegment s;
  s.flags = flags;
  s.seq = seq;
  s.ack = ack;
  s.payload_len = payload;
  s.window = kOpenWindow;
  p.tcp = s;
  p.payload_len = payload;
  p.wire_len = p.captured_len = 60 + payload;
  return p;
}

Packet WindowPacket(uint64_t id, TimeNs ts, const Endpoint& src, const Endpoint& dst, uint32_t seq,
                    uint32_t ack, uint16_t window) {
  Packet p = TcpPacket(id, ts, src, dst, kTcpAck, seq, ack);
  p.tcp->window = window;
  return p;
}

Packet UdpPacket(uint64_t id, TimeNs ts, const Endpoint& src, const Endpoint& dst,
                 uint32_t payload) {
  Packet p = Base(id, ts, src, dst, Transport::kUdp);
  p.payload_len = payload;
  return p;
}

Packet IcmpPacket(uint64_t id, TimeNs ts, const IpAddress& sender, const IpAddress& to,
                  const FlowKey& original, uint8_t type, uint8_t code,
                  std::optional<uint32_t> tcp_seq, uint32_t mtu) {
  const bool v6 = sender.is_v6();
  Packet p = Base(id, ts, Endpoint{sender, 0}, Endpoint{to, 0},
                  v6 ? Transport::kIcmpV6 : Transport::kIcmp);
  IcmpError e;
  e.v6 = v6;
  e.type = type;
  e.code = code;
  e.sender = sender;
  e.original = original;
  e.original_tcp_seq = tcp_seq;
  e.next_hop_mtu = mtu;
  p.icmp_error = e;
  return p;
}

Packet NeighbourPacket(uint64_t id, TimeNs ts, const IpAddress& asker, const IpAddress& target,
                       bool reply) {
  const bool v6 = asker.is_v6();
  NeighbourMessage m;
  m.v6 = v6;
  m.is_reply = reply;
  m.sender_ip = reply ? target : asker;
  m.target_ip = v6 || !reply ? target : asker;
  m.sender_mac = MacAddress{0x02, 0, 0, 0, 0, static_cast<uint8_t>(reply ? 2 : 1)};
  Packet p;
  if (v6) {
    // RFC 4861 4.3: solicitations go to the target's solicited-node multicast address.
    p = Base(id, ts, Endpoint{m.sender_ip, 0}, Endpoint{reply ? asker : Ip("ff02::1:ff00:1"), 0},
             Transport::kIcmpV6);
  } else {
    p.id = id;
    p.ts_ns = ts;
    p.interface = "eth0";
    p.wire_len = p.captured_len = 42;
  }
  p.neighbour = m;
  return p;
}

Packet DnsPacket(uint64_t id, TimeNs ts, const Endpoint& src, const Endpoint& dst, uint16_t dns_id,
                 bool response, std::string_view name, uint8_t rcode, uint16_t qtype,
                 bool truncated) {
  Packet p = UdpPacket(id, ts, src, dst, 40);
  DnsMessage m;
  m.id = dns_id;
  m.is_response = response;
  m.rcode = rcode;
  m.truncated = truncated;
  m.question_count = 1;
  m.qname = std::string(name);
  m.qtype = qtype;
  p.dns = m;
  return p;
}

Packet TlsHelloPacket(uint64_t id, TimeNs ts, const Endpoint& src, const Endpoint& dst,
                      uint32_t seq, uint32_t ack, std::string_view sni) {
  Packet p = TcpPacket(id, ts, src, dst, kTcpAck | kTcpPsh, seq, ack, 300);
  TlsRecordInfo r;
  r.content_type = 22;
  r.version = 0x0301;
  TlsClientHello h;
  h.legacy_version = 0x0303;
  h.sni = std::string(sni);
  r.client_hello = h;
  p.tls = r;
  return p;
}

Packet TlsAlertPacket(uint64_t id, TimeNs ts, const Endpoint& src, const Endpoint& dst,
                      uint32_t seq, uint32_t ack, uint8_t level, uint8_t description) {
  Packet p = TcpPacket(id, ts, src, dst, kTcpAck | kTcpPsh, seq, ack, 7);
  TlsRecordInfo r;
  r.content_type = 21;
  r.version = 0x0303;
  r.alert = TlsAlert{level, description};
  p.tls = r;
  return p;
}

void AddEstablished(FlowTable& table, const Endpoint& c, const Endpoint& s, uint32_t bytes) {
  table.Add(TcpPacket(1, kT0, c, s, kTcpSyn, 100));
  table.Add(TcpPacket(2, kT0 + kMs, s, c, kTcpSyn | kTcpAck, 900, 101));
  table.Add(TcpPacket(3, kT0 + 2 * kMs, c, s, kTcpAck, 101, 901));
  table.Add(TcpPacket(4, kT0 + 3 * kMs, c, s, kTcpAck, 101, 901, bytes));
}

namespace {
SocketIdentity Socket(uint64_t inode, Transport t, int type, std::optional<Endpoint> local,
                      std::optional<Endpoint> remote) {
  SocketIdentity s;
  s.inode = inode;
  const Endpoint* any = local ? &*local : remote ? &*remote : nullptr;
  s.family = any && any->addr.is_v6() ? AF_INET6 : AF_INET;
  s.type = type;
  s.transport = t;
  s.local = local;
  s.remote = remote;
  return s;
}
}  // namespace

SocketIdentity TcpSocket(uint64_t inode, std::optional<Endpoint> local,
                         std::optional<Endpoint> remote) {
  return Socket(inode, Transport::kTcp, SOCK_STREAM, local, remote);
}

SocketIdentity UdpSocket(uint64_t inode, std::optional<Endpoint> local,
                         std::optional<Endpoint> remote) {
  return Socket(inode, Transport::kUdp, SOCK_DGRAM, local, remote);
}

SyscallEvent Call(uint64_t id, std::string_view name, int fd, TimeNs entry, TimeNs exit, int error,
                  int64_t result) {
  SyscallEvent e;
  e.id = id;
  e.pid = 100;
  e.tid = 100;
  e.name = std::string(name);
  e.kind = CallKindOf(name);  // as the tracer and the strace reader fill it
  e.fd = fd;
  e.entry_ns = entry;
  e.exit_ns = exit;
  e.error = error;
  e.result = error != 0 ? -1 : result;
  return e;
}

}  // namespace netcorr::correlate::testing
