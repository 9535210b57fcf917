#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "capture/raw_packet.h"

namespace netcorr::capture {

// Writes pcapng (draft-ietf-opsawg-pcapng) by hand, because libpcap can only write pcap:
// one Section Header Block, one Interface Description Block per (link type, interface name)
// with if_tsresol = 9 (nanoseconds), and one Enhanced Packet Block per packet, optionally with
// an opt_comment (the syscall this packet is evidence for) that Wireshark shows and
// `tshark -Y frame.comment` filters on. Blocks are little-endian (the SHB byte-order magic
// says so), every field is padded to 32 bits.
//
// The file is created 0600 with O_EXCL|O_NOFOLLOW: an existing regular file is replaced, a
// symlink (or anything else) at the path is refused, so a capture can never be written
// through a link planted by another user.
class PcapngWriter {
 public:
  static absl::StatusOr<std::unique_ptr<PcapngWriter>> Create(const std::string& path,
                                                              uint32_t snaplen = 262144);
  // Closes (and flushes) the file; errors at that point are lost, call Close() to see them.
  ~PcapngWriter();
  PcapngWriter(const PcapngWriter&) = delete;
  PcapngWriter& operator=(const PcapngWriter&) = delete;

  // Appends one packet. `comment` empty: no comment option.
  absl::Status Write(const RawPacket& packet, std::string_view comment = {});
  absl::Status Flush();
  // Flushes and closes. A file that got no packet gets one IDB (Linux cooked, "any") so that
  // libpcap-based readers see an empty capture rather than a malformed one.
  absl::Status Close();

  uint64_t packets_written() const { return packets_written_; }
  // Bytes of every block so far, written or still buffered: the file's size once flushed.
  uint64_t bytes() const { return bytes_; }

 private:
  PcapngWriter(int fd, std::string path, uint32_t snaplen);
  // Interface id for the packet's (link type, name), writing its IDB on first use.
  uint32_t InterfaceId(int link_type, const std::string& name);
  absl::Status WriteAll(const uint8_t* data, size_t len);

  int fd_ = -1;
  std::string path_;
  uint32_t snaplen_;
  std::map<std::pair<int, std::string>, uint32_t> interfaces_;
  std::vector<uint8_t> buffer_;
  uint64_t packets_written_ = 0;
  uint64_t bytes_ = 0;
  absl::Status sticky_error_;
};

}  // namespace netcorr::capture
