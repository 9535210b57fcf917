#include "src/cli/report_output.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
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

namespace {

// The --html page holds what the packets said (addresses, DNS names, SNI), so it is private
// like the -w file (0600), and never written through a symbolic link or to anything but a
// regular file.
absl::Status WriteHtmlFile(const report::ReportInput& input, const Options& options) {
  const std::string& path = options.html_path;
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return absl::ErrnoToStatus(errno, absl::StrCat("cannot write the page to ", path));
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || fchmod(fd, 0600) != 0) {
    close(fd);
    return absl::FailedPreconditionError(
        absl::StrCat("refusing to write the page to ", path, ": not a regular file"));
  }
  FILE* f = fdopen(fd, "w");
  if (f == nullptr) {
    close(fd);
    return absl::ErrnoToStatus(errno, absl::StrCat("cannot write the page to ", path));
  }
  report::HtmlOptions html;
  html.all = options.all;
  // The file whose frame numbers the packet ids are: offline, the capture that was read.
  html.capture_file = options.mode == Mode::kAnalyze ? options.analyze_pcap_path : options.pcap_path;
  absl::Status written = report::WriteHtml(input, html, f);
  if (fclose(f) != 0 && written.ok()) {
    written = absl::ErrnoToStatus(errno, absl::StrCat("writing the page to ", path));
  }
  return written;
}

}  // namespace

absl::Status ReportOutput::WritePage(const report::ReportInput& input, const Options& options) {
  return options.html_path.empty() ? absl::OkStatus() : WriteHtmlFile(input, options);
}

absl::Status ReportOutput::WriteReport(const report::ReportInput& input, const Options& options) {
  const absl::Status html = WritePage(input, options);
  absl::Status written;
  if (options.json) {
    written = report::WriteJson(input, file_);
  } else {
    report::TextOptions text;
    text.width = width_;
    text.color = options.color && is_terminal_ && std::getenv("NO_COLOR") == nullptr;
    text.all = options.all;
    written = report::WriteText(input, text, file_);
  }
  return written.ok() ? html : written;
}

void ReportOutput::Restart() {
  if (!owned_) return;
  fflush(file_);
  // A failure leaves the earlier report in place, followed by the new one: nothing is lost.
  if (ftruncate(fileno(file_), 0) == 0) rewind(file_);
}

std::unique_ptr<report::TimelineSpill> OpenTimelineSpill(
    const Options& options, const std::function<void(const std::string&)>& warn) {
  if (!options.all || options.json || options.json_lines) return nullptr;
  const char* tmpdir = std::getenv("TMPDIR");
  const std::string dir = tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp";
  auto spill = report::TimelineSpill::Create(dir);
  if (!spill.ok()) {
    warn(absl::StrCat(spill.status().message(),
                      ": --all shows only the events kept in memory"));
    return nullptr;
  }
  return *std::move(spill);
}

void ReportOutput::Write(const std::string& text) {
  fwrite(text.data(), 1, text.size(), file_);
  fflush(file_);
}

}  // namespace netcorr::cli
