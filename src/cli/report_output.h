#pragma once

#include <cstdio>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "src/cli/options.h"
#include "src/report/report.h"
#include "src/report/timeline_spill.h"

namespace netcorr::cli {

// Where the report goes: the -o file, or standard error like strace (standard output belongs
// to the traced program). Knows whether that is a terminal, and how wide.
class ReportOutput {
 public:
  static absl::StatusOr<std::unique_ptr<ReportOutput>> Open(const std::string& path);
  ~ReportOutput();
  ReportOutput(const ReportOutput&) = delete;
  ReportOutput& operator=(const ReportOutput&) = delete;

  void Write(const std::string& text);
  // The end-of-session report, text or JSON as the options say, streamed in chunks. Colour only
  // on a terminal, without --no-color and without NO_COLOR in the environment. With --html,
  // also the page, to its own file (0600, never through a symbolic link).
  absl::Status WriteReport(const report::ReportInput& input, const Options& options);
  // -o FILE: empties the file, so that the next report replaces the one written before (the
  // report so far on SIGUSR1, then the final one). Standard error is left alone.
  void Restart();
  bool is_file() const { return owned_; }
  // The --html page alone (WriteReport writes it too): for --json-lines, whose report is a line.
  absl::Status WritePage(const report::ReportInput& input, const Options& options);
  bool is_terminal() const { return is_terminal_; }
  // The terminal's width; COLUMNS or 120 when it is not a terminal.
  int width() const { return width_; }

 private:
  ReportOutput(FILE* file, bool owned);
  FILE* file_;
  bool owned_;
  bool is_terminal_ = false;
  int width_ = 120;
};

// --all with a text report: the file the whole timeline is streamed through (in $TMPDIR, else
// /tmp), so that a long session's report shows every call and packet though memory keeps only
// what is alive. Null without --all, for --json and --json-lines (their documents hold what was
// kept, docs/json.md), or when the file cannot be created (said on stderr by `warn`: the
// timeline then shows the kept events and its TOTALS say so).
std::unique_ptr<report::TimelineSpill> OpenTimelineSpill(
    const Options& options, const std::function<void(const std::string&)>& warn);

}  // namespace netcorr::cli
