#include "src/cli/terminal_status.h"

#include <atomic>

#include "absl/strings/str_format.h"

namespace netcorr::cli {

void TerminalStatus::EraseLocked() {
  if (!drawn_) return;
  std::fputs("\r\033[K", stderr);
  drawn_ = false;
}

void TerminalStatus::DrawLocked() {
  if (!enabled_ || status_.empty()) return;
  std::fputs(status_.c_str(), stderr);
  drawn_ = true;
}

void TerminalStatus::Print(const std::string& line) {
  std::lock_guard<std::mutex> lock(mu_);
  EraseLocked();
  std::fprintf(stderr, "%s\n", line.c_str());
  DrawLocked();
  std::fflush(stderr);
}

void TerminalStatus::Show(const std::string& status) {
  if (!enabled_) return;
  std::lock_guard<std::mutex> lock(mu_);
  EraseLocked();
  status_ = status;
  DrawLocked();
  std::fflush(stderr);
}

void TerminalStatus::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  EraseLocked();
  status_.clear();
  std::fflush(stderr);
}

namespace {
std::atomic<TerminalStatus*> g_terminal{nullptr};
}  // namespace

void SetWarningTerminal(TerminalStatus* terminal) { g_terminal.store(terminal); }

void Warn(const std::string& line) {
  const std::string text = "netcorr: " + line;
  if (TerminalStatus* t = g_terminal.load()) {
    t->Print(text);
  } else {
    std::fprintf(stderr, "%s\n", text.c_str());
  }
}

std::string FormatElapsed(double seconds) {
  const long s = static_cast<long>(seconds);
  if (s < 60) return absl::StrFormat("%lds", s);
  if (s < 3600) return absl::StrFormat("%ldm%02lds", s / 60, s % 60);
  return absl::StrFormat("%ldh%02ldm", s / 3600, (s % 3600) / 60);
}

}  // namespace netcorr::cli
