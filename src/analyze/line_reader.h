#pragma once

// Lines of a text stream or of text in memory, read in large blocks (a 100 MB log must not cost
// one allocation per line). A line's view stays valid until the next call to Next().

#include <cstddef>
#include <istream>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace netcorr::analyze {

class LineReader {
 public:
  // Lines longer than this are returned cut, flagged overlong, and the rest is skipped.
  static constexpr size_t kMaxLine = 4 << 20;

  LineReader(std::istream& in, std::string name);
  explicit LineReader(std::string_view text);

  LineReader(LineReader&&) = default;
  LineReader& operator=(LineReader&&) = default;

  // The next line without its '\n' (the last line may lack one). False at the end.
  bool Next(std::string_view& line, bool& overlong);
  // Up to n bytes from the current position, without consuming them.
  std::string_view Peek(size_t n);
  // Not ok when the stream failed for another reason than its end.
  absl::Status status() const;

 private:
  // Appends up to one block from the stream; false when nothing more can come.
  bool Fill();

  std::istream* in_ = nullptr;
  std::string name_;
  std::string buffer_;
  std::string_view text_;  // the data: buffer_[0, end) or the caller's text
  size_t pos_ = 0;
  bool eof_ = false;
  bool skipping_ = false;  // discarding the rest of an overlong line
};

}  // namespace netcorr::analyze
