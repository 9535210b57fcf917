#pragma once

// The report renderers: what a user reads at the end of a session (text), what a program reads
// (JSON, docs/json.md), a page for a browser (HTML), the live one-liners printed while tracing,
// and the comments attached to evidence packets in the pcapng file. They only format model
// values: no I/O, no clocks.

#include <cstdint>
#include <cstdio>
#include <map>
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

struct SpilledTimeline;  // timeline_spill.h

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
  // The -w files on disk at the end, oldest first, with the session frame numbers each holds
  // (one file without -C; with -C/-W the newest ones). Frame n of the session is packet
  // n - first_frame + 1 of its file.
  struct CaptureFileSpan {
    std::string path;
    uint64_t first_frame = 0;  // 0: the file holds no packet
    uint64_t last_frame = 0;
  };
  std::vector<CaptureFileSpan> capture_files;
  // Evidence comments decided after their packet had been written (see CaptureFiles).
  uint64_t late_comments = 0;
  // Of the launched program or the first -p PID (the capture runs in its network namespace);
  // unset for analyze, or when /proc could not be read.
  std::optional<TargetNamespace> target_namespace;
  std::vector<PeerCaptureInfo> peer_captures;  // analyze --peer-pcap, in the order given
};

// The traffic of one service the program talked to or served: every flow whose server side is
// `service` (the destination of the SYN; for UDP, the side a connected socket names as remote or
// local, else the lower port), summed over the whole session, also over what was let go.
struct ServiceTotals {
  Transport transport = Transport::kUnknown;
  Endpoint service;
  bool served_by_program = false;  // the traced program's own socket is the server side
  uint64_t flows = 0;
  uint64_t packets = 0;
  uint64_t payload_bytes = 0;  // L4 payload on the wire, both directions
  uint64_t calls = 0;          // calls on sockets of these flows
  uint64_t failed_calls = 0;
};

// Counts over the whole session when the report shows only part of it (SessionRecord): the
// spans then hold the findings' context and the recent events, these say what was seen.
struct SessionTotals {
  uint64_t calls_seen = 0;
  uint64_t calls_failed = 0;
  uint64_t packets_seen = 0;
  uint64_t process_events_seen = 0;
  uint64_t calls_kept = 0;    // = ReportInput::calls.size()
  uint64_t packets_kept = 0;  // = ReportInput::packets.size()
  // Most packets first; at most RecordLimits::max_services rows, the rest summed in `others`.
  std::vector<ServiceTotals> by_service;
  ServiceTotals others;  // transport kUnknown; flows == 0 when there are none
  std::map<std::string, uint64_t> calls_by_name;
  // Informational findings counted but not kept, by kind (RecordLimits::info_findings_per_kind).
  std::map<std::string, uint64_t> findings_let_go;
  bool let_go() const {
    return calls_kept < calls_seen || packets_kept < packets_seen || !findings_let_go.empty();
  }
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
  // Set by sessions that let events go (SessionRecord); null: the spans hold everything seen.
  const SessionTotals* totals = nullptr;
  // --all: every call and packet of the session, on disk (TimelineSpill::Seal), for the text
  // report's timeline; the spans above still hold only what was kept. Null: the timeline is
  // built from the spans.
  const SpilledTimeline* spill = nullptr;
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

// JSON Lines (--json-lines, docs/json.md "Streaming"): one finding, as decided, on one line
// without a trailing newline. `seq` numbers findings in the order they were decided.
std::string RenderFindingJsonLine(const Finding& finding, int seq);

// The last line of --json-lines (also written on SIGUSR1, with final = false): the session, the
// capture, the totals, and for each finding (ranked, as in the document) its seq and what it
// folded since its line was written. seqs[n] is the seq of input.findings[n].
std::string RenderSummaryJsonLine(const ReportInput& input, absl::Span<const int> seqs,
                                  bool final);

// One call as a single-line JSON object (the "calls" element of RenderJson), without a trailing
// newline: for streaming JSON Lines while the session runs.
std::string RenderCallJsonLine(const SyscallEvent& call);

struct HtmlOptions {
  bool all = false;  // --all: every call and packet, and a diagram per flow
  // The file whose frame numbers the packet ids are (live: the -w file; analyze: the --pcap
  // file read), named on the page; "" when none was written.
  std::string capture_file;
};

// The --html page: one self-contained HTML file (style and script inline, nothing fetched, a
// Content-Security-Policy that forbids fetching) that opens from file://. It embeds the --json
// document of what it shows (all events with options.all, else the context around findings the
// text report's timeline keeps; the rest is counted) as a <script type="application/json">
// block in which every '<' is escaped, and draws the findings, most important first, each with
// its story and a sequence diagram of the exchange behind it (docs/report.md, "The HTML
// report"). Without scripts it still lists the findings as text.
std::string RenderHtml(const ReportInput& input, const HtmlOptions& options);

// RenderHtml streamed to `out` in chunks, as WriteText.
absl::Status WriteHtml(const ReportInput& input, const HtmlOptions& options, std::FILE* out);

// The pcapng packet comment of an evidence packet, naming the call it explains:
//   netcorr refused_by_rst: explains connect() = ECONNREFUSED by pid 4242 at 12:00:00.123456789
// Written as the packet goes to the file, before the report ranks the findings: the call's pid
// and time identify the finding, not its number in the report.
std::string EvidenceComment(const Finding& finding);

}  // namespace netcorr::report
