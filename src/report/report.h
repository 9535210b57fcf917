#pragma once

// The report renderers: what a user reads at the end of a session (text), what a program reads
// (JSON, docs/json.md), the live one-liners printed while tracing, and the comments attached to
// evidence packets in the pcapng file. They only format model values: no I/O, no clocks.

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "src/model/finding.h"
#include "src/model/packet.h"
#include "src/model/syscall_event.h"
#include "src/model/time.h"

namespace netcorr::report {

// The version of the JSON schema (docs/json.md). Additive changes keep it; removing or renaming
// a field, or changing its type or unit, bumps it.
inline constexpr int kJsonSchemaVersion = 1;

// Where the traced program lives, read from /proc when tracing starts: what tells a container's
// process from a host one. JSON: session.namespace (docs/json.md).
struct TargetNamespace {
  uint64_t netns_inode = 0;       // /proc/PID/ns/net's inode: the N of `net:[N]`
  std::string netns_name;         // its name under /run/netns (ip netns identify), "" if none
  bool own_netns = true;          // netcorr's own network namespace
  uint64_t pidns_inode = 0;       // /proc/PID/ns/pid's inode
  int32_t ns_pid = 0;             // the pid inside its own PID namespace (NSpid); 0: unknown
  bool own_pidns = true;          // netcorr's own PID namespace
  std::string cgroup;             // its cgroup path (/proc/PID/cgroup), "" if unknown
  bool own_cgroup = true;         // the same cgroup as netcorr
  std::string container_id;       // when the cgroup is a container runtime's, else ""
  std::string container_runtime;  // "docker", "podman", "containerd", "cri-o", "lxc"..., or ""
};

// A peer capture `analyze --peer-pcap` read, and its clock's alignment to ours
// (correlate/peer_alignment.h). JSON: session.peer_captures (docs/json.md).
struct PeerCaptureInfo {
  std::string file;
  bool aligned = false;
  TimeNs offset_ns = 0;  // peer clock minus ours
  TimeNs bound_ns = 0;   // the true offset is within offset_ns +- bound_ns
  uint64_t matched = 0;  // packets found in both captures and used
  uint64_t packets = 0;  // packets the peer capture holds
  bool both_directions = false;
  TimeNs covered_first_ns = 0;  // its first and last packet, on our clock
  TimeNs covered_last_ns = 0;
  std::string note;  // how the offset was estimated, or why there is none
};

// What was traced and how; everything the report says about the session itself.
struct SessionInfo {
  std::string netcorr_version;       // "0.1.0"
  std::string mode;                  // "launch", "attach" or "analyze"
  std::vector<std::string> command;  // launch: the program and its arguments
  std::vector<int32_t> pids;         // attach: the -p PIDs; launch: the started pid if known
  TimeNs start_ns = 0;               // when tracing started (0: unknown, the first event is used)
  TimeNs end_ns = 0;                 // when tracing stopped (0: unknown, the last event is used)
  std::string stop_reason;           // "program exited", "interrupted", "--duration elapsed"...
  std::vector<std::string> interfaces;  // captured interfaces; empty means "any"
  int snaplen = 0;                      // 0: unknown / the capture's default
  std::string capture_file;             // the -w pcapng path, "" when not written
  // Of the launched program or the first -p PID (the capture runs in its network namespace);
  // unset for analyze, or when /proc could not be read.
  std::optional<TargetNamespace> target_namespace;
  std::vector<PeerCaptureInfo> peer_captures;  // analyze --peer-pcap, in the order given
};

// Everything a report is made of. The spans must outlive the call that renders them (point them
// at the session's vectors). Findings come ranked, most important first: finding number n
// (the "[n]" of the text report, the "id" in JSON) is its 1-based position in this span.
struct ReportInput {
  SessionInfo session;
  CaptureStats capture;
  absl::Span<const SyscallEvent> calls;      // every traced call, any order
  absl::Span<const Packet> packets;          // every decoded packet, Packet::id = frame number
  absl::Span<const Finding> findings;        // ranked
  absl::Span<const ProcessEvent> processes;  // starts, execs, exits, signals, detaches
};

struct TextOptions {
  int width = 80;      // the terminal width; values below 80 are treated as 80
  bool color = false;  // ANSI colours (the caller decides: a TTY and no --no-color)
  bool all = false;    // --all: the whole timeline, not only the events around findings
};

// The line printed on stderr as soon as a finding is certain, without a trailing newline:
//   netcorr: [4242] connect(3, 10.71.2.2:81) = ECONNREFUSED after 0.3 ms -- refused_by_rst:
//   10.71.2.2 answered our SYN with RST (frames 1,2)
// (one line; control characters in strings are escaped so it cannot spill over the terminal).
std::string RenderLiveLine(const Finding& finding);

// The end-of-session text report: a header (what was traced, for how long, the capture's
// status and losses), the summary (one numbered sentence per finding, with its hint), the
// side-by-side timeline (syscalls left, packets right, one clock, failed calls marked "!!",
// evidence packets tagged "<-[n]"), and the processes' exit status. Every line, without its
// ANSI colour codes, is at most max(80, options.width) columns; the text is ASCII except ANSI
// escapes when options.color is set. Ends with a newline.
std::string RenderText(const ReportInput& input, const TextOptions& options);

// RenderText streamed to `out` in chunks (for -o FILE and stdout): memory stays bounded by the
// input, not by the size of the report. The error names the failed write.
absl::Status WriteText(const ReportInput& input, const TextOptions& options, std::FILE* out);

// The whole session as one JSON document (docs/json.md, "version": kJsonSchemaVersion), ending
// with a newline. All times are integer nanoseconds on CLOCK_REALTIME.
std::string RenderJson(const ReportInput& input);

// RenderJson streamed to `out` in chunks, as WriteText.
absl::Status WriteJson(const ReportInput& input, std::FILE* out);

// The same document without correlation: "version", "netcorr", "session", "capture", "calls",
// "processes" (no "findings", no "packets"): for `--no-capture --json` and for sessions whose
// correlation is not available. The call objects are exactly those of RenderJson.
std::string RenderEventsJson(const SessionInfo& session, const CaptureStats& capture,
                             absl::Span<const SyscallEvent> calls,
                             absl::Span<const ProcessEvent> processes);

// One call as a single-line JSON object (the "calls" element of RenderJson), without a trailing
// newline: for streaming JSON Lines while the session runs.
std::string RenderCallJsonLine(const SyscallEvent& call);

// The pcapng packet comment of an evidence packet, naming the call it explains:
//   netcorr [1] refused_by_rst: explains connect() = ECONNREFUSED by pid 4242 at
//   12:00:00.123456789
// finding_number is the finding's 1-based rank (the "[n]" of the text report).
std::string EvidenceComment(const Finding& finding, int finding_number);

}  // namespace netcorr::report
