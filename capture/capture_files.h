#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "capture/pcapng_writer.h"
#include "capture/raw_packet.h"
#include "src/model/time.h"

namespace netcorr::capture {

// The -w files of a session that may run for hours, as tcpdump writes them:
//   -w F            one file F;
//   -w F -C MB      F, then F1, F2... each at most MB million bytes (a file holds at least one
//                   packet, so one packet larger than MB makes a file larger than MB);
//   -w F -C MB -W N F0..F(N-1) (zero-padded to N-1's digits), reused in turn: the newest N
//                   files of the session stay on disk.
// Every file is a complete pcapng (its own section and interface blocks), created 0600 without
// following symlinks (PcapngWriter).
//
// Packets wait `hold_ns` before they are written, so that the evidence comments of findings
// decided meanwhile go into the packet's own block, in the file that holds the packet. A
// comment that comes later than that is counted (late_comments) and not written: a written
// block is never rewritten. Memory holds the packets of the last hold_ns only.
struct CaptureFileOptions {
  std::string path;
  uint64_t max_file_bytes = 0;  // -C in bytes; 0: a single file
  int max_files = 0;            // -W; 0: unlimited (needs max_file_bytes)
  uint32_t snaplen = 262144;
  TimeNs hold_ns = 3'000'000'000;
};

class CaptureFiles {
 public:
  static absl::StatusOr<std::unique_ptr<CaptureFiles>> Open(CaptureFileOptions options);
  ~CaptureFiles();
  CaptureFiles(const CaptureFiles&) = delete;
  CaptureFiles& operator=(const CaptureFiles&) = delete;

  // Frame numbers count from 1 over the whole session, in the order packets are added.
  void Add(uint64_t frame, RawPacket packet);
  // Adds `text` to the comment of `frame` if it is not written yet; returns whether it was.
  bool Comment(uint64_t frame, std::string_view text);
  // Every packet stamped up to `watermark` has been added: writes those held for hold_ns since.
  absl::Status WriteSettled(TimeNs watermark);
  // Writes everything still held and closes the current file.
  absl::Status Close();

  struct File {
    std::string path;
    uint64_t first_frame = 0;  // 0 while empty
    uint64_t last_frame = 0;
  };
  // The files still on disk, oldest first.
  std::vector<File> files() const;
  uint64_t late_comments() const { return late_comments_; }
  uint64_t packets_written() const { return packets_written_; }

  // The name of file number `index` (0-based, in creation order): tcpdump's scheme above.
  static std::string FileName(const CaptureFileOptions& options, uint64_t index);

 private:
  explicit CaptureFiles(CaptureFileOptions options) : options_(std::move(options)) {}
  absl::Status OpenNext();
  absl::Status WriteOne();

  struct Held {
    uint64_t frame;
    RawPacket packet;
    std::string comment;
  };
  CaptureFileOptions options_;
  std::deque<Held> held_;
  std::unique_ptr<PcapngWriter> writer_;
  uint64_t files_opened_ = 0;
  std::deque<File> files_;
  uint64_t late_comments_ = 0;
  uint64_t packets_written_ = 0;
  absl::Status sticky_error_;
};

}  // namespace netcorr::capture
