#include "capture/capture_files.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace netcorr::capture {

std::string CaptureFiles::FileName(const CaptureFileOptions& options, uint64_t index) {
  if (options.max_file_bytes == 0) return options.path;
  if (options.max_files <= 0) return index == 0 ? options.path : absl::StrCat(options.path, index);
  const std::string number = absl::StrCat(index % static_cast<uint64_t>(options.max_files));
  const size_t width = absl::StrCat(options.max_files - 1).size();
  return absl::StrCat(options.path, std::string(width - std::min(width, number.size()), '0'),
                      number);
}

absl::StatusOr<std::unique_ptr<CaptureFiles>> CaptureFiles::Open(CaptureFileOptions options) {
  if (options.max_files > 0 && options.max_file_bytes == 0) {
    return absl::InvalidArgumentError("-W needs -C: the number of files of a size rotation");
  }
  std::unique_ptr<CaptureFiles> files(new CaptureFiles(std::move(options)));
  if (absl::Status s = files->OpenNext(); !s.ok()) return s;
  return files;
}

CaptureFiles::~CaptureFiles() { Close().IgnoreError(); }

absl::Status CaptureFiles::OpenNext() {
  if (writer_ != nullptr) {
    if (absl::Status s = writer_->Close(); !s.ok()) return s;
    writer_.reset();
  }
  const std::string name = FileName(options_, files_opened_);
  auto writer = PcapngWriter::Create(name, options_.snaplen);
  if (!writer.ok()) return writer.status();
  writer_ = std::move(*writer);
  ++files_opened_;
  // A reused ring slot replaces the oldest file.
  if (options_.max_files > 0 && files_.size() >= static_cast<size_t>(options_.max_files)) {
    files_.pop_front();
  }
  files_.push_back(File{name, 0, 0});
  return absl::OkStatus();
}

void CaptureFiles::Add(uint64_t frame, RawPacket packet) {
  held_.push_back(Held{frame, std::move(packet), {}});
}

bool CaptureFiles::Comment(uint64_t frame, std::string_view text) {
  // Held frames are consecutive and increasing.
  if (held_.empty() || frame < held_.front().frame || frame > held_.back().frame) {
    ++late_comments_;
    return false;
  }
  auto it = std::lower_bound(held_.begin(), held_.end(), frame,
                             [](const Held& h, uint64_t f) { return h.frame < f; });
  if (it == held_.end() || it->frame != frame) {
    ++late_comments_;
    return false;
  }
  if (!it->comment.empty()) it->comment += "; ";
  it->comment.append(text);
  return true;
}

absl::Status CaptureFiles::WriteOne() {
  Held& h = held_.front();
  if (options_.max_file_bytes > 0 && writer_->packets_written() > 0 &&
      writer_->bytes() + h.packet.bytes.size() + h.comment.size() + 64 > options_.max_file_bytes) {
    if (absl::Status s = OpenNext(); !s.ok()) return s;
  }
  if (absl::Status s = writer_->Write(h.packet, h.comment); !s.ok()) return s;
  File& file = files_.back();
  if (file.first_frame == 0) file.first_frame = h.frame;
  file.last_frame = h.frame;
  ++packets_written_;
  held_.pop_front();
  return absl::OkStatus();
}

absl::Status CaptureFiles::WriteSettled(TimeNs watermark) {
  if (!sticky_error_.ok()) return sticky_error_;
  const TimeNs before = watermark - options_.hold_ns;
  while (!held_.empty() && held_.front().packet.ts < before) {
    sticky_error_ = WriteOne();
    if (!sticky_error_.ok()) return sticky_error_;
  }
  return writer_ != nullptr ? writer_->Flush() : absl::OkStatus();
}

absl::Status CaptureFiles::Close() {
  while (sticky_error_.ok() && !held_.empty()) sticky_error_ = WriteOne();
  held_.clear();
  if (writer_ != nullptr) {
    absl::Status s = writer_->Close();
    writer_.reset();
    if (sticky_error_.ok()) sticky_error_ = s;
  }
  return sticky_error_;
}

std::vector<CaptureFiles::File> CaptureFiles::files() const {
  return std::vector<File>(files_.begin(), files_.end());
}

}  // namespace netcorr::capture
