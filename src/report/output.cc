#include "src/report/output.h"

#include <cerrno>

#include "absl/status/status.h"

namespace netcorr::report {

namespace {
// Large enough that a write per chunk costs nothing, small enough to stay in cache.
constexpr size_t kChunk = 64 * 1024;
}  // namespace

void Output::WriteRaw(const char* data, size_t size) {
  if (target_ != nullptr) {
    target_->append(data, size);
    return;
  }
  if (failed_ || size == 0) return;
  if (std::fwrite(data, 1, size, file_) != size) {
    failed_ = true;
    error_ = errno;
  }
}

void Output::Write(const std::string& data) {
  if (!escape_lt_) {
    WriteRaw(data.data(), data.size());
    return;
  }
  size_t from = 0;
  for (size_t lt = data.find('<'); lt != std::string::npos; lt = data.find('<', from)) {
    WriteRaw(data.data() + from, lt - from);
    WriteRaw("\\u003c", 6);
    from = lt + 1;
  }
  WriteRaw(data.data() + from, data.size() - from);
}

void Output::Drain(std::string* pending) {
  if (target_ != nullptr && target_->empty() && !escape_lt_) {
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
