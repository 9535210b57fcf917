// Writes the seed corpus committed in fuzz/corpus/: a few valid packets of every kind the
// decoders know, as the fuzz targets expect their input. Regenerate with
//   cmake --build build --target fuzz_make_corpus && build/fuzz/fuzz_make_corpus fuzz/corpus
#include <pcap/pcap.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <tuple>
#include <vector>

#include "capture/pcapng_writer.h"
#include "capture/raw_packet.h"
#include "capture/testing/packet_builder.h"
#include "src/model/packet.h"

namespace {

using namespace netcorr::capture::testing;  // NOLINT
namespace fs = std::filesystem;
using netcorr::kTcpAck;
using netcorr::kTcpPsh;
using netcorr::kTcpRst;
using netcorr::kTcpSyn;

void WriteFile(const fs::path& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

// Index of the link type in decode_packet_fuzzer.cc's kLinks.
enum LinkIndex : uint8_t { kEth = 0, kSll = 1, kSll2 = 2, kNull = 3, kLoop = 4, kRaw = 5 };

struct Named {
  std::string name;
  uint8_t link;
  Bytes frame;
};

std::vector<Named> Packets() {
  const Bytes syn = Ipv4("127.0.0.1", "127.0.0.1", 6,
                         Tcp(40000, 9, 1000, 0, kTcpSyn, LinuxSynOptions(65495, 1, 0, 7)));
  const Bytes rst = Ipv4("127.0.0.1", "127.0.0.1", 6, Tcp(9, 40000, 0, 1001, kTcpRst | kTcpAck));
  const Bytes dns_q =
      Ipv4("10.71.1.2", "10.71.2.2", 17, Udp(40001, 53, Dns(0x1234, 0x0100, "www.example.com", 1)));
  const Bytes dns_r = Ipv6("fd71:2::2", "fd71:1::2", 17,
                           Udp(53, 40001, Dns(0x1234, 0x8182, "www.example.com", 28, 1)));
  const Bytes hello = Ipv4("10.71.1.2", "10.71.2.2", 6,
                           Tcp(40002, 443, 1, 1, kTcpPsh | kTcpAck, {},
                               TlsClientHello("api.example.net", {0x0304, 0x0303})));
  const Bytes alert = Ipv6("fd71:2::2", "fd71:1::2", 6,
                           Tcp(443, 40002, 1, 1, kTcpPsh | kTcpAck, {}, TlsAlert(2, 40)));
  const Bytes unreach =
      Ipv4("10.71.1.1", "10.71.1.2", 1,
           Icmp(3, 13, 0, Ipv4("10.71.1.2", "10.71.2.2", 6, Tcp(40003, 80, 7, 0, kTcpSyn))));
  Bytes quoted =
      Ipv4("10.71.1.2", "10.71.2.2", 6, Tcp(40004, 80, 7, 0, kTcpAck, {}, Bytes(1400, 0)));
  quoted.resize(28);  // what a router quotes: IP header + 8 bytes
  const Bytes frag_needed = Ipv4("10.71.1.1", "10.71.1.2", 1, Icmp(3, 4, 1280, quoted));
  const Bytes ptb =
      Ipv6("fd71:1::1", "fd71:1::2", 58,
           Icmp(2, 0, 1280, Ipv6("fd71:1::2", "fd71:2::2", 6, Tcp(40005, 443, 1, 1, kTcpAck))));
  const Bytes v6_ext = Ipv6(
      "fd71:1::2", "fd71:2::2", 0,
      Ipv6Ext8(60, Ipv6Ext8(44, Ipv6Fragment(17, 0, true, Udp(5, 53, Dns(9, 0x100, "a.b", 1))))));
  const Bytes v4_frag = Ipv4("10.0.0.1", "10.0.0.2", 17, Bytes(32, 0xAB), {}, 185);
  return {
      {"eth_vlan_syn", kEth, Ethernet(kEtherIpv4, syn, {42})},
      {"sll_syn", kSll, Sll(kEtherIpv4, syn)},
      {"sll_rst", kSll, Sll(kEtherIpv4, rst)},
      {"sll2_dns_query", kSll2, Sll2(kEtherIpv4, dns_q)},
      {"sll2_dns_servfail_v6", kSll2, Sll2(kEtherIpv6, dns_r)},
      {"eth_tls_client_hello", kEth, Ethernet(kEtherIpv4, hello)},
      {"null_tls_alert_v6", kNull, Null(10, alert, false)},
      {"loop_icmp_admin_prohibited", kLoop, Null(2, unreach, true)},
      {"raw_icmp_frag_needed", kRaw, frag_needed},
      {"raw_icmp6_packet_too_big", kRaw, ptb},
      {"raw_ipv6_ext_headers", kRaw, v6_ext},
      {"raw_ipv4_fragment", kRaw, v4_frag},
      {"eth_arp", kEth, Ethernet(kEtherArp, Bytes(28, 0))},
      {"eth_arp_request", kEth,
       Ethernet(kEtherArp,
                Arp(1, "02:00:0a:47:01:02", "10.71.1.2", "00:00:00:00:00:00", "10.71.1.99"))},
      {"sll2_arp_reply", kSll2,
       Sll2(kEtherArp, Arp(2, "02:00:0a:47:01:01", "10.71.1.1", "02:00:0a:47:01:02", "10.71.1.2"))},
      {"raw_ndp_solicitation", kRaw,
       Ipv6("fd71:1::2", "ff02::1:ff00:99", 58,
            NeighbourDiscovery(135, "fd71:1::99", "02:00:0a:47:01:02"))},
      {"sll_ndp_advertisement", kSll,
       Sll(kEtherIpv6, Ipv6("fd71:1::1", "fd71:1::2", 58,
                            NeighbourDiscovery(136, "fd71:1::1", "02:00:0a:47:01:01")))},
  };
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  const fs::path root(argv[1]);
  for (const char* d : {"decode_packet", "dns", "tls", "pcap_file"})
    fs::create_directories(root / d);

  const std::vector<Named> packets = Packets();
  for (const Named& p : packets)
    WriteFile(root / "decode_packet" / p.name, Concat({p.link}, p.frame));

  WriteFile(root / "dns" / "query", Dns(0x1234, 0x0100, "www.example.com", 1));
  WriteFile(root / "dns" / "servfail_with_answer", Dns(0x1234, 0x8182, "example.org", 28, 1));
  WriteFile(root / "dns" / "pointer_loop", {0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1});
  WriteFile(root / "tls" / "client_hello", TlsClientHello("api.example.net", {0x0304, 0x0303}));
  WriteFile(root / "tls" / "client_hello_no_sni", TlsClientHello("", {0x0304}));
  WriteFile(root / "tls" / "alert", TlsAlert(2, 40));

  // pcapng as netcorr writes it (two interfaces, comments) and classic microsecond pcap.
  // pcapng as netcorr writes it (nanoseconds, comments), one file per cooked link type, and
  // a classic microsecond pcap.
  for (const auto& [file, link, index] :
       {std::tuple{"netcorr_sll.pcapng", netcorr::capture::kLinkLinuxSll, kSll},
        std::tuple{"netcorr_sll2.pcapng", netcorr::capture::kLinkLinuxSll2, kSll2}}) {
    auto w = netcorr::capture::PcapngWriter::Create((root / "pcap_file" / file).string(), 768);
    if (!w.ok()) return 1;
    netcorr::capture::RawPacket raw;
    raw.link_type = link;
    raw.interface = "any";
    int n = 0;
    for (const Named& p : packets) {
      if (p.link != index) continue;
      raw.ts = 1'764'300'000'000'000'000 + ++n * 1'000'123;
      raw.bytes = p.frame;
      raw.wire_len = static_cast<uint32_t>(raw.bytes.size());
      if (!(*w)->Write(raw, n == 2 ? "connect() = -1 ECONNREFUSED" : "").ok()) return 1;
    }
    if (!(*w)->Close().ok()) return 1;
  }
  const fs::path classic = root / "pcap_file" / "ethernet.pcap";
  pcap_t* dead = pcap_open_dead(DLT_EN10MB, 65535);
  pcap_dumper_t* d = pcap_dump_open(dead, classic.c_str());
  if (d == nullptr) return 1;
  int i = 0;
  for (const Named& p : packets) {
    if (p.link != kEth) continue;
    pcap_pkthdr h{};
    h.ts.tv_sec = 1'764'300'000;
    h.ts.tv_usec = ++i;
    h.caplen = h.len = static_cast<bpf_u_int32>(p.frame.size());
    pcap_dump(reinterpret_cast<u_char*>(d), &h, p.frame.data());
  }
  pcap_dump_close(d);
  pcap_close(dead);
  std::printf("corpus written to %s\n", root.c_str());
  return 0;
}
