#pragma once

// One line of strace output split into its parts, without interpreting the call's arguments.
// Every view points into the line given to ParseStraceLine; nothing is allocated.

#include <cstdint>
#include <string_view>

#include "src/model/time.h"

namespace netcorr::analyze {

enum class StraceLineKind : uint8_t {
  kUnknown,
  kCall,        // name(args) = result
  kUnfinished,  // name(args <unfinished ...>   (or <detached ...> when strace let go)
  kResumed,     // <... name resumed>args) = result
  kExited,      // +++ exited with N +++
  kKilled,      // +++ killed by SIGX [(core dumped)] +++
  kSuperseded,  // +++ superseded by execve in pid N +++ (a thread that ran execve)
  kSignal,      // --- SIGX {siginfo} ---   or   --- stopped by SIGSTOP ---
  kAttached,    // strace: Process N attached   (stderr form)
  kDetached,    // strace: Process N detached
};

enum class StraceTimeForm : uint8_t {
  kNone,
  kEpoch,      // -ttt: 1795839754.630098 (6 or 9 digits); also -r relative seconds
  kTimeOfDay,  // -tt: 04:23:20.372284 (-t: without the fraction)
};

struct StraceLine {
  StraceLineKind kind = StraceLineKind::kUnknown;

  bool has_pid = false;  // "1234 " (-f -o FILE) or "[pid 1234] " (-f to stderr)
  int32_t pid = 0;

  StraceTimeForm time_form = StraceTimeForm::kNone;
  TimeNs time_ns = 0;   // epoch ns, or ns since midnight for kTimeOfDay
  int time_digits = 0;  // digits after the decimal point

  std::string_view name;  // the call; for kSignal/kKilled the signal name ("SIGPIPE")
  // kCall: everything between the parentheses. kUnfinished: from '(' to the marker, trailing
  // blanks removed. kResumed: from "resumed>" to the closing parenthesis. kSignal: the siginfo
  // text inside the braces.
  std::string_view args;

  bool has_result = false;      // kCall/kResumed with a parsable "= ..." part
  bool result_unknown = false;  // "= ?": the call did not return (process exit, detach)
  int64_t result = 0;
  std::string_view result_decoration;  // "TCP:[...]" of "= 3<TCP:[...]>"
  int error = 0;                       // errno of "= -1 ECONNREFUSED (...)", "= ? ERESTARTSYS"
  std::string_view error_name;         // "ECONNREFUSED"
  std::string_view result_comment;     // "Timeout", "flags O_RDWR", "[{fd=5, revents=POLLOUT}]"

  bool has_duration = false;  // -T
  TimeNs duration_ns = 0;

  // kUnknown only: "name(args..." without its closing parenthesis. strace writing to a shared
  // stream (-f to stderr) breaks a call in two when another task prints in between; the rest
  // comes on the next line, which starts with a blank.
  bool truncated_call = false;

  int32_t status = 0;  // kExited: exit code; kAttached/kDetached/kSuperseded: the pid named
  bool core_dumped = false;
};

// Splits one line (without its newline). Never fails: a line that fits no form is kUnknown.
StraceLine ParseStraceLine(std::string_view line);

// Index of the parenthesis/bracket/brace that closes the one opened just before `start`, or
// npos. Skips double-quoted strings (with backslash escapes), fd decorations ("3<...>", nested
// '<' '>'), and /* comments */. Any closer at depth 0 ends the scan.
size_t FindClosing(std::string_view text, size_t start);

// Index just past the '>' that closes the fd decoration whose '<' is at text[open], or npos.
// Nested "<...>" count ("0</dev/null<char 1:3>>"); the arrow of "->" and anything inside
// "[...]" or a quoted path does not close it.
size_t SkipDecoration(std::string_view text, size_t open);

}  // namespace netcorr::analyze
