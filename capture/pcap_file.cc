#include "capture/pcap_file.h"

#include <pcap/pcap.h>
#include <stdio.h>

#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace netcorr::capture {

namespace {

absl::StatusOr<std::unique_ptr<PcapFileReader>> OpenError(const std::string& name,
                                                          const char* why) {
  return absl::InvalidArgumentError(absl::StrCat("cannot read capture file ", name, ": ", why));
}

// Seconds + nanoseconds (libpcap puts nanoseconds in tv_usec at NANO precision) to TimeNs. A
// file can claim any 32/64-bit seconds value; past year 2262 the nanosecond count saturates
// instead of overflowing.
TimeNs ToTimeNs(int64_t seconds, int64_t nanos) {
  TimeNs ns = 0;
  if (__builtin_mul_overflow(seconds, int64_t{1'000'000'000}, &ns) ||
      __builtin_add_overflow(ns, nanos, &ns)) {
    return seconds < 0 ? std::numeric_limits<TimeNs>::min() : std::numeric_limits<TimeNs>::max();
  }
  return ns;
}

}  // namespace

PcapFileReader::PcapFileReader(pcap* handle, std::string name)
    : handle_(handle),
      name_(std::move(name)),
      link_type_(pcap_datalink(handle)),
      snaplen_(static_cast<uint32_t>(pcap_snapshot(handle))) {}

PcapFileReader::~PcapFileReader() {
  if (handle_ != nullptr) pcap_close(handle_);
}

absl::StatusOr<std::unique_ptr<PcapFileReader>> PcapFileReader::Open(const std::string& path) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  // NANO: libpcap scales microsecond files up, so every timestamp is nanoseconds from here on.
  pcap* handle =
      pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (handle == nullptr) return OpenError(path, errbuf);
  return std::unique_ptr<PcapFileReader>(new PcapFileReader(handle, path));
}

absl::StatusOr<std::unique_ptr<PcapFileReader>> PcapFileReader::OpenMemory(
    absl::Span<const uint8_t> bytes, const std::string& name) {
  if (bytes.empty()) return OpenError(name, "empty file");
  // fmemopen only reads through the pointer in "r" mode; the cast is for its C signature.
  FILE* f = fmemopen(const_cast<uint8_t*>(bytes.data()), bytes.size(), "r");
  if (f == nullptr) return OpenError(name, "fmemopen failed");
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap* handle = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (handle == nullptr) {
    fclose(f);  // on failure libpcap leaves the stream to the caller
    return OpenError(name, errbuf);
  }
  return std::unique_ptr<PcapFileReader>(new PcapFileReader(handle, name));
}

absl::StatusOr<std::optional<RawPacket>> PcapFileReader::Next() {
  if (done_) return std::nullopt;
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  const int rc = pcap_next_ex(handle_, &header, &data);
  if (rc == PCAP_ERROR_BREAK) {  // -2: end of file
    done_ = true;
    return std::nullopt;
  }
  if (rc != 1) {
    done_ = true;
    return absl::DataLossError(
        absl::StrCat("capture file ", name_, " is damaged: ", pcap_geterr(handle_)));
  }
  RawPacket p;
  p.ts = ToTimeNs(header->ts.tv_sec, header->ts.tv_usec);
  p.link_type = link_type_;
  p.wire_len = header->len;
  p.bytes.assign(data, data + header->caplen);
  return p;
}

}  // namespace netcorr::capture
