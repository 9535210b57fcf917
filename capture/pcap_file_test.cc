#include "capture/pcap_file.h"

#include <pcap/pcap.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "capture/capture_files.h"
#include "capture/decode.h"
#include "capture/pcapng_writer.h"
#include "capture/testing/packet_builder.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/requirements.h"

namespace netcorr::capture {
namespace {

using ::testing::HasSubstr;
using namespace ::netcorr::capture::testing;  // NOLINT

class TempDir {
 public:
  TempDir() {
    std::string tmpl = ::testing::TempDir() + "nccap_file_XXXXXX";
    path_ = mkdtemp(tmpl.data()) ? tmpl : "";
  }
  ~TempDir() {
    if (!path_.empty()) std::system(("rm -rf '" + path_ + "'").c_str());
  }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::vector<uint8_t> ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void WriteAll(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

RawPacket Raw(TimeNs ts, const Bytes& bytes, int link = kLinkLinuxSll, std::string iface = "any") {
  RawPacket p;
  p.ts = ts;
  p.link_type = link;
  p.bytes = bytes;
  p.wire_len = static_cast<uint32_t>(bytes.size());
  p.interface = std::move(iface);
  return p;
}

constexpr TimeNs kT0 = 1'764'300'000'123'456'789;  // a nanosecond-precise CLOCK_REALTIME value

std::vector<RawPacket> SamplePackets() {
  return {
      Raw(kT0, Sll(kEtherIpv4, Ipv4("127.0.0.1", "127.0.0.1", 6, Tcp(40000, 9, 1, 0, kTcpSyn)))),
      Raw(kT0 + 1, Sll(kEtherIpv4,
                       Ipv4("127.0.0.1", "127.0.0.1", 6, Tcp(9, 40000, 0, 2, kTcpRst | kTcpAck)))),
      Raw(kT0 + 1'000'000'001,
          Sll(kEtherIpv4, Ipv4("127.0.0.1", "127.0.0.1", 17, Udp(5, 53, Dns(3, 0x100, "x.y", 1))))),
  };
}

TEST(PcapngWriterTest, RoundTripsThroughLibpcapWithNanoseconds) {
  TempDir dir;
  const std::string path = dir.File("a.pcapng");
  {
    absl::StatusOr<std::unique_ptr<PcapngWriter>> w = PcapngWriter::Create(path, 768);
    ASSERT_TRUE(w.ok()) << w.status();
    for (const RawPacket& p : SamplePackets()) ASSERT_TRUE((*w)->Write(p, "evidence").ok());
    EXPECT_EQ((*w)->packets_written(), 3u);
    ASSERT_TRUE((*w)->Close().ok());
  }
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  absl::StatusOr<std::unique_ptr<PcapFileReader>> r = PcapFileReader::Open(path);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)->link_type(), kLinkLinuxSll);
  EXPECT_EQ((*r)->snaplen(), 768u);
  std::vector<RawPacket> expected = SamplePackets();
  for (const RawPacket& want : expected) {
    absl::StatusOr<std::optional<RawPacket>> got = (*r)->Next();
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_TRUE(got->has_value());
    EXPECT_EQ((*got)->ts, want.ts);
    EXPECT_EQ((*got)->bytes, want.bytes);
    EXPECT_EQ((*got)->wire_len, want.wire_len);
  }
  absl::StatusOr<std::optional<RawPacket>> end = (*r)->Next();
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(end->has_value());
}

TEST(PcapngWriterTest, CutsPacketsToTheSnaplenButKeepsTheWireLength) {
  TempDir dir;
  const std::string path = dir.File("snap.pcapng");
  {
    auto w = PcapngWriter::Create(path, 64);
    ASSERT_TRUE(w.ok());
    RawPacket big =
        Raw(kT0, Sll(kEtherIpv4, Ipv4("1.1.1.1", "2.2.2.2", 17, Udp(1, 2, Bytes(500, 7)))));
    ASSERT_TRUE((*w)->Write(big).ok());
  }
  auto r = PcapFileReader::Open(path);
  ASSERT_TRUE(r.ok());
  auto got = (*r)->Next();
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->bytes.size(), 64u);
  EXPECT_EQ((*got)->wire_len, 16u + 28u + 500u);
}

TEST(PcapngWriterTest, ReplacesARegularFileButRefusesASymlink) {
  TempDir dir;
  const std::string path = dir.File("old.pcapng");
  WriteAll(path, {1, 2, 3});
  chmod(path.c_str(), 0644);
  {
    auto w = PcapngWriter::Create(path);
    ASSERT_TRUE(w.ok()) << w.status();
  }
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_TRUE(PcapFileReader::Open(path).ok());

  const std::string target = dir.File("victim");
  WriteAll(target, {'k', 'e', 'e', 'p'});
  const std::string link = dir.File("link.pcapng");
  ASSERT_EQ(symlink(target.c_str(), link.c_str()), 0);
  auto w = PcapngWriter::Create(link);
  ASSERT_FALSE(w.ok());
  EXPECT_THAT(std::string(w.status().message()), HasSubstr("symbolic link"));
  EXPECT_EQ(ReadAll(target), (std::vector<uint8_t>{'k', 'e', 'e', 'p'}));

  const std::string dangling = dir.File("dangling.pcapng");
  ASSERT_EQ(symlink(dir.File("nothing").c_str(), dangling.c_str()), 0);
  EXPECT_FALSE(PcapngWriter::Create(dangling).ok());
  EXPECT_NE(access(dir.File("nothing").c_str(), F_OK), 0);
}

// Runs a shell command and returns its stdout (stderr discarded: tshark warns about root).
std::string RunShell(const std::string& command, int* status) {
  std::string out;
  FILE* f = popen((command + " 2>/dev/null").c_str(), "r");
  if (f == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
  *status = pclose(f);
  return out;
}

TEST(PcapngWriterTest, TsharkReadsCountTimestampsAndComments) {
  NETCORR_REQUIRE(::netcorr::testing::Program("/usr/bin/tshark"));
  TempDir dir;
  const std::string path = dir.File("t.pcapng");
  {
    auto w = PcapngWriter::Create(path, 768);
    ASSERT_TRUE(w.ok());
    std::vector<RawPacket> packets = SamplePackets();
    ASSERT_TRUE((*w)->Write(packets[0], "connect() fd 3: our SYN").ok());
    ASSERT_TRUE((*w)->Write(packets[1], "connect() = -1 ECONNREFUSED: RST from peer").ok());
    ASSERT_TRUE((*w)->Write(packets[2]).ok());
    // A second interface with another link type gets its own IDB.
    ASSERT_TRUE((*w)->Write(Raw(kT0 + 5,
                                Ethernet(kEtherIpv4, Ipv4("1.1.1.1", "2.2.2.2", 17, Udp(1, 2, {}))),
                                kLinkEthernet, "eth0"),
                            "odd length comment")
                    .ok());
    ASSERT_TRUE((*w)->Close().ok());
  }
  int status = -1;
  std::string all = RunShell("/usr/bin/tshark -r '" + path +
                                 "' -T fields -E separator=/t -e frame.number -e frame.time_epoch "
                                 "-e frame.comment -e frame.interface_name",
                             &status);
  ASSERT_EQ(status, 0) << all;
  EXPECT_EQ(all,
            "1\t1764300000.123456789\tconnect() fd 3: our SYN\tany\n"
            "2\t1764300000.123456790\tconnect() = -1 ECONNREFUSED: RST from peer\tany\n"
            "3\t1764300001.123456790\t\tany\n"
            "4\t1764300000.123456794\todd length comment\teth0\n");

  std::string commented = RunShell(
      "/usr/bin/tshark -r '" + path + "' -Y frame.comment -T fields -e frame.number", &status);
  ASSERT_EQ(status, 0);
  EXPECT_EQ(commented, "1\n2\n4\n");
}

TEST(PcapFileReaderTest, ReadsMicrosecondPcapAsNanoseconds) {
  TempDir dir;
  const std::string path = dir.File("us.pcap");
  pcap_t* dead = pcap_open_dead(DLT_EN10MB, 65535);
  pcap_dumper_t* d = pcap_dump_open(dead, path.c_str());
  ASSERT_NE(d, nullptr) << pcap_geterr(dead);
  Bytes frame = Ethernet(kEtherIpv4, Ipv4("1.1.1.1", "2.2.2.2", 6, Tcp(1, 2, 3, 4, kTcpSyn)));
  pcap_pkthdr h{};
  h.ts.tv_sec = 1000;
  h.ts.tv_usec = 250;
  h.caplen = h.len = static_cast<bpf_u_int32>(frame.size());
  pcap_dump(reinterpret_cast<u_char*>(d), &h, frame.data());
  pcap_dump_close(d);
  pcap_close(dead);

  auto r = PcapFileReader::Open(path);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)->link_type(), kLinkEthernet);
  auto got = (*r)->Next();
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->ts, 1000'000'250'000);
  absl::StatusOr<Packet> p = DecodePacket(**got);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->tcp->flags, kTcpSyn);
}

TEST(PcapFileReaderTest, OneLineErrors) {
  TempDir dir;
  auto missing = PcapFileReader::Open(dir.File("nope.pcap"));
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("nope.pcap"));
  EXPECT_THAT(std::string(missing.status().message()), ::testing::Not(HasSubstr("\n")));

  const std::string garbage = dir.File("garbage.pcap");
  WriteAll(garbage, Bytes(100, 'x'));
  auto g = PcapFileReader::Open(garbage);
  ASSERT_FALSE(g.ok());
  EXPECT_THAT(std::string(g.status().message()), HasSubstr("garbage.pcap"));

  const std::string empty = dir.File("empty.pcap");
  WriteAll(empty, {});
  EXPECT_FALSE(PcapFileReader::Open(empty).ok());
}

// A pcapng block, little-endian: type, total length, body (padded by the caller), length.
Bytes Block(uint32_t type, const Bytes& body) {
  Bytes b;
  auto put32 = [&b](uint32_t v) {
    for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
  };
  put32(type);
  put32(static_cast<uint32_t>(body.size() + 12));
  b.insert(b.end(), body.begin(), body.end());
  put32(static_cast<uint32_t>(body.size() + 12));
  return b;
}

// A file may claim timestamps far past what int64 nanoseconds hold (here: 2^40 seconds, with
// a one-second resolution); the reader saturates instead of overflowing (UBSan checks).
TEST(PcapFileReaderTest, HugeTimestampSaturates) {
  const Bytes shb = Block(0x0A0D0D0A, {0x4D, 0x3C, 0x2B, 0x1A, 1, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF,
                                       0xFF, 0xFF, 0xFF, 0xFF});
  const Bytes idb = Block(1, {1, 0, 0, 0, 0, 0, 1, 0,  // Ethernet, snaplen 65536
                              9, 0, 1, 0, 0, 0, 0, 0,  // if_tsresol = 10^0: seconds
                              0, 0, 0, 0});            // end of options
  Bytes epb_body = {0, 0, 0, 0,                        // interface 0
                    0, 1, 0, 0, 0, 0, 0, 0,            // timestamp high 256, low 0: 2^40 s
                    4, 0, 0, 0, 4, 0, 0, 0, 1, 2, 3, 4};
  const Bytes file = Concat(Concat(shb, idb), Block(6, epb_body));
  auto r = PcapFileReader::OpenMemory(file, "huge.pcapng");
  ASSERT_TRUE(r.ok()) << r.status();
  auto got = (*r)->Next();
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->ts, std::numeric_limits<TimeNs>::max());
  EXPECT_EQ((*got)->bytes, (Bytes{1, 2, 3, 4}));
}

TEST(PcapFileReaderTest, TruncatedRecordIsAnErrorAfterTheGoodOnes) {
  TempDir dir;
  const std::string path = dir.File("cut.pcapng");
  {
    auto w = PcapngWriter::Create(path);
    ASSERT_TRUE(w.ok());
    for (const RawPacket& p : SamplePackets()) ASSERT_TRUE((*w)->Write(p).ok());
  }
  std::vector<uint8_t> bytes = ReadAll(path);
  bytes.resize(bytes.size() - 10);
  auto r = PcapFileReader::OpenMemory(bytes, "cut.pcapng");
  ASSERT_TRUE(r.ok()) << r.status();
  int good = 0;
  absl::Status error;
  for (int i = 0; i < 10; ++i) {
    auto got = (*r)->Next();
    if (!got.ok()) {
      error = got.status();
      break;
    }
    if (!got->has_value()) break;
    ++good;
  }
  EXPECT_EQ(good, 2);
  EXPECT_FALSE(error.ok());
  EXPECT_THAT(std::string(error.message()), HasSubstr("cut.pcapng"));
  // After the error the reader stays at its end.
  auto after = (*r)->Next();
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE(after->has_value());
}


// -w F -C -W: tcpdump's names, each file a complete capture, the newest N kept.
TEST(CaptureFilesTest, RotatesBySizeIntoARingOfCompleteFiles) {
  TempDir dir;
  CaptureFileOptions options;
  options.path = dir.File("ring.pcapng");
  options.max_file_bytes = 400;  // the headers and about two packets
  options.max_files = 3;
  options.hold_ns = 0;
  auto files = CaptureFiles::Open(options);
  ASSERT_TRUE(files.ok()) << files.status();
  const RawPacket sample = SamplePackets()[0];
  for (uint64_t frame = 1; frame <= 20; ++frame) {
    RawPacket p = sample;
    p.ts = kT0 + static_cast<TimeNs>(frame);
    (*files)->Add(frame, std::move(p));
    ASSERT_TRUE((*files)->WriteSettled(kT0 + 1000).ok());
  }
  ASSERT_TRUE((*files)->Close().ok());
  const std::vector<CaptureFiles::File> kept = (*files)->files();
  ASSERT_EQ(kept.size(), 3u);
  EXPECT_EQ(kept.back().last_frame, 20u);
  uint64_t next_frame = kept.front().first_frame;
  for (const CaptureFiles::File& f : kept) {
    EXPECT_EQ(f.first_frame, next_frame);
    struct stat st {};
    ASSERT_EQ(stat(f.path.c_str(), &st), 0) << f.path;
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    auto reader = PcapFileReader::Open(f.path);
    ASSERT_TRUE(reader.ok()) << reader.status();
    uint64_t count = 0;
    while (true) {
      auto next = (*reader)->Next();
      ASSERT_TRUE(next.ok()) << next.status();
      if (!next->has_value()) break;
      ++count;
    }
    EXPECT_EQ(count, f.last_frame - f.first_frame + 1) << f.path;
    next_frame = f.last_frame + 1;
  }
  // Names as tcpdump gives them with -W 3: one digit, reused in turn.
  EXPECT_EQ(CaptureFiles::FileName(options, 0), dir.File("ring.pcapng0"));
  EXPECT_EQ(CaptureFiles::FileName(options, 4), dir.File("ring.pcapng1"));
  EXPECT_EQ(access(dir.File("ring.pcapng3").c_str(), F_OK), -1);
  options.max_files = 0;
  EXPECT_EQ(CaptureFiles::FileName(options, 0), dir.File("ring.pcapng"));
  EXPECT_EQ(CaptureFiles::FileName(options, 12), dir.File("ring.pcapng12"));
  options.max_files = 12;
  EXPECT_EQ(CaptureFiles::FileName(options, 3), dir.File("ring.pcapng03"));
}

TEST(CaptureFilesTest, CommentsGoIntoHeldPacketsAndLateOnesAreCounted) {
  NETCORR_REQUIRE(::netcorr::testing::Program("/usr/bin/tshark"));
  TempDir dir;
  CaptureFileOptions options;
  options.path = dir.File("held.pcapng");
  options.hold_ns = 1'000'000'000;
  auto files = CaptureFiles::Open(options);
  ASSERT_TRUE(files.ok()) << files.status();
  std::vector<RawPacket> packets = SamplePackets();  // at kT0, kT0 + 1, kT0 + 1 s + 1
  for (uint64_t i = 0; i < packets.size(); ++i) (*files)->Add(i + 1, packets[i]);
  ASSERT_TRUE((*files)->WriteSettled(kT0 + 1'000'000'002).ok());  // frames 1 and 2 are written
  EXPECT_FALSE((*files)->Comment(1, "too late"));
  EXPECT_TRUE((*files)->Comment(3, "netcorr [1] no_response"));
  EXPECT_TRUE((*files)->Comment(3, "netcorr [2] dns_error"));
  ASSERT_TRUE((*files)->Close().ok());
  EXPECT_EQ((*files)->late_comments(), 1u);
  int status = -1;
  const std::string out = RunShell("/usr/bin/tshark -r '" + options.path +
                                       "' -T fields -e frame.number -e frame.comment",
                                   &status);
  ASSERT_EQ(status, 0) << out;
  EXPECT_EQ(out, "1\t\n2\t\n3\tnetcorr [1] no_response; netcorr [2] dns_error\n");
}

TEST(CaptureFilesTest, RefusesASymlinkAndWWithoutC) {
  TempDir dir;
  const std::string link = dir.File("planted.pcapng");
  ASSERT_EQ(symlink("/etc/passwd", link.c_str()), 0);
  CaptureFileOptions options;
  options.path = link;
  EXPECT_FALSE(CaptureFiles::Open(options).ok());
  options.path = dir.File("w.pcapng");
  options.max_files = 2;
  EXPECT_EQ(CaptureFiles::Open(options).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace netcorr::capture
