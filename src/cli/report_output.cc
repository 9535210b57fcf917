#include "src/cli/report_output.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace netcorr::cli {

absl::StatusOr<std::unique_ptr<ReportOutput>> ReportOutput::Open(const std::string& path) {
  if (path.empty()) return std::unique_ptr<ReportOutput>(new ReportOutput(stderr, false));
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return absl::ErrnoToStatus(errno, absl::StrCat("cannot write the report to ", path));
  FILE* f = fdopen(fd, "w");
  if (f == nullptr) {
    close(fd);
    return absl::ErrnoToStatus(errno, absl::StrCat("cannot write the report to ", path));
  }
  return std::unique_ptr<ReportOutput>(new ReportOutput(f, true));
}

ReportOutput::ReportOutput(FILE* file, bool owned) : file_(file), owned_(owned) {
  is_terminal_ = isatty(fileno(file_)) == 1;
  winsize ws{};
  if (is_terminal_ && ioctl(fileno(file_), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
    width_ = ws.ws_col;
  } else if (const char* columns = std::getenv("COLUMNS"); columns != nullptr) {
    int w = 0;
    if (absl::SimpleAtoi(columns, &w) && w > 0) width_ = w;
  }
}

ReportOutput::~ReportOutput() {
  if (owned_) {
    fclose(file_);
  } else {
    fflush(file_);
  }
}

absl::Status ReportOutput::WriteReport(const report::ReportInput& input, const Options& options) {
  if (options.json) return report::WriteJson(input, file_);
  report::TextOptions text;
  text.width = width_;
  text.color = options.color && is_terminal_ && std::getenv("NO_COLOR") == nullptr;
  text.all = options.all;
  return report::WriteText(input, text, file_);
}

void ReportOutput::Restart() {
  if (!owned_) return;
  fflush(file_);
  // A failure leaves the earlier report in place, followed by the new one: nothing is lost.
  if (ftruncate(fileno(file_), 0) == 0) rewind(file_);
}

void ReportOutput::Write(const std::string& text) {
  fwrite(text.data(), 1, text.size(), file_);
  fflush(file_);
}

}  // namespace netcorr::cli
