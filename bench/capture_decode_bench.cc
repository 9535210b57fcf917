// Decoder throughput benchmark (bench/capture_bench.sh drives it).
//   capture_decode_bench generate FILE N   writes a pcapng of N packets of realistic traffic
//   capture_decode_bench decode FILE       reads FILE through libpcap and decodes every packet
// The generated traffic is TCP conversations (handshake, TLS ClientHello, data cut by the
// default snap length, FIN), DNS queries and answers, and ICMP errors, on the Linux cooked
// link type that `any` captures give.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "capture/decode.h"
#include "capture/live_capture.h"
#include "capture/pcap_file.h"
#include "capture/pcapng_writer.h"
#include "capture/testing/packet_builder.h"

namespace {

using namespace netcorr::capture;           // NOLINT
using namespace netcorr::capture::testing;  // NOLINT

std::string Client(uint64_t i) {
  return "10.1." + std::to_string((i >> 8) & 0xFF) + "." + std::to_string(i & 0xFF);
}

int Generate(const std::string& path, uint64_t count) {
  auto w = PcapngWriter::Create(path, kDefaultSnaplen);
  if (!w.ok()) {
    std::fprintf(stderr, "%s\n", std::string(w.status().message()).c_str());
    return 1;
  }
  RawPacket raw;
  raw.link_type = kLinkLinuxSll;
  raw.interface = "any";
  raw.ts = 1'764'300'000'000'000'000;
  uint64_t written = 0;
  auto emit = [&](const Bytes& ip, bool v6 = false) {
    raw.bytes = Sll(v6 ? kEtherIpv6 : kEtherIpv4, ip);
    raw.wire_len = static_cast<uint32_t>(raw.bytes.size());
    if (raw.bytes.size() > static_cast<size_t>(kDefaultSnaplen)) raw.bytes.resize(kDefaultSnaplen);
    raw.ts += 9'731;  // ~100,000 packets per second of capture time
    ++written;
    return (*w)->Write(raw).ok();
  };
  const Bytes data(1400, 'x');
  // ~110 packets per connection: ~9,000 connections per million packets. (tcpdump's
  // relative-sequence-number table degrades with tens of thousands of short connections.)
  constexpr int kRoundTrips = 50;
  const Bytes hello = TlsClientHello("service.example.net", {0x0304, 0x0303});
  for (uint64_t conv = 0; written < count; ++conv) {
    const std::string c = Client(conv), s = "10.2.0." + std::to_string(conv % 7 + 1);
    const uint16_t cp = static_cast<uint16_t>(32768 + conv % 28000), sp = conv % 3 ? 443 : 80;
    uint32_t cs = static_cast<uint32_t>(conv * 7919), ss = static_cast<uint32_t>(conv * 104729);
    bool ok =
        emit(Ipv4(c, s, 6, Tcp(cp, sp, cs, 0, netcorr::kTcpSyn, LinuxSynOptions(1460, 1, 0, 7)))) &&
        emit(Ipv4(s, c, 6,
                  Tcp(sp, cp, ss, cs + 1, netcorr::kTcpSyn | netcorr::kTcpAck,
                      LinuxSynOptions(1460, 2, 1, 7)))) &&
        emit(Ipv4(c, s, 6, Tcp(cp, sp, cs + 1, ss + 1, netcorr::kTcpAck)));
    ++cs;
    ++ss;
    ok = ok &&
         emit(Ipv4(c, s, 6, Tcp(cp, sp, cs, ss, netcorr::kTcpPsh | netcorr::kTcpAck, {}, hello)));
    cs += static_cast<uint32_t>(hello.size());
    for (int k = 0; k < kRoundTrips && ok; ++k) {
      ok = emit(Ipv4(s, c, 6, Tcp(sp, cp, ss, cs, netcorr::kTcpAck, {}, data))) &&
           emit(Ipv4(c, s, 6, Tcp(cp, sp, cs, ss + 1400, netcorr::kTcpAck)));
      ss += 1400;
    }
    ok = ok && emit(Ipv4(c, s, 6, Tcp(cp, sp, cs, ss, netcorr::kTcpFin | netcorr::kTcpAck))) &&
         emit(Ipv4(s, c, 6, Tcp(sp, cp, ss, cs + 1, netcorr::kTcpFin | netcorr::kTcpAck))) &&
         emit(Ipv4(c, s, 6, Tcp(cp, sp, cs + 1, ss + 1, netcorr::kTcpAck)));
    if (conv % 5 == 0) {
      const uint16_t id = static_cast<uint16_t>(conv);
      ok = ok &&
           emit(Ipv4(c, "10.2.0.53", 17, Udp(cp, 53, Dns(id, 0x0100, "service.example.net", 1)))) &&
           emit(Ipv6("fd71:2::53", "fd71:1::2", 17,
                     Udp(53, cp, Dns(id, 0x8180, "service.example.net", 1, 2))),
                true);
    }
    if (conv % 20 == 0) {
      Bytes quoted = Ipv4(c, s, 17, Udp(cp, 9, {1, 2, 3}));
      ok = ok && emit(Ipv4("10.1.0.1", c, 1, Icmp(3, 3, 0, quoted)));
    }
    if (!ok) {
      std::fprintf(stderr, "write failed\n");
      return 1;
    }
  }
  if (!(*w)->Close().ok()) return 1;
  std::printf("wrote %llu packets to %s\n", static_cast<unsigned long long>(written), path.c_str());
  return 0;
}

int Decode(const std::string& path) {
  const auto start = std::chrono::steady_clock::now();
  auto r = PcapFileReader::Open(path);
  if (!r.ok()) {
    std::fprintf(stderr, "%s\n", std::string(r.status().message()).c_str());
    return 1;
  }
  uint64_t packets = 0, tcp = 0, syn = 0, dns = 0, hello = 0, icmp = 0, incomplete = 0;
  for (;;) {
    auto next = (*r)->Next();
    if (!next.ok()) {
      std::fprintf(stderr, "%s\n", std::string(next.status().message()).c_str());
      return 1;
    }
    if (!next->has_value()) break;
    DecodeNotes notes;
    absl::StatusOr<netcorr::Packet> p = DecodePacket(**next, &notes);
    if (!p.ok()) return 1;
    ++packets;
    if (!notes.complete()) ++incomplete;
    if (p->tcp) {
      ++tcp;
      if (p->tcp->flags == netcorr::kTcpSyn) ++syn;
    }
    if (p->dns) ++dns;
    if (p->tls && p->tls->client_hello) ++hello;
    if (p->icmp_error) ++icmp;
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "packets %llu tcp %llu syn %llu dns %llu client_hello %llu icmp_errors %llu "
      "incomplete %llu\n",
      static_cast<unsigned long long>(packets), static_cast<unsigned long long>(tcp),
      static_cast<unsigned long long>(syn), static_cast<unsigned long long>(dns),
      static_cast<unsigned long long>(hello), static_cast<unsigned long long>(icmp),
      static_cast<unsigned long long>(incomplete));
  std::printf("seconds %.3f packets_per_second %.0f\n", secs, packets / secs);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::string(argv[1]) == "generate") {
    return Generate(argv[2], std::strtoull(argv[3], nullptr, 10));
  }
  if (argc == 3 && std::string(argv[1]) == "decode") return Decode(argv[2]);
  std::fprintf(stderr, "usage: %s generate FILE N | decode FILE\n", argv[0]);
  return 2;
}
