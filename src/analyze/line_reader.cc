#include "src/analyze/line_reader.h"

#include <cstring>

#include "absl/strings/str_cat.h"

namespace netcorr::analyze {
namespace {
constexpr size_t kBlock = 1 << 20;
}  // namespace

LineReader::LineReader(std::istream& in, std::string name) : in_(&in), name_(std::move(name)) {}

LineReader::LineReader(std::string_view text) : text_(text), eof_(true) {}

bool LineReader::Fill() {
  if (eof_ || in_ == nullptr) return false;
  // Keep the unread tail, drop what was consumed.
  const size_t tail = text_.size() - pos_;
  if (pos_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + pos_, tail);
    pos_ = 0;
  }
  buffer_.resize(tail + kBlock);
  in_->read(buffer_.data() + tail, static_cast<std::streamsize>(kBlock));
  const size_t got = static_cast<size_t>(in_->gcount());
  buffer_.resize(tail + got);
  text_ = buffer_;
  if (got == 0 || !*in_) eof_ = true;
  return got > 0;
}

bool LineReader::Next(std::string_view& line, bool& overlong) {
  overlong = false;
  for (;;) {
    const size_t avail = text_.size() - pos_;
    const void* nl = avail == 0 ? nullptr : std::memchr(text_.data() + pos_, '\n', avail);
    if (nl != nullptr) {
      const size_t end = static_cast<size_t>(static_cast<const char*>(nl) - text_.data());
      line = text_.substr(pos_, end - pos_);
      pos_ = end + 1;
      if (skipping_) {
        skipping_ = false;
        continue;  // the tail of a line already reported as overlong
      }
      return true;
    }
    if (avail >= kMaxLine && !skipping_) {
      line = text_.substr(pos_, kMaxLine);
      pos_ += avail;
      skipping_ = true;
      overlong = true;
      return true;
    }
    if (skipping_) pos_ = text_.size();
    if (Fill()) continue;
    if (pos_ < text_.size()) {
      line = text_.substr(pos_);
      pos_ = text_.size();
      if (skipping_) {
        skipping_ = false;
        return false;
      }
      return true;
    }
    return false;
  }
}

std::string_view LineReader::Peek(size_t n) {
  while (text_.size() - pos_ < n && Fill()) {
  }
  return text_.substr(pos_, n);
}

absl::Status LineReader::status() const {
  if (in_ != nullptr && in_->bad()) {
    return absl::DataLossError(absl::StrCat("error reading ", name_));
  }
  return absl::OkStatus();
}

}  // namespace netcorr::analyze
