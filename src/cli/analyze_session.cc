#include "src/cli/analyze_session.h"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "capture/pcap_file.h"
#include "correlate/correlator.h"
#include "correlate/local_addresses.h"
#include "correlate/peer_alignment.h"
#include "correlate/peer_path.h"
#include "src/analyze/json_record.h"
#include "src/analyze/strace_log.h"
#include "src/cli/live_session.h"
#include "src/cli/offline_alignment.h"
#include "src/cli/packet_log.h"
#include "src/cli/report_output.h"
#include "src/report/report.h"

namespace netcorr::cli {

namespace {

constexpr TimeNs kNsPerSec = 1'000'000'000;
// Offsets smaller than this are the two tools' own timestamping jitter, not another clock.
constexpr TimeNs kClockDisagreement = 500'000'000;

void Note(const std::string& line) { std::fprintf(stderr, "netcorr: %s\n", line.c_str()); }

absl::StatusOr<analyze::StraceParseResult> ReadLogs(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const std::string& p : paths) {
    // `-ff -o PREFIX` leaves PREFIX.<tid> files and no PREFIX: take them all.
    if (access(p.c_str(), F_OK) != 0) {
      auto ff = analyze::FindStraceFfFiles(p);
      if (ff.ok() && !ff->empty()) {
        files.insert(files.end(), ff->begin(), ff->end());
        continue;
      }
    }
    files.push_back(p);
  }
  return analyze::ParseStraceFiles(files, analyze::StraceParseOptions{});
}

// A live session's --json document read as the log (analyze --record): its calls carry what
// strace -yy -ttt -T would. `pcap_path`: the capture to read, by default the session's -w file.
absl::StatusOr<analyze::StraceParseResult> ReadRecord(const std::string& path,
                                                      std::string& pcap_path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot be read"));
  std::ostringstream text;
  text << in.rdbuf();
  absl::StatusOr<analyze::JsonRecord> record = analyze::ParseJsonRecord(text.str());
  if (!record.ok())
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", record.status().message()));
  if (pcap_path.empty() && !record->capture_file.empty()) {
    pcap_path = record->capture_file;
    Note(absl::StrCat("reading the session's own capture ", pcap_path, " (its -w file)"));
  }
  analyze::StraceParseResult log;
  log.calls = std::move(record->calls);
  log.processes = std::move(record->processes);
  log.has_timestamps = log.has_durations = log.has_socket_decoding = true;
  return log;
}

// -tt logs carry the time of day in local time: date them with the capture's day.
TimeNs LocalMidnightOf(TimeNs t) {
  const time_t secs = static_cast<time_t>(t / kNsPerSec);
  tm local{};
  localtime_r(&secs, &local);
  const int64_t since_midnight = local.tm_hour * 3600 + local.tm_min * 60 + local.tm_sec;
  return (static_cast<int64_t>(secs) - since_midnight) * kNsPerSec;
}

// Moves the log onto the capture's clock: calls and process events alike.
void ShiftLog(std::vector<SyscallEvent>& calls, std::vector<ProcessEvent>& processes, TimeNs by) {
  for (SyscallEvent& c : calls) {
    c.entry_ns += by;
    c.exit_ns += by;
  }
  for (ProcessEvent& p : processes) p.time_ns += by;
}

// Reads every record of a pcap or pcapng file into `log`; returns the file's snap length. A
// record cut in the middle ends the reading with a note (the packets before it are kept).
absl::StatusOr<uint32_t> ReadCaptureFile(const std::string& path, PacketLog& log) {
  auto reader = capture::PcapFileReader::Open(path);
  if (!reader.ok()) return reader.status();
  while (true) {
    auto next = (*reader)->Next();
    if (!next.ok()) {
      Note(absl::StrCat(next.status().message(), " (using the packets before it)"));
      break;
    }
    if (!next->has_value()) break;
    log.Add(std::move(**next));
  }
  if (log.size() > 0 && log.packets().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": link type ", (*reader)->link_type(), " is not one netcorr decodes"));
  }
  return (*reader)->snaplen();
}

// analyze --peer-pcap: each peer capture aligned to ours, and every finding's path verdict.
// Returns what the session records of each capture, or the error of one that cannot be read.
absl::StatusOr<std::vector<report::PeerCaptureInfo>> JudgeWithPeers(
    const std::vector<std::string>& paths, absl::Span<const Packet> ours,
    absl::Span<const SyscallEvent> calls, std::vector<Finding>& findings) {
  std::vector<report::PeerCaptureInfo> infos;
  if (paths.empty()) return infos;
  correlate::LocalAddresses local;  // which of our packets went out, which came in
  for (const SyscallEvent& c : calls) {
    if (c.socket.has_value() && c.socket->local.has_value()) local.Add(c.socket->local->addr);
  }
  for (const Finding& f : findings) {
    if (f.flow.has_value()) local.Add(f.flow->local.addr);
  }
  std::vector<correlate::PeerCapture> peers;
  for (const std::string& path : paths) {
    PacketLog log(/*keep_raw=*/false);
    if (absl::StatusOr<uint32_t> read = ReadCaptureFile(path, log); !read.ok()) {
      return read.status();
    }
    correlate::PeerCapture peer{path, {log.packets().begin(), log.packets().end()}, {}};
    peer.alignment = correlate::AlignPeerClock(ours, peer.packets, local);
    const correlate::PeerAlignment& a = peer.alignment;
    if (a.aligned) {
      Note(
          absl::StrFormat("peer capture %s: its clock is %+.6f s from ours (+- %.6f s, %d "
                          "packets matched)",
                          path, static_cast<double>(a.offset_ns) / kNsPerSec,
                          static_cast<double>(a.bound_ns) / kNsPerSec, a.matched));
    } else {
      Note(absl::StrCat("peer capture ", path, ": ", a.note));
    }
    infos.push_back({path, a.aligned, a.offset_ns, a.bound_ns, a.matched, peer.packets.size(),
                     a.both_directions, a.covered_first_ns, a.covered_last_ns, a.note});
    peers.push_back(std::move(peer));
  }
  correlate::JudgePaths(findings, ours, peers);
  return infos;
}

}  // namespace

int RunAnalyzeSession(const Options& options) {
  std::string pcap_path = options.analyze_pcap_path;
  auto log = options.record_path.empty() ? ReadLogs(options.strace_paths)
                                         : ReadRecord(options.record_path, pcap_path);
  if (!log.ok()) {
    Note(std::string(log.status().message()));
    return 1;
  }
  // Without --pcap the log is read alone: every failing call is reported from the syscalls.
  const bool with_capture = !pcap_path.empty();
  PacketLog packets(/*keep_raw=*/with_capture && !options.pcap_path.empty());
  int snaplen = 0;
  if (with_capture) {
    absl::StatusOr<uint32_t> read = ReadCaptureFile(pcap_path, packets);
    if (!read.ok()) {
      Note(std::string(read.status().message()));
      return 1;
    }
    snaplen = static_cast<int>(*read);
  } else {
    Note("no --pcap: findings come from the syscalls alone, with no packet evidence");
  }

  std::vector<SyscallEvent> calls = std::move(log->calls);
  if (log->unknown_lines > 0) {
    Note(absl::StrCat(log->unknown_lines, " of ", log->lines,
                      " log lines were not recognised and were skipped"));
  }
  if (log->time_of_day_only && !packets.packets().empty()) {
    const TimeNs midnight = LocalMidnightOf(packets.packets().front().ts_ns);
    ShiftLog(calls, log->processes, midnight);
    char day[32];
    const time_t secs = static_cast<time_t>(midnight / kNsPerSec);
    tm local{};
    localtime_r(&secs, &local);
    strftime(day, sizeof(day), "%Y-%m-%d", &local);
    Note(absl::StrCat("the log has times of day only (strace -tt): dated ", day,
                      " from the capture"));
  }
  if (!log->has_timestamps) {
    Note(
        "the log has no timestamps (strace without -ttt): calls cannot be placed next to "
        "packets; rerun strace with -ttt -T");
  }
  if (auto offset = EstimateClockOffset(calls, packets.packets());
      offset && std::llabs(offset->offset_ns) > kClockDisagreement) {
    Note(
        absl::StrFormat("the log's and the capture's clocks disagree by %.3f s (from %d "
                        "connect/SYN pairs); shifting the log's times to the capture's clock",
                        static_cast<double>(offset->offset_ns) / kNsPerSec, offset->samples));
    ShiftLog(calls, log->processes, offset->offset_ns);
  }
  // Even with -yy, strace shows a socket's addresses only once it has them: the connect()
  // that failed has no local end. The capture's SYN tells it.
  const correlate::CorrelatorOptions correlator_options;
  const size_t inferred =
      InferSocketIdentities(calls, packets.packets(), correlator_options.evidence_window);
  if (!log->has_socket_decoding) {
    Note(absl::StrCat("the log has no -yy socket decoding: ", inferred,
                      " calls' 5-tuples were inferred from the capture"));
  }

  // Inference needed every call (close() ends an fd's identity); the correlator needs only the
  // socket calls.
  std::erase_if(calls, [](const SyscallEvent& c) { return !IsSocketCall(c); });

  correlate::Correlator correlator(correlator_options);
  CaptureStats stats;
  stats.received = packets.size();
  stats.undecodable = packets.undecodable();
  if (!with_capture) {
    stats.available = false;
    stats.unavailable_reason = "no capture was given: analyze read the strace log alone";
  }
  correlator.SetCaptureStats(stats);

  // Feed everything in time order, as a live session would see it: calls at their exit,
  // process exits when they happen, packets up to each of those times first.
  struct Item {
    TimeNs time;
    const SyscallEvent* call;
    const ProcessEvent* process;
  };
  std::vector<Item> items;
  for (const SyscallEvent& c : calls) {
    // Unfinished calls come last, as when a live session stops.
    items.push_back({c.finished ? c.exit_ns : std::numeric_limits<TimeNs>::max(), &c, nullptr});
  }
  for (const ProcessEvent& p : log->processes) items.push_back({p.time_ns, nullptr, &p});
  std::stable_sort(items.begin(), items.end(),
                   [](const Item& a, const Item& b) { return a.time < b.time; });
  std::vector<Finding> findings;
  auto packet_it = packets.packets().begin();
  const auto packets_end = packets.packets().end();
  for (const Item& item : items) {
    for (; packet_it != packets_end && packet_it->ts_ns <= item.time; ++packet_it) {
      correlator.AddPacket(*packet_it);
    }
    if (item.call != nullptr) correlator.AddSyscall(*item.call);
    if (item.process != nullptr) correlator.AddProcessEvent(*item.process);
    // Decide each call with the evidence its window allows, as live; this also lets the
    // correlator forget finished flows, so memory follows the live flows, not the file.
    if (item.time != std::numeric_limits<TimeNs>::max()) {
      for (Finding& f : correlator.Advance(item.time)) findings.push_back(std::move(f));
    }
  }
  for (; packet_it != packets_end; ++packet_it) correlator.AddPacket(*packet_it);
  for (Finding& f : correlator.Finish()) findings.push_back(std::move(f));
  correlator.UpdateFolded(findings);
  correlate::SortByImportance(findings);
  auto peer_captures = JudgeWithPeers(options.peer_pcap_paths, packets.packets(), calls, findings);
  if (!peer_captures.ok()) {
    Note(std::string(peer_captures.status().message()));
    return 1;
  }

  auto out = ReportOutput::Open(options.output_path);
  if (!out.ok()) {
    Note(std::string(out.status().message()));
    return 1;
  }
  report::ReportInput input;
  input.session.netcorr_version = kNetcorrVersion;
  input.session.mode = "analyze";
  input.session.command = options.strace_paths;
  if (!options.record_path.empty()) input.session.command.push_back(options.record_path);
  if (with_capture) input.session.command.push_back(pcap_path);
  input.session.stop_reason = "end of the log";
  input.session.peer_captures = *std::move(peer_captures);
  input.capture = stats;
  input.calls = calls;
  input.packets = packets.packets();
  input.findings = findings;
  input.processes = log->processes;

  if (!options.pcap_path.empty() && !with_capture) {
    Note("-w: there are no packets to write without --pcap");
  } else if (!options.pcap_path.empty()) {
    if (absl::Status s = packets.WritePcapng(options.pcap_path, snaplen, findings); !s.ok()) {
      Note(std::string(s.message()));
    }
  }
  if (absl::Status written = (*out)->WriteReport(input, options); !written.ok()) {
    Note(absl::StrCat("writing the report: ", written.message()));
    return 1;
  }
  return 0;
}

}  // namespace netcorr::cli
