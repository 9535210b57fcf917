#pragma once

// The text report's page: lines wrapped to the width before colour is added, handed to the
// Output row by row. Shared by the report's sections (text_report.cc, timeline_text.cc).

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "src/model/time.h"
#include "src/report/call_format.h"
#include "src/report/output.h"
#include "src/report/terminal_text.h"
#include "src/report/timeline_cells.h"

namespace netcorr::report {

// Accumulates the report's lines; every line is wrapped to the width before colour is added,
// so colour never counts towards (or breaks) the layout.
class Page {
 public:
  Page(size_t width, bool color, Output& output) : width_(width), color_(color), output_(output) {}

  // A paragraph: escaped, wrapped with a hanging indent, optionally coloured.
  void Paragraph(const std::string& text, size_t indent = 4, const char* style = nullptr) {
    for (const std::string& line : WrapText(EscapeForTerminal(text), width_, indent)) {
      Line(line, style);
    }
  }
  void Line(const std::string& text, const char* style = nullptr) {
    if (color_ && style != nullptr && !text.empty()) {
      absl::StrAppend(&out_, style, text, kReset, "\n");
    } else {
      absl::StrAppend(&out_, text, "\n");
    }
  }
  void Blank() { out_.push_back('\n'); }
  std::string Styled(const std::string& text, const char* style) const {
    if (!color_ || style == nullptr || text.empty()) return text;
    return absl::StrCat(style, text, kReset);
  }
  size_t width() const { return width_; }
  // Hands the lines written so far to the output (in chunks when it is a file).
  void Drain() { output_.Drain(&out_); }
  absl::Status Finish() { return output_.Finish(&out_); }

 private:
  size_t width_;
  bool color_;
  Output& output_;
  std::string out_;
};

// "+1.234567": seconds from the timeline's zero, microsecond precision (strace -r style).
inline std::string Relative(TimeNs t, TimeNs zero) {
  const TimeNs d = t - zero;
  return absl::StrCat(d < 0 ? "-" : "+", FormatDurationSeconds(d < 0 ? -d : d));
}

inline std::string Plural(uint64_t n, const char* one, const char* many) {
  return absl::StrCat(n, " ", n == 1 ? one : many);
}

}  // namespace netcorr::report
