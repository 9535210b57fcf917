#include "src/cli/analyze_session.h"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "capture/pcap_file.h"
#include "correlate/correlator.h"
#include "src/analyze/strace_log.h"
#include "src/cli/analyze_peers.h"
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

}  // namespace

int RunAnalyzeSession(const Options& options) {
  std::string pcap_path = options.analyze_pcap_path;  // --record: by default the session's -w
  auto log = options.record_path.empty() ? ReadLogs(options.strace_paths)
                                         : ReadRecordAsLog(options.record_path, pcap_path);
  if (!log.ok()) {
    Note(std::string(log.status().message()));
    return 1;
  }
  // Without --pcap the log is read alone: every failing call is reported from the syscalls.
  const bool with_capture = !pcap_path.empty();
  PacketLog packets(/*keep_raw=*/with_capture && !options.pcap_path.empty());
  int snaplen = 0;
  if (with_capture) {
    auto reader = capture::PcapFileReader::Open(pcap_path);
    if (!reader.ok()) {
      Note(std::string(reader.status().message()));
      return 1;
    }
    while (true) {
      auto next = (*reader)->Next();
      if (!next.ok()) {
        Note(absl::StrCat(next.status().message(), " (using the packets before it)"));
        break;
      }
      if (!next->has_value()) break;
      packets.Add(std::move(**next));
    }
    if (packets.size() > 0 && packets.packets().empty()) {
      Note(absl::StrCat(pcap_path, ": link type ", (*reader)->link_type(),
                        " is not one netcorr decodes"));
      return 1;
    }
    snaplen = static_cast<int>((*reader)->snaplen());
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
  auto peer_captures = JudgeWithPeers(options.peer_pcap_paths, pcap_path, calls, findings);
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
