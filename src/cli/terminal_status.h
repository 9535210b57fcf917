#pragma once

#include <cstdio>
#include <mutex>
#include <string>

namespace netcorr::cli {

// netcorr's own lines on standard error, and the one status line kept under them on a terminal
// (elapsed, calls, packets, drops, findings): each line first clears the status line, which is
// drawn again after it. Disabled, it only prints lines: never a carriage return or an escape
// sequence into a file or a pipe. Thread-safe.
class TerminalStatus {
 public:
  explicit TerminalStatus(bool enabled) : enabled_(enabled) {}
  ~TerminalStatus() { Clear(); }
  TerminalStatus(const TerminalStatus&) = delete;
  TerminalStatus& operator=(const TerminalStatus&) = delete;

  // One full line (without its newline) above the status line.
  void Print(const std::string& line);
  // Replaces the status line.
  void Show(const std::string& status);
  // Removes the status line for good (the end of the session).
  void Clear();
  bool enabled() const { return enabled_; }

 private:
  void EraseLocked();
  void DrawLocked();

  std::mutex mu_;
  const bool enabled_;
  std::string status_;
  bool drawn_ = false;
};

// netcorr's own warning lines ("netcorr: ..."), through the session's terminal status when one
// is set, else straight to stderr.
void SetWarningTerminal(TerminalStatus* terminal);
void Warn(const std::string& line);

// "12s", "4m05s", "2h03m": the elapsed time of the status line.
std::string FormatElapsed(double seconds);

}  // namespace netcorr::cli
