// Correlator throughput and memory: a generated session of 1,000,000 packets and ~100,000
// syscalls, fed in time order through the streaming API (AddPacket/AddSyscall/Advance/Finish)
// without ever holding the whole input: the generator makes one connection at a time.
// Usage: correlate_bench [PACKETS]   (default 1000000). Run under /usr/bin/time -v for peak RSS;
// bench/correlate_bench.sh builds it optimised and does that.
//
// The mix per 10 sessions: 1 refused connect (SYN, RST), 1 DNS lookup answered NXDOMAIN over UDP,
// 8 TCP request/response connections (handshake, data both ways with an occasional
// retransmission, FIN both ways) with 12 calls each.

#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "correlate/correlator.h"
#include "src/model/packet.h"
#include "src/model/syscall_event.h"

namespace {

using netcorr::Endpoint;
using netcorr::FindingKind;
using netcorr::IpAddress;
using netcorr::Packet;
using netcorr::SocketIdentity;
using netcorr::SyscallEvent;
using netcorr::TimeNs;
using netcorr::Transport;

constexpr TimeNs kUs = 1'000;
constexpr TimeNs kMs = 1'000'000;
constexpr TimeNs kT0 = 1'700'000'000LL * 1'000'000'000LL;

class Generator {
 public:
  explicit Generator(netcorr::correlate::Correlator& c) : corr_(c) {}

  void Tcp(TimeNs t, const Endpoint& src, const Endpoint& dst, uint8_t flags, uint32_t seq,
           uint32_t ack, uint32_t len) {
    Packet p = Base(t, src, dst, Transport::kTcp);
    netcorr::TcpSegment s;
    s.flags = flags;
    s.seq = seq;
    s.ack = ack;
    s.payload_len = len;
    s.window = 502;  // a real capture's windows are open; a zero one is a stall
    p.tcp = s;
    p.payload_len = len;
    corr_.AddPacket(p);
  }
  void Udp(TimeNs t, const Endpoint& src, const Endpoint& dst, uint16_t id, bool response) {
    Packet p = Base(t, src, dst, Transport::kUdp);
    netcorr::DnsMessage m;
    m.id = id;
    m.is_response = response;
    m.rcode = response ? 3 : 0;
    m.qname = "host.example.test";
    p.dns = m;
    p.payload_len = 40;
    corr_.AddPacket(p);
  }
  void Call(const char* name, int fd, TimeNs entry, TimeNs exit, const SocketIdentity& s, int error,
            int64_t result, const Endpoint* address = nullptr) {
    SyscallEvent e;
    e.id = ++calls_;
    e.pid = e.tid = 4242;
    e.name = name;
    e.kind = netcorr::CallKindOf(name);
    e.fd = fd;
    e.entry_ns = entry;
    e.exit_ns = exit;
    e.socket = s;
    if (address) e.address = *address;
    e.error = error;
    e.result = error ? -1 : result;
    corr_.AddSyscall(e);
  }
  uint64_t packets() const { return packets_; }
  uint64_t calls() const { return calls_; }

 private:
  Packet Base(TimeNs t, const Endpoint& src, const Endpoint& dst, Transport tr) {
    Packet p;
    p.id = ++packets_;
    p.ts_ns = t;
    p.ip = src.addr.family();
    p.transport = tr;
    p.src = src;
    p.dst = dst;
    p.wire_len = p.captured_len = 100;
    return p;
  }

  netcorr::correlate::Correlator& corr_;
  uint64_t packets_ = 0;
  uint64_t calls_ = 0;
};

SocketIdentity Socket(uint64_t inode, Transport t, const Endpoint& local,
                      std::optional<Endpoint> remote) {
  SocketIdentity s;
  s.inode = inode;
  s.family = AF_INET;
  s.type = t == Transport::kTcp ? SOCK_STREAM : SOCK_DGRAM;
  s.transport = t;
  s.local = local;
  s.remote = remote;
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  const uint64_t want = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
  const auto start = std::chrono::steady_clock::now();
  netcorr::correlate::Correlator corr{netcorr::correlate::CorrelatorOptions{}};
  Generator g(corr);
  const IpAddress client = *IpAddress::Parse("10.71.1.2");
  const IpAddress server = *IpAddress::Parse("10.71.2.2");
  const Endpoint http{server, 80};
  const Endpoint closed{server, 81};
  const Endpoint dns{server, 53};
  // 8 TCP sessions of ~124 packets plus 2 short ones per 10 sessions: ~100 packets per session.
  constexpr int kDataPairsPerTcpSession = 59;
  uint64_t findings[16] = {};
  uint64_t session = 0;
  TimeNs t = kT0;
  size_t max_flows = 0;
  size_t max_pending = 0;
  while (g.packets() < want) {
    const Endpoint local{client, static_cast<uint16_t>(20000 + session % 40000)};
    const uint64_t inode = session + 1;
    const int fd = 3;
    t += 2 * kMs;
    switch (session % 10) {
      case 0: {  // refused
        const SocketIdentity s = Socket(inode, Transport::kTcp, local, std::nullopt);
        g.Tcp(t + 10 * kUs, local, closed, netcorr::kTcpSyn, 1000, 0, 0);
        g.Tcp(t + 60 * kUs, closed, local, netcorr::kTcpRst | netcorr::kTcpAck, 0, 1001, 0);
        g.Call("connect", fd, t, t + 70 * kUs, s, ECONNREFUSED, 0, &closed);
        g.Call("close", fd, t + 80 * kUs, t + 85 * kUs, s, 0, 0);
        t += 100 * kUs;
        break;
      }
      case 1: {  // DNS NXDOMAIN
        const SocketIdentity s = Socket(inode, Transport::kUdp, local, dns);
        const uint16_t id = static_cast<uint16_t>(session);
        g.Call("sendto", fd, t, t + 10 * kUs, s, 0, 40, &dns);
        g.Udp(t + 5 * kUs, local, dns, id, false);
        g.Udp(t + 200 * kUs, dns, local, id, true);
        g.Call("recvfrom", fd, t + 20 * kUs, t + 210 * kUs, s, 0, 40, &dns);
        g.Call("close", fd, t + 220 * kUs, t + 225 * kUs, s, 0, 0);
        t += 300 * kUs;
        break;
      }
      default: {  // request/response
        const SocketIdentity s = Socket(inode, Transport::kTcp, local, http);
        uint32_t seq = 100;
        uint32_t peer = 900;
        g.Tcp(t + 10 * kUs, local, http, netcorr::kTcpSyn, seq, 0, 0);
        g.Tcp(t + 50 * kUs, http, local, netcorr::kTcpSyn | netcorr::kTcpAck, peer, seq + 1, 0);
        g.Tcp(t + 60 * kUs, local, http, netcorr::kTcpAck, seq + 1, peer + 1, 0);
        g.Call("connect", fd, t, t + 55 * kUs, s, 0, 0, &http);
        ++seq;
        ++peer;
        t += 100 * kUs;
        for (int i = 0; i < kDataPairsPerTcpSession; ++i) {
          const bool retransmit = session % 50 == 7 && i == 3;
          g.Tcp(t, local, http, netcorr::kTcpAck | netcorr::kTcpPsh, seq, peer, 200);
          if (retransmit) g.Tcp(t + 5 * kUs, local, http, netcorr::kTcpAck, seq, peer, 200);
          seq += 200;
          g.Tcp(t + 20 * kUs, http, local, netcorr::kTcpAck | netcorr::kTcpPsh, peer, seq, 1000);
          peer += 1000;
          if (i % 12 == 0) {
            g.Call("write", fd, t - 5 * kUs, t, s, 0, 200);
            g.Call("read", fd, t + 2 * kUs, t + 25 * kUs, s, 0, 1000);
          }
          t += 30 * kUs;
        }
        g.Tcp(t, http, local, netcorr::kTcpFin | netcorr::kTcpAck, peer, seq, 0);
        g.Tcp(t + 10 * kUs, local, http, netcorr::kTcpFin | netcorr::kTcpAck, seq, peer + 1, 0);
        g.Tcp(t + 20 * kUs, http, local, netcorr::kTcpAck, peer + 1, seq + 1, 0);
        g.Call("close", fd, t + 15 * kUs, t + 16 * kUs, s, 0, 0);
        t += 50 * kUs;
        break;
      }
    }
    ++session;
    for (const netcorr::Finding& f : corr.Advance(t - 300 * kMs)) {
      ++findings[static_cast<int>(f.kind)];
    }
    max_flows = std::max(max_flows, corr.live_flow_count());
    max_pending = std::max(max_pending, corr.pending_call_count());
  }
  for (const netcorr::Finding& f : corr.Finish()) ++findings[static_cast<int>(f.kind)];
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("packets %llu, syscalls %llu, sessions %llu, trace span %.1f s\n",
              static_cast<unsigned long long>(g.packets()),
              static_cast<unsigned long long>(g.calls()), static_cast<unsigned long long>(session),
              static_cast<double>(t - kT0) / 1e9);
  std::printf("wall %.3f s (%.0f packets/s), max live flows %zu, max pending calls %zu\n", secs,
              static_cast<double>(g.packets()) / secs, max_flows, max_pending);
  for (int k = 0; k < 12; ++k) {
    if (findings[k] == 0) continue;
    std::printf("  %s: %llu\n",
                std::string(netcorr::FindingKindName(static_cast<FindingKind>(k))).c_str(),
                static_cast<unsigned long long>(findings[k]));
  }
  return 0;
}
