// Generates a matching strace log and capture for benchmarking `netcorr analyze`: TCP
// connections that each send a request and read ~50 segments of reply, as
// `strace -f -yy -ttt -T` and `tcpdump -w` would record them on one host; one connection in 50
// is refused (SYN answered by RST), so the correlator has failures to explain.
//
//   analyze_input_gen LOG PCAPNG PACKETS
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "capture/pcapng_writer.h"
#include "capture/raw_packet.h"
#include "capture/testing/packet_builder.h"
#include "src/model/packet.h"

namespace {

using namespace netcorr::capture;           // NOLINT
using namespace netcorr::capture::testing;  // NOLINT

constexpr int64_t kStart = 1'764'300'000'000'000'000;
constexpr int kRoundTrips = 50;

class Recorder {
 public:
  Recorder(FILE* log, PcapngWriter* pcap) : log_(log), pcap_(pcap) {
    raw_.link_type = kLinkLinuxSll;
    raw_.interface = "any";
  }

  int64_t now() const { return now_; }
  void Advance(int64_t ns) { now_ += ns; }

  bool Packet(const Bytes& ip) {
    raw_.ts = now_;
    raw_.bytes = Sll(kEtherIpv4, ip);
    raw_.wire_len = static_cast<uint32_t>(raw_.bytes.size());
    if (raw_.bytes.size() > 768) raw_.bytes.resize(768);
    ++packets_;
    Advance(4'000);
    return pcap_->Write(raw_).ok();
  }

  // One strace line: "PID SECONDS.MICROS TEXT <DURATION>".
  void Line(int pid, int64_t entry, const std::string& text, int64_t duration_ns) {
    std::fprintf(log_, "%d  %" PRId64 ".%06" PRId64 " %s <%" PRId64 ".%06" PRId64 ">\n", pid,
                 entry / 1'000'000'000, (entry % 1'000'000'000) / 1000, text.c_str(),
                 duration_ns / 1'000'000'000, (duration_ns % 1'000'000'000) / 1000);
  }

  uint64_t packets() const { return packets_; }

 private:
  FILE* log_;
  PcapngWriter* pcap_;
  RawPacket raw_;
  int64_t now_ = kStart;
  uint64_t packets_ = 0;
};

std::string Ip(uint64_t i) {
  return "10.1." + std::to_string((i >> 8) & 0xFF) + "." + std::to_string(i & 0xFF);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s LOG PCAPNG PACKETS\n", argv[0]);
    return 2;
  }
  const uint64_t target = std::strtoull(argv[3], nullptr, 10);
  FILE* log = std::fopen(argv[1], "w");
  auto pcap = PcapngWriter::Create(argv[2], 768);
  if (log == nullptr || !pcap.ok()) {
    std::fprintf(stderr, "cannot create the output files\n");
    return 1;
  }
  Recorder r(log, pcap->get());
  const Bytes reply(1400, 'x');
  const Bytes request(120, 'G');
  const int pid = 4242;
  for (uint64_t conv = 0; r.packets() < target; ++conv) {
    const std::string c = Ip(conv), s = "10.2.0." + std::to_string(conv % 7 + 1);
    const uint16_t cp = static_cast<uint16_t>(32768 + conv % 28000), sp = 443;
    uint32_t cs = static_cast<uint32_t>(conv * 7919), ss = static_cast<uint32_t>(conv * 104729);
    const std::string dst = "{sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr(\"" + s +
                            "\")}, 16";
    const std::string tuple = "TCP:[" + c + ":" + std::to_string(cp) + "->" + s + ":443]";
    r.Line(pid, r.now(), "socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = 3<TCP:[" +
                             std::to_string(1000 + conv) + "]>", 9'000);
    r.Advance(10'000);
    const int64_t connect_entry = r.now();
    r.Advance(2'000);
    bool ok = r.Packet(Ipv4(c, s, 6, Tcp(cp, sp, cs, 0, netcorr::kTcpSyn)));
    if (conv % 50 == 49) {
      ok = ok && r.Packet(Ipv4(s, c, 6, Tcp(sp, cp, 0, cs + 1, netcorr::kTcpRst | netcorr::kTcpAck)));
      r.Line(pid, connect_entry, "connect(3<TCP:[" + std::to_string(1000 + conv) + "]>, " + dst +
                                     ") = -1 ECONNREFUSED (Connection refused)",
             r.now() - connect_entry);
      r.Line(pid, r.now(), "close(3<TCP:[" + std::to_string(1000 + conv) + "]>) = 0", 5'000);
      r.Advance(20'000);
      if (!ok) return 1;
      continue;
    }
    ok = ok &&
         r.Packet(Ipv4(s, c, 6, Tcp(sp, cp, ss, cs + 1, netcorr::kTcpSyn | netcorr::kTcpAck))) &&
         r.Packet(Ipv4(c, s, 6, Tcp(cp, sp, cs + 1, ss + 1, netcorr::kTcpAck)));
    r.Line(pid, connect_entry, "connect(3<" + tuple + ">, " + dst + ") = 0",
           r.now() - connect_entry);
    ++cs;
    ++ss;
    const int64_t write_entry = r.now();
    ok = ok && r.Packet(Ipv4(c, s, 6, Tcp(cp, sp, cs, ss, netcorr::kTcpPsh | netcorr::kTcpAck, {},
                                          request)));
    r.Line(pid, write_entry, "write(3<" + tuple + ">, \"GGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGG\"..., 120) = 120",
           r.now() - write_entry);
    cs += static_cast<uint32_t>(request.size());
    for (int k = 0; k < kRoundTrips && ok; ++k) {
      const int64_t read_entry = r.now();
      ok = r.Packet(Ipv4(s, c, 6, Tcp(sp, cp, ss, cs, netcorr::kTcpAck, {}, reply))) &&
           r.Packet(Ipv4(c, s, 6, Tcp(cp, sp, cs, ss + 1400, netcorr::kTcpAck)));
      r.Line(pid, read_entry,
             "read(3<" + tuple + ">, \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"..., 4096) = 1400",
             r.now() - read_entry);
      ss += 1400;
    }
    const int64_t close_entry = r.now();
    ok = ok && r.Packet(Ipv4(c, s, 6, Tcp(cp, sp, cs, ss, netcorr::kTcpFin | netcorr::kTcpAck))) &&
         r.Packet(Ipv4(s, c, 6, Tcp(sp, cp, ss, cs + 1, netcorr::kTcpFin | netcorr::kTcpAck))) &&
         r.Packet(Ipv4(c, s, 6, Tcp(cp, sp, cs + 1, ss + 1, netcorr::kTcpAck)));
    r.Line(pid, close_entry, "close(3<" + tuple + ">) = 0", r.now() - close_entry);
    r.Advance(20'000);
    if (!ok) return 1;
  }
  std::fprintf(log, "%d  %" PRId64 ".%06" PRId64 " +++ exited with 0 +++\n", pid,
               r.now() / 1'000'000'000, (r.now() % 1'000'000'000) / 1000);
  std::fclose(log);
  if (!(*pcap)->Close().ok()) return 1;
  std::fprintf(stderr, "generated %" PRIu64 " packets\n", r.packets());
  return 0;
}
