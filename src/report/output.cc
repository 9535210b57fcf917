#include "src/report/output.h"

#include <cerrno>

#include "absl/status/status.h"

namespace netcorr::report {

namespace {
// Large enough that a write per chunk costs nothing, small enough to stay in cache.
constexpr size_t kChunk = 64 * 1024;
}  // namespace

void Output::Write(const std::string& data) {
  if (target_ != nullptr) {
    target_->append(data);
    return;
  }
  if (failed_ || data.empty()) return;
  if (std::fwrite(data.data(), 1, data.size(), file_) != data.size()) {
    failed_ = true;
    error_ = errno;
  }
}

void Output::Drain(std::string* pending) {
  if (target_ != nullptr && target_->empty()) {
    // The first chunk of a string target: take the buffer itself, no copy.
    target_->swap(*pending);
    return;
  }
  if (target_ == nullptr && pending->size() < kChunk) return;
  Write(*pending);
  pending->clear();
}

absl::Status Output::Finish(std::string* pending) {
  Write(*pending);
  pending->clear();
  if (file_ != nullptr && !failed_ && std::fflush(file_) != 0) {
    failed_ = true;
    error_ = errno;
  }
  if (failed_) return absl::ErrnoToStatus(error_, "writing the report");
  return absl::OkStatus();
}

}  // namespace netcorr::report
