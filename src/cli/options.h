#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace netcorr::cli {

enum class Mode { kLaunch, kAttach, kAnalyze, kHelp, kVersion };

// The command line, with strace's and tcpdump's conventions (-p, -f, -o, -w, -i, -s, -u, --).
struct Options {
  Mode mode = Mode::kHelp;
  std::vector<std::string> command;     // launch: the program and its arguments
  std::vector<int> pids;                // attach: -p PID, repeatable
  bool follow_forks = true;             // -f is the default; --no-follow turns it off
  bool capture = true;                  // --no-capture
  bool trace_read_write = true;         // --no-rw: no stops at read/write (file-heavy programs)
  bool json = false;                    // --json
  bool json_lines = false;              // --json-lines: one finding per line as decided
  bool status_line = true;              // --no-status: no progress line on a terminal
  bool all = false;                     // --all: the whole timeline, not only around findings
  bool color = true;                    // --no-color (colour is used only on a TTY anyway)
  std::string output_path;              // -o FILE: the report
  std::string pcap_path;                // -w FILE: the packets, pcapng
  uint64_t file_size_mb = 0;            // -C MB: start a new -w file past MB million bytes
  int file_count = 0;                   // -W N: keep N files, reusing them in turn (needs -C)
  std::string html_path;                // --html FILE: the page (besides the report)
  std::vector<std::string> interfaces;  // -i IFACE, repeatable; empty = "any"
  int snaplen = 0;                      // -s SNAPLEN; 0 = the default
  std::string user;                     // -u USER
  double duration_s = 0;                // --duration SECONDS; 0 = until the program ends
  // --netns NAME|PATH: launch the command in that network namespace and capture there. Stored
  // as a path: a NAME (no '/') is /run/netns/NAME, as `ip netns exec NAME` has it.
  std::string netns_path;
  // analyze
  std::vector<std::string> strace_paths;  // --strace FILE, repeatable
  std::string analyze_pcap_path;          // --pcap FILE
  // --record FILE: a live session's --json document, read instead of an strace log
  std::string record_path;
  // --peer-pcap FILE, repeatable: captures from other hosts on the path (the server, a router)
  std::vector<std::string> peer_pcap_paths;
};

// Parses argv (argv[0] is the program name). Errors name the offending argument.
absl::StatusOr<Options> ParseOptions(const std::vector<std::string>& argv);

// The -h text.
std::string UsageText();

// /run/netns/NAME for a name, the path itself for anything with a '/' in it.
absl::StatusOr<std::string> NetnsPathFromArgument(const std::string& name_or_path);

}  // namespace netcorr::cli
