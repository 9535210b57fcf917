#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "capture/raw_packet.h"

struct pcap;

namespace netcorr::capture {

// Reads a pcap or pcapng file through libpcap with nanosecond timestamps (microsecond files
// are scaled up by libpcap). Errors are one line naming the file and the problem: missing,
// not a capture file, truncated in the middle of a record.
class PcapFileReader {
 public:
  static absl::StatusOr<std::unique_ptr<PcapFileReader>> Open(const std::string& path);
  // Reads a capture held in memory (fmemopen), for fuzzing and tests. The bytes must outlive
  // the reader.
  static absl::StatusOr<std::unique_ptr<PcapFileReader>> OpenMemory(
      absl::Span<const uint8_t> bytes, const std::string& name = "<memory>");

  ~PcapFileReader();
  PcapFileReader(const PcapFileReader&) = delete;
  PcapFileReader& operator=(const PcapFileReader&) = delete;

  // The next record, nullopt at a clean end of file, an error for a truncated or corrupt
  // record. After an error, further calls return nullopt.
  absl::StatusOr<std::optional<RawPacket>> Next();

  // Link type of the records (for pcapng, of the first interface; libpcap refuses files that
  // mix link types).
  int link_type() const { return link_type_; }
  uint32_t snaplen() const { return snaplen_; }
  const std::string& name() const { return name_; }

 private:
  PcapFileReader(pcap* handle, std::string name);

  pcap* handle_ = nullptr;
  std::string name_;
  int link_type_ = 0;
  uint32_t snaplen_ = 0;
  bool done_ = false;
};

}  // namespace netcorr::capture
