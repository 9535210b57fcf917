#include "src/report/testing/report_test_util.h"

#include <sys/socket.h>

#include <cerrno>
#include <csignal>

namespace netcorr::report::testing {

namespace {
constexpr int32_t kPid = 4242;
const char* const kClient = "10.71.1.2";
const char* const kServer = "10.71.2.2";
const char* const kRouter = "10.71.1.1";
}  // namespace

Endpoint Ep(const std::string& ip, uint16_t port) { return Endpoint{*IpAddress::Parse(ip), port}; }

FlowKey TcpFlow(const std::string& local, uint16_t lport, const std::string& remote,
                uint16_t rport) {
  return FlowKey{Transport::kTcp, Ep(local, lport), Ep(remote, rport)};
}

FlowKey UdpFlow(const std::string& local, uint16_t lport, const std::string& remote,
                uint16_t rport) {
  return FlowKey{Transport::kUdp, Ep(local, lport), Ep(remote, rport)};
}

SyscallEvent Call(uint64_t id, const std::string& name, int fd, TimeNs entry, TimeNs exit,
                  int error, int64_t result) {
  SyscallEvent c;
  c.id = id;
  c.pid = kPid;
  c.tid = kPid;
  c.name = name;
  c.kind = CallKindOf(name);  // as the tracer and the strace reader fill it
  c.fd = fd;
  c.entry_ns = entry;
  c.exit_ns = exit;
  c.error = error;
  c.result = error != 0 ? -1 : result;
  return c;
}

SocketIdentity SocketOf(const FlowKey& flow) {
  SocketIdentity s;
  s.inode = 90000 + flow.local.port;
  s.family = flow.local.addr.is_v6() ? AF_INET6 : AF_INET;
  s.type = flow.transport == Transport::kTcp ? SOCK_STREAM : SOCK_DGRAM;
  s.transport = flow.transport;
  s.local = flow.local;
  s.remote = flow.remote;
  return s;
}

Packet Tcp(uint64_t id, TimeNs ts, const Endpoint& src, const Endpoint& dst, uint8_t flags,
           uint32_t seq, uint32_t ack, uint32_t payload) {
  Packet p;
  p.id = id;
  p.ts_ns = ts;
  p.ip = src.addr.family();
  p.transport = Transport::kTcp;
  p.src = src;
  p.dst = dst;
  p.payload_len = payload;
  p.wire_len = p.captured_len = 54 + payload;
  p.interface = "eth0";
  TcpSegment t;
  t.flags = flags;
  t.seq = seq;
  t.ack = ack;
  t.window = 64240;
  t.payload_len = payload;
  if (flags & kTcpSyn) t.mss = 1460;
  p.tcp = t;
  return p;
}

Packet Udp(uint64_t id, TimeNs ts, const Endpoint& src, const Endpoint& dst, uint32_t payload) {
  Packet p;
  p.id = id;
  p.ts_ns = ts;
  p.ip = src.addr.family();
  p.transport = Transport::kUdp;
  p.src = src;
  p.dst = dst;
  p.payload_len = payload;
  p.wire_len = p.captured_len = 42 + payload;
  p.interface = "eth0";
  return p;
}

Packet Dns(uint64_t id, TimeNs ts, const Endpoint& src, const Endpoint& dst, uint16_t dns_id,
           bool response, uint8_t rcode, const std::string& qname) {
  Packet p = Udp(id, ts, src, dst, 30);
  DnsMessage d;
  d.id = dns_id;
  d.is_response = response;
  d.rcode = rcode;
  d.question_count = 1;
  d.qname = qname;
  d.qtype = 1;
  p.dns = d;
  return p;
}

Packet Icmp(uint64_t id, TimeNs ts, const std::string& sender, const std::string& to, uint8_t type,
            uint8_t code, const FlowKey& original, bool v6) {
  Packet p;
  p.id = id;
  p.ts_ns = ts;
  p.ip = v6 ? IpAddress::Family::kV6 : IpAddress::Family::kV4;
  p.transport = v6 ? Transport::kIcmpV6 : Transport::kIcmp;
  p.src = Ep(sender, 0);
  p.dst = Ep(to, 0);
  p.payload_len = 48;
  p.wire_len = p.captured_len = 70;
  p.interface = "eth0";
  IcmpError e;
  e.v6 = v6;
  e.type = type;
  e.code = code;
  e.sender = *IpAddress::Parse(sender);
  e.original = original;
  p.icmp_error = e;
  return p;
}

Finding MakeFinding(FindingKind kind, const SyscallEvent& call, std::vector<uint64_t> evidence,
                    const std::string& summary, const std::string& hint) {
  Finding f;
  f.kind = kind;
  f.call = call;
  if (call.socket.has_value()) f.flow = call.socket->Flow();
  f.evidence = std::move(evidence);
  f.summary = summary;
  f.hint = hint;
  f.outcome_error = call.error;
  return f;
}

ReportInput KindScenario::Input() const {
  ReportInput in;
  in.session.netcorr_version = "0.1.0";
  in.session.mode = "launch";
  in.session.command = {"./client", "10.71.2.2"};
  in.session.pids = {kPid};
  in.calls = calls;
  in.packets = packets;
  in.findings = findings;
  return in;
}

KindScenario ScenarioFor(FindingKind kind) {
  KindScenario s;
  s.kind = kind;
  const FlowKey tcp = TcpFlow(kClient, 40000, kServer, 81);
  const Endpoint us = tcp.local, them = tcp.remote;
  SyscallEvent call;
  std::string summary, hint;
  std::vector<uint64_t> evidence;
  switch (kind) {
    case FindingKind::kRefusedByRst:
      call = Call(1, "connect", 3, kT0, kT0 + 300 * kUs, ECONNREFUSED);
      call.args = "10.71.2.2:81";
      s.packets = {Tcp(1, kT0 + 50 * kUs, us, them, kTcpSyn, 1000),
                   Tcp(2, kT0 + 250 * kUs, them, us, kTcpRst | kTcpAck, 0, 1001)};
      evidence = {1, 2};
      summary = "10.71.2.2 answered our SYN with RST";
      hint = "nothing listens on 10.71.2.2:81";
      s.expected_packet_text = "Flags [R.], seq 0, ack 1001";
      break;
    case FindingKind::kSynUnanswered:
      call = Call(1, "connect", 3, kT0, kT0 + 21'300 * kMs);
      call.args = "10.71.2.2:81";
      call.finished = false;
      s.packets = {Tcp(1, kT0 + 50 * kUs, us, them, kTcpSyn, 1000),
                   Tcp(2, kT0 + 1 * kSec, us, them, kTcpSyn, 1000),
                   Tcp(3, kT0 + 3 * kSec, us, them, kTcpSyn, 1000)};
      evidence = {1, 2, 3};
      summary = "connect() blocked 21.3 s: SYN sent 3 times, no SYN-ACK";
      hint = "a firewall drops the SYN";
      s.expected_packet_text = "Flags [S], seq 1000, win 64240, options [mss 1460], length 0";
      break;
    case FindingKind::kIcmpUnreachable:
      call = Call(1, "connect", 3, kT0, kT0 + 400 * kUs, EHOSTUNREACH);
      call.args = "10.71.2.2:81";
      s.packets = {Tcp(1, kT0 + 50 * kUs, us, them, kTcpSyn, 1000),
                   Icmp(2, kT0 + 300 * kUs, kRouter, kClient, 3, 10, tcp)};
      evidence = {1, 2};
      summary = "the router 10.71.1.1 answered host-prohibited";
      hint = "a REJECT rule on the router";
      s.expected_packet_text =
          "10.71.1.1 > 10.71.1.2: ICMP unreachable host-prohibited, about TCP 10.71.1.2:40000 -> "
          "10.71.2.2:81";
      break;
    case FindingKind::kNoPacketSent:
      call = Call(1, "connect", 3, kT0, kT0 + 20 * kUs, ENETUNREACH);
      call.args = "10.71.2.2:81";
      summary = "no packet of this flow left the host: no route to 10.71.2.2";
      hint = "check `ip route get 10.71.2.2`";
      break;
    case FindingKind::kResetByPeer:
      call = Call(1, "recvfrom", 3, kT0, kT0 + 2 * kMs, ECONNRESET);
      s.packets = {Tcp(1, kT0 + 100 * kUs, us, them, kTcpPsh | kTcpAck, 1001, 5001, 100),
                   Tcp(2, kT0 + 1 * kMs, them, us, kTcpRst, 5001)};
      evidence = {2};
      summary = "the peer reset the connection after 100 bytes sent";
      hint = "the server closed with SO_LINGER 0 or crashed";
      s.expected_packet_text = "Flags [R], seq 5001, win 64240, length 0";
      break;
    case FindingKind::kClosedByPeer:
      call = Call(1, "write", 3, kT0 + 2 * kMs, kT0 + 2 * kMs + 30 * kUs, EPIPE);
      s.packets = {Tcp(1, kT0 + 1 * kMs, them, us, kTcpFin | kTcpAck, 5001, 1001)};
      evidence = {1};
      summary = "the peer closed the connection (FIN) before we wrote";
      hint = "the server closes idle connections";
      s.expected_packet_text = "Flags [F.], seq 5001, ack 1001";
      break;
    case FindingKind::kNoResponse: {
      const FlowKey udp = UdpFlow(kClient, 40001, kServer, 9999);
      call = Call(1, "recvfrom", 3, kT0 + 10 * kUs, kT0 + 2 * kSec, EAGAIN);
      call.socket = SocketOf(udp);
      s.packets = {Udp(1, kT0, udp.local, udp.remote, 12)};
      evidence = {1};
      summary = "1 datagram sent to 10.71.2.2:9999, nothing came back in 2.0 s";
      hint = "the server does not answer";
      s.expected_packet_text = "10.71.1.2.40001 > 10.71.2.2.9999: UDP, length 12";
      break;
    }
    case FindingKind::kDnsError: {
      const FlowKey udp = UdpFlow(kClient, 40002, kServer, 53);
      call = Call(1, "recvfrom", 3, kT0 + 10 * kUs, kT0 + 1 * kMs, 0, 30);
      call.socket = SocketOf(udp);
      s.packets = {Dns(1, kT0, udp.local, udp.remote, 0x1a2b, false, 0, "example.test"),
                   Dns(2, kT0 + 900 * kUs, udp.remote, udp.local, 0x1a2b, true, 2, "example.test")};
      evidence = {1, 2};
      summary = "the DNS server answered SERVFAIL for example.test";
      hint = "the resolver failed upstream";
      s.expected_packet_text = "DNS response id 0x1a2b SERVFAIL, A? example.test";
      break;
    }
    case FindingKind::kTlsAlert: {
      call = Call(1, "read", 3, kT0 + 10 * kUs, kT0 + 2 * kMs, 0, 7);
      Packet hello = Tcp(1, kT0, us, them, kTcpPsh | kTcpAck, 1001, 5001, 200);
      hello.tls =
          TlsRecordInfo{22, 0x0301, std::nullopt, TlsClientHello{0x0303, "example.test", {}}};
      Packet alert = Tcp(2, kT0 + 1 * kMs, them, us, kTcpPsh | kTcpAck, 5001, 1201, 7);
      alert.tls = TlsRecordInfo{21, 0x0303, TlsAlert{2, 40}, std::nullopt};
      s.packets = {hello, alert};
      evidence = {1, 2};
      summary = "the server sent TLS alert handshake_failure after our Client Hello";
      hint = "no common cipher or protocol version";
      s.expected_packet_text = "length 7: TLS alert fatal handshake_failure";
      break;
    }
    case FindingKind::kRetransmissions:
      call = Call(1, "connect", 3, kT0, kT0 + 1 * kSec + 200 * kUs);
      s.packets = {Tcp(1, kT0 + 50 * kUs, us, them, kTcpSyn, 1000),
                   Tcp(2, kT0 + 1 * kSec + 50 * kUs, us, them, kTcpSyn, 1000),
                   Tcp(3, kT0 + 1 * kSec + 150 * kUs, them, us, kTcpSyn | kTcpAck, 7000, 1001)};
      evidence = {1, 2};
      summary = "connect() took 1.0 s: the first SYN was lost and retransmitted";
      hint = "packet loss on the path";
      s.expected_packet_text = "Flags [S.], seq 7000, ack 1001";
      break;
    case FindingKind::kPmtuBlackhole:
      call = Call(1, "write", 3, kT0, kT0 + 5 * kSec);
      call.finished = false;
      s.packets = {Tcp(1, kT0 + 50 * kUs, us, them, kTcpAck, 1001, 5001, 1448),
                   Tcp(2, kT0 + 250 * kMs, us, them, kTcpAck, 1001, 5001, 1448)};
      evidence = {1, 2};
      summary = "1448-byte segments are retransmitted and never acknowledged";
      hint = "an ICMP frag-needed is dropped on the path";
      s.expected_packet_text = "seq 1001:2449, ack 5001";
      break;
    case FindingKind::kNeighbourUnreachable: {
      call = Call(1, "connect", 3, kT0, kT0 + 3 * kSec + 10 * kMs, EHOSTUNREACH);
      call.args = "10.71.1.99:81";
      for (uint64_t id = 1; id <= 3; ++id) {
        Packet arp;
        arp.id = id;
        arp.ts_ns = kT0 + 50 * kUs + static_cast<TimeNs>(id - 1) * kSec;
        arp.wire_len = arp.captured_len = 42;
        arp.interface = "eth0";
        NeighbourMessage m;
        m.sender_ip = *IpAddress::Parse(kClient);
        m.sender_mac = MacAddress{0x02, 0, 0x0a, 0x47, 0x01, 0x02};
        m.target_ip = *IpAddress::Parse("10.71.1.99");
        m.target_mac = MacAddress{};
        arp.neighbour = m;
        s.packets.push_back(arp);
      }
      evidence = {1, 2, 3};
      summary = "no host answered ARP for 10.71.1.99 (3 requests in 2.0 s)";
      hint = "10.71.1.99 is down or on another VLAN: check `ip neigh show 10.71.1.99`";
      s.expected_packet_text = "ARP, Request who-has 10.71.1.99 tell 10.71.1.2, length 28";
      break;
    }
    case FindingKind::kZeroWindow: {
      call = Call(1, "sendto", 3, kT0, kT0 + 3 * kSec);
      call.finished = false;
      Packet zero = Tcp(2, kT0 + 100 * kUs, them, us, kTcpAck, 5001, 9001);
      zero.tcp->window = 0;
      s.packets = {Tcp(1, kT0 + 50 * kUs, us, them, kTcpAck, 1001, 5001, 8000), zero,
                   Tcp(3, kT0 + 300 * kMs, us, them, kTcpAck, 9000, 5001)};
      evidence = {2, 3};
      summary = "10.71.2.2:81 stopped reading: its receive window has been zero for 3.0 s";
      hint = "the peer application is not reading its socket";
      s.expected_packet_text = "ack 9001, win 0, length 0";
      break;
    }
    case FindingKind::kUnexplained:
      call = Call(1, "connect", 3, kT0, kT0 + 300 * kUs, ECONNREFUSED);
      summary = "ECONNREFUSED with no packet of the flow captured";
      hint = "the capture dropped 12 packets";
      break;
  }
  if (!call.socket.has_value()) call.socket = SocketOf(tcp);
  s.calls = {call};
  Finding f = MakeFinding(kind, call, evidence, summary, hint);
  if (kind == FindingKind::kUnexplained) f.unexplained_reason = "capture dropped 12 packets";
  s.findings = {f};
  return s;
}

ReportInput Session::Input() const {
  ReportInput in;
  in.session.netcorr_version = "0.1.0";
  in.session.mode = "launch";
  in.session.command = {"./multi-fail", "--target", "10.71.2.2"};
  in.session.pids = {kPid};
  in.session.start_ns = kT0 - 5 * kMs;
  in.session.end_ns = kT0 + 22 * kSec;
  in.session.stop_reason = "interrupted";
  in.session.snaplen = 262144;
  in.session.capture_file = "/tmp/out.pcapng";
  in.capture.received = packets.size();
  in.calls = calls;
  in.packets = packets;
  in.findings = findings;
  in.processes = processes;
  return in;
}

ReportInput Events::Input() const {
  ReportInput in;
  in.calls = calls;
  in.packets = packets;
  in.findings = findings;
  return in;
}

Session MakeSession() {
  Session s;
  // [1] refused: connect(3) to :81, SYN and RST while the call is in the kernel.
  const FlowKey refused = TcpFlow(kClient, 40000, kServer, 81);
  SyscallEvent sock = Call(1, "socket", -1, kT0, kT0 + 10 * kUs, 0, 3);
  sock.args = "AF_INET, SOCK_STREAM, IPPROTO_TCP";
  SyscallEvent c1 = Call(2, "connect", 3, kT0 + 100 * kUs, kT0 + 400 * kUs, ECONNREFUSED);
  c1.args = "10.71.2.2:81";
  c1.socket = SocketOf(refused);
  // Unrelated UDP exchange on fd 5.
  const FlowKey udp = UdpFlow(kClient, 50000, kServer, 9999);
  SyscallEvent u1 = Call(3, "sendto", 5, kT0 + 1 * kMs, kT0 + 1 * kMs + 20 * kUs, 0, 12);
  u1.args = "\"ping\", 12, 0, 10.71.2.2:9999";
  u1.socket = SocketOf(udp);
  SyscallEvent u2 =
      Call(4, "recvfrom", 5, kT0 + 1 * kMs + 30 * kUs, kT0 + 1 * kMs + 90 * kUs, 0, 12);
  u2.socket = SocketOf(udp);
  // [2] blocked: connect(4) to :80, SYNs at +0, +1 s, +3 s, still blocked after 21.3 s.
  const FlowKey blocked = TcpFlow(kClient, 40001, kServer, 80);
  SyscallEvent c2 = Call(5, "connect", 4, kT0 + 2 * kMs, kT0 + 2 * kMs + 21'300 * kMs);
  c2.finished = false;
  c2.args = "10.71.2.2:80";
  c2.socket = SocketOf(blocked);
  // [3] a thread's connect(6) to :82 rejected by the router.
  const FlowKey rejected = TcpFlow(kClient, 40002, kServer, 82);
  SyscallEvent c3 = Call(6, "connect", 6, kT0 + 5 * kMs, kT0 + 5 * kMs + 500 * kUs, EHOSTUNREACH);
  c3.tid = 4243;
  c3.args = "10.71.2.2:82";
  c3.socket = SocketOf(rejected);
  // Unrelated successful TCP exchange on fd 7 much later.
  const FlowKey ok = TcpFlow(kClient, 40003, kServer, 8080);
  SyscallEvent w = Call(7, "write", 7, kT0 + 10 * kSec, kT0 + 10 * kSec + 15 * kUs, 0, 100);
  w.socket = SocketOf(ok);
  s.calls = {sock, c1, u1, u2, c2, c3, w};

  s.packets = {
      Tcp(1, kT0 + 150 * kUs, refused.local, refused.remote, kTcpSyn, 123),
      Tcp(2, kT0 + 350 * kUs, refused.remote, refused.local, kTcpRst | kTcpAck, 0, 124),
      Udp(3, kT0 + 1 * kMs + 10 * kUs, udp.local, udp.remote, 12),
      Udp(4, kT0 + 1 * kMs + 60 * kUs, udp.remote, udp.local, 12),
      Tcp(5, kT0 + 2 * kMs + 50 * kUs, blocked.local, blocked.remote, kTcpSyn, 777),
      Tcp(6, kT0 + 5 * kMs + 50 * kUs, rejected.local, rejected.remote, kTcpSyn, 888),
      Icmp(7, kT0 + 5 * kMs + 300 * kUs, kRouter, kClient, 3, 13, rejected),
      Tcp(8, kT0 + 1 * kSec + 2 * kMs, blocked.local, blocked.remote, kTcpSyn, 777),
      Tcp(9, kT0 + 3 * kSec + 2 * kMs, blocked.local, blocked.remote, kTcpSyn, 777),
      Tcp(10, kT0 + 10 * kSec + 5 * kUs, ok.local, ok.remote, kTcpPsh | kTcpAck, 1, 1, 100),
      Tcp(11, kT0 + 10 * kSec + 90 * kUs, ok.remote, ok.local, kTcpAck, 1, 101),
  };
  s.findings = {
      MakeFinding(FindingKind::kRefusedByRst, c1, {1, 2}, "10.71.2.2 answered our SYN with RST",
                  "nothing listens on 10.71.2.2:81: check the server is running"),
      MakeFinding(FindingKind::kIcmpUnreachable, c3, {6, 7},
                  "the router 10.71.1.1 (a hop, not the destination) answered the SYN with "
                  "ICMP admin-prohibited",
                  "a firewall REJECT rule on 10.71.1.1 blocks TCP port 82"),
      MakeFinding(FindingKind::kSynUnanswered, c2, {5, 8, 9},
                  "connect() blocked 21.3 s: SYN sent 3 times, no SYN-ACK",
                  "a firewall drops the SYN, or 10.71.2.2 is down"),
  };
  ProcessEvent exited;
  exited.kind = ProcessEvent::Kind::kExited;
  exited.pid = kPid;
  exited.time_ns = kT0 + 21 * kSec;
  exited.status = 7;
  ProcessEvent killed;
  killed.kind = ProcessEvent::Kind::kKilled;
  killed.pid = 4300;
  killed.time_ns = kT0 + 21 * kSec;
  killed.status = SIGKILL;
  s.processes = {exited, killed};
  return s;
}

std::string StripAnsi(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\x1b' && i + 1 < text.size() && text[i + 1] == '[') {
      i += 2;
      while (i < text.size() && !(text[i] >= '@' && text[i] <= '~')) ++i;
      continue;
    }
    out.push_back(text[i]);
  }
  return out;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

TargetNamespace ContainedNamespace() {
  TargetNamespace ns;
  ns.netns_inode = 4026532845;
  ns.netns_name = "blue";
  ns.own_netns = false;
  ns.pidns_inode = 4026532850;
  ns.ns_pid = 1;
  ns.own_pidns = false;
  ns.cgroup = "/system.slice/docker-3f2a1b4c5d6e7f.scope";
  ns.own_cgroup = false;
  ns.container_id = "3f2a1b4c5d6e7f";
  ns.container_runtime = "docker";
  return ns;
}

}  // namespace netcorr::report::testing
