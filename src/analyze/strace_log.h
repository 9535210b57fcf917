#pragma once

// Reads the text strace writes (strace 5.x/6.x, `-o FILE`, `-ff -o PREFIX` or its stderr) and
// turns it into the same SyscallEvent/ProcessEvent values the live tracer produces, so that
// `netcorr analyze` runs the correlator and the report unchanged.
//
// Accepted: with or without -f ("PID " and "[pid N] " prefixes), -ff files (pid from the file
// suffix), -ttt (epoch, micro- or nanoseconds), -tt (time of day), no timestamps, -T durations,
// -yy / -y / no -y fd decorations, <unfinished ...> / <... resumed> pairs, +++ exited/killed +++,
// --- SIGNAL --- lines, -X abbrev/verbose/raw, truncated strings. Lines that are not recognised
// are counted and a few are kept; they never make parsing fail.

#include <cstdint>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "src/model/syscall_event.h"
#include "src/model/time.h"

namespace netcorr::analyze {

struct StraceParseOptions {
  // The pid of lines that carry none (strace without -f, or a -ff file whose name has no numeric
  // suffix). 0: learn it from the log when it can be (set_tid_address/getpid results), else 0.
  int32_t default_pid = 0;
  // How many unrecognised lines to keep verbatim in StraceParseResult::unknown_examples.
  size_t max_unknown_examples = 5;
  // Longest line examined; longer lines are counted as unknown (strace lines are short unless
  // -s is huge; the bound keeps a binary file without newlines from being read whole).
  size_t max_line_bytes = 1 << 20;
};

// A signal delivered to a traced thread ("--- SIGPIPE {si_signo=SIGPIPE, ...} ---").
struct StraceSignal {
  int32_t pid = 0;  // thread group id
  int32_t tid = 0;
  TimeNs time_ns = 0;
  int signo = 0;       // 0 when the name is not a known signal
  std::string name;    // "SIGPIPE"
  std::string detail;  // the siginfo text between the braces
};

// What the reader learnt of the log as a whole (known for certain only at its end).
struct StraceLogFacts {
  uint64_t lines = 0;                         // non-empty lines read
  uint64_t unknown_lines = 0;                 // lines that were none of the forms above
  std::vector<std::string> unknown_examples;  // the first few of them (truncated to 200 bytes)

  // -tt logs: times are nanoseconds since midnight of the log's first day (they keep growing past
  // 24 h when the log crosses midnight); the caller adds the date of the capture.
  bool time_of_day_only = false;
  // No timestamps at all: every time is 0 and durations come from -T alone.
  bool has_timestamps = false;
  // -T seen: exit times are entry + duration.
  bool has_durations = false;
  // -yy seen (some fd showed "TCP:[", "UDPv6:[", "UNIX-STREAM:["...). Without it 5-tuples are
  // inferred: the caller matches connect/sendto addresses to the capture's flows.
  bool has_socket_decoding = false;
  // Digits after the decimal point of the timestamps (6 for -ttt/-tt, 9 with precision:ns).
  int timestamp_precision_digits = 0;
  // Time of the first and last line, for checking the overlap with the capture.
  TimeNs first_time_ns = 0;
  TimeNs last_time_ns = 0;
};

// A whole log in memory (tests, the fuzzer, small logs); `netcorr analyze` streams instead
// (StraceStream, strace_stream.h), and these functions are built on that stream.
struct StraceParseResult : StraceLogFacts {
  // The calls the live tracer records, in entry order, ids 1, 2, 3...: socket calls, and
  // read/write/close/poll/select/epoll_wait only when they act on (or wait for) a socket.
  // Bookkeeping calls (fcntl, ioctl FIONBIO, dup, epoll_ctl, clone, execve, getsockname...)
  // shape the socket table but are not listed. A call still unfinished at the end of the log
  // (strace detached or killed) has finished = false and exit_ns = the last time in the log.
  // resolves_call holds the id of the connect a getsockopt(SO_ERROR) (or a later connect,
  // read, write...) resolved; socket ends that strace showed only on a later call (-yy
  // decorates at entry) are copied back to the calls made since the socket got its address
  // (within the bound strace_assembler.h documents).
  std::vector<SyscallEvent> calls;
  // Starts (fork/clone of a new process, with parent_pid), exec, exits and deaths by signal,
  // in time order.
  std::vector<ProcessEvent> processes;
  std::vector<StraceSignal> signals;
};

// Parses one strace log. Fails only when the input cannot be read, or is clearly not an strace
// log (binary data, or not one recognisable line in a non-empty input); the message is one line.
absl::StatusOr<StraceParseResult> ParseStraceLog(std::istream& in,
                                                 const StraceParseOptions& options);
// The same over text in memory (tests, fuzzing).
absl::StatusOr<StraceParseResult> ParseStraceText(std::string_view text,
                                                  const StraceParseOptions& options);
// Opens and parses one file; the error names the path.
absl::StatusOr<StraceParseResult> ParseStraceFile(const std::string& path,
                                                  const StraceParseOptions& options);

// `strace -ff -o PREFIX` output: one file per thread, PREFIX.<tid>. The tid of each line comes
// from its file's numeric suffix (or options.default_pid when a path has none); lines of all
// files are merged in timestamp order before pairing, so clone/socket state is shared as in a
// single -f log. One path behaves like ParseStraceFile.
absl::StatusOr<StraceParseResult> ParseStraceFiles(const std::vector<std::string>& paths,
                                                   const StraceParseOptions& options);

// The files of a `-ff -o PREFIX` run: PREFIX.<digits> in PREFIX's directory, sorted by tid.
// Empty when there is none (the caller then treats PREFIX as a single log).
absl::StatusOr<std::vector<std::string>> FindStraceFfFiles(const std::string& prefix);

}  // namespace netcorr::analyze
