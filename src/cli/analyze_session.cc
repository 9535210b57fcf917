#include "src/cli/analyze_session.h"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/container/flat_hash_map.h"
#include "capture/capture_files.h"
#include "capture/pcap_file.h"
#include "correlate/correlator.h"
#include "correlate/local_addresses.h"
#include "src/analyze/strace_log.h"
#include "src/cli/analyze_log.h"
#include "src/cli/analyze_peers.h"
#include "src/cli/live_session.h"
#include "src/cli/offline_alignment.h"
#include "src/cli/packet_numbering.h"
#include "src/cli/report_output.h"
#include "src/report/report.h"
#include "src/report/session_record.h"

namespace netcorr::cli {

namespace {

constexpr TimeNs kNsPerSec = 1'000'000'000;
// Offsets smaller than this are the two tools' own timestamping jitter, not another clock.
constexpr TimeNs kClockDisagreement = 500'000'000;

void Note(const std::string& line) { std::fprintf(stderr, "netcorr: %s\n", line.c_str()); }

// -tt logs carry the time of day in local time: date them with the capture's day.
TimeNs LocalMidnightOf(TimeNs t) {
  const time_t secs = static_cast<time_t>(t / kNsPerSec);
  tm local{};
  localtime_r(&secs, &local);
  const int64_t since_midnight = local.tm_hour * 3600 + local.tm_min * 60 + local.tm_sec;
  return (static_cast<int64_t>(secs) - since_midnight) * kNsPerSec;
}

// Moves a call or a process event onto the capture's clock.
void Shift(analyze::StraceItem& item, TimeNs by) {
  if (by == 0) return;
  if (SyscallEvent* c = std::get_if<SyscallEvent>(&item.value)) {
    c->entry_ns += by;
    c->exit_ns += by;
  } else if (ProcessEvent* p = std::get_if<ProcessEvent>(&item.value)) {
    p->time_ns += by;
  }
}

// What the alignment of the log with the capture needs from the whole capture, read in a first
// pass so that the second can stream: every SYN that opens a connection, and each UDP flow's
// packet after a silence (a new query from the same port). Everything else is read once, fed to
// the correlator and let go.
struct CaptureSketch {
  std::vector<Packet> openings;
  uint64_t records = 0;
  uint64_t decoded = 0;
  int link_type = 0;
  int snaplen = 0;
};

absl::StatusOr<CaptureSketch> SketchCapture(const std::string& path) {
  constexpr TimeNs kUdpSilenceNs = 1'000'000'000;
  auto reader = capture::PcapFileReader::Open(path);
  if (!reader.ok()) return reader.status();
  CaptureSketch sketch;
  sketch.link_type = (*reader)->link_type();
  sketch.snaplen = static_cast<int>((*reader)->snaplen());
  absl::flat_hash_map<FlowKey, TimeNs> udp_last;
  PacketNumbering numbering;
  while (true) {
    auto next = (*reader)->Next();
    if (!next.ok() || !next->has_value()) break;
    auto numbered = numbering.Add(**next);
    ++sketch.records;
    if (!numbered || !numbered->packet) continue;
    ++sketch.decoded;
    Packet& p = *numbered->packet;
    bool opening = false;
    if (p.tcp) {
      opening = p.tcp->has(kTcpSyn) && !p.tcp->has(kTcpAck);
    } else if (p.transport == Transport::kUdp) {
      auto [it, inserted] = udp_last.try_emplace(p.SenderFlow(), p.ts_ns);
      opening = inserted || p.ts_ns - it->second > kUdpSilenceNs;
      it->second = p.ts_ns;
    }
    if (opening) sketch.openings.push_back(std::move(p));
  }
  return sketch;
}

}  // namespace

int RunAnalyzeSession(const Options& options) {
  std::string pcap_path = options.analyze_pcap_path;  // --record: by default the session's -w
  absl::StatusOr<std::unique_ptr<AnalyzeLog>> log;
  if (options.record_path.empty()) {
    log = AnalyzeLog::OpenStrace(options.strace_paths);
  } else {
    auto record = ReadRecordAsLog(options.record_path, pcap_path);
    if (record.ok()) log = AnalyzeLog::FromRecord(*std::move(record));
    else log = record.status();
  }
  if (!log.ok()) {
    Note(std::string(log.status().message()));
    return 1;
  }
  // The first item, before anything else is read or written: a log that is no strace log fails
  // here, as one that cannot be opened did above.
  absl::StatusOr<std::optional<analyze::StraceItem>> first = (*log)->Next();
  if (!first.ok()) {
    Note(std::string(first.status().message()));
    return 1;
  }
  // Without --pcap the log is read alone: every failing call is reported from the syscalls.
  const bool with_capture = !pcap_path.empty();
  CaptureSketch sketch;
  if (with_capture) {
    auto sketched = SketchCapture(pcap_path);
    if (!sketched.ok()) {
      Note(std::string(sketched.status().message()));
      return 1;
    }
    sketch = std::move(*sketched);
    if (sketch.records > 0 && sketch.decoded == 0) {
      Note(absl::StrCat(pcap_path, ": link type ", sketch.link_type,
                        " is not one netcorr decodes"));
      return 1;
    }
  } else {
    Note("no --pcap: findings come from the syscalls alone, with no packet evidence");
  }

  // -tt logs carry the time of day: date them with the capture's day. The log says which it
  // is on its first timed line, before any call leaves the reader.
  const TimeNs midnight =
      sketch.openings.empty() ? 0 : LocalMidnightOf(sketch.openings.front().ts_ns);
  const auto day_shift = [&](const AnalyzeLog& l) {
    return l.facts().time_of_day_only ? midnight : 0;
  };
  // The clocks: a first pass over the log's beginning, until a connect's SYN falls inside it
  // (the clocks agree, the usual case: a few lines), else to its end.
  TimeNs clock_shift = 0;
  if (!sketch.openings.empty()) {
    auto again = (*log)->Reopen();
    if (!again.ok()) {
      Note(std::string(again.status().message()));
      return 1;
    }
    ClockOffsetEstimator estimator(sketch.openings);
    for (;;) {
      auto next = (*again)->Next();
      if (!next.ok()) {
        Note(std::string(next.status().message()));
        return 1;
      }
      if (!next->has_value()) break;
      Shift(**next, day_shift(**again));
      const SyscallEvent* c = std::get_if<SyscallEvent>(&(**next).value);
      if (c != nullptr && estimator.Add(*c)) break;
    }
    if (auto offset = estimator.Result();
        offset && std::llabs(offset->offset_ns) > kClockDisagreement) {
      Note(absl::StrFormat(
          "the log's and the capture's clocks disagree by %.3f s (from %d connect/SYN pairs); "
          "shifting the log's times to the capture's clock",
          static_cast<double>(offset->offset_ns) / kNsPerSec, offset->samples));
      clock_shift = offset->offset_ns;
    }
  }

  auto out = ReportOutput::Open(options.output_path);
  if (!out.ok()) {
    Note(std::string(out.status().message()));
    return 1;
  }
  std::unique_ptr<capture::CaptureFiles> files;
  if (!options.pcap_path.empty() && !with_capture) {
    Note("-w: there are no packets to write without --pcap");
  } else if (!options.pcap_path.empty()) {
    capture::CaptureFileOptions file_options;
    file_options.path = options.pcap_path;
    file_options.max_file_bytes = options.file_size_mb * 1'000'000;
    file_options.max_files = options.file_count;
    file_options.snaplen = static_cast<uint32_t>(sketch.snaplen);
    auto opened = capture::CaptureFiles::Open(file_options);
    if (!opened.ok()) {
      Note(std::string(opened.status().message()));
      return 1;
    }
    files = std::move(*opened);
  }

  const correlate::CorrelatorOptions correlator_options;
  correlate::Correlator correlator(correlator_options);
  // Offline, a call is decided as soon as the log's clock passes its evidence window: an ended
  // story is needed only that long (live sessions wait for the capture's delivery too).
  report::RecordLimits record_limits;
  record_limits.linger_ns = correlator_options.evidence_window.grace_ns + 300'000'000;
  report::SessionRecord record(record_limits);
  const std::unique_ptr<report::TimelineSpill> spill = OpenTimelineSpill(options, Note);
  CaptureStats stats;
  stats.received = sketch.records;
  stats.undecodable = sketch.records - sketch.decoded;
  if (!with_capture) {
    stats.available = false;
    stats.unavailable_reason = "no capture was given: analyze read the strace log alone";
  }
  correlator.SetCaptureStats(stats);

  int decided_count = 0;
  absl::flat_hash_map<std::pair<uint64_t, uint64_t>, int> seq_of;  // of the findings kept
  const auto decided = [&](Finding f) {
    const int seq = ++decided_count;
    if (files != nullptr) {
      const std::string comment = report::EvidenceComment(f);
      for (uint64_t frame : f.evidence) files->Comment(frame, comment);
    }
    if (options.json_lines) (*out)->Write(report::RenderFindingJsonLine(f, seq) + "\n");
    if (record.Keeps(f)) seq_of[{f.cause_id, f.call.id}] = seq;
    record.AddFinding(std::move(f));
  };

  // The packets, read again and streamed: each goes to the correlator, the record and the -w
  // file in turn, then leaves memory.
  std::unique_ptr<capture::PcapFileReader> reader;
  if (with_capture) {
    auto reopened = capture::PcapFileReader::Open(pcap_path);
    if (!reopened.ok()) {
      Note(std::string(reopened.status().message()));
      return 1;
    }
    reader = std::move(*reopened);
  }
  PacketNumbering numbering;
  std::optional<Packet> pending;  // read, not yet fed: stamped after the current item
  bool reader_done = reader == nullptr;
  const auto feed_packets_until = [&](TimeNs until) {
    while (true) {
      if (pending) {
        if (pending->ts_ns > until) return;
        correlator.AddPacket(*pending);
        record.AddPacket(*pending);
        if (spill != nullptr) spill->AddPacket(*pending);
        pending.reset();
      }
      if (reader_done) return;
      auto next = reader->Next();
      if (!next.ok()) {
        Note(absl::StrCat(next.status().message(), " (using the packets before it)"));
        reader_done = true;
        return;
      }
      if (!next->has_value()) {
        reader_done = true;
        return;
      }
      auto numbered = numbering.Add(**next);
      if (!numbered) continue;
      if (files != nullptr) files->Add(numbered->frame, std::move(**next));
      if (numbered->packet) pending = std::move(numbered->packet);
    }
  };

  // Feed everything in time order, as a live session would see it: calls at their exit,
  // process exits when they happen, packets up to each of those times first. The reader hands
  // them out in that order, each once it is final, and forgets them.
  // Even with -yy, strace shows a socket's addresses only once it has them: the connect()
  // that failed has no local end. The capture's SYN tells it.
  SocketIdentityInference inference(sketch.openings, correlator_options.evidence_window);
  size_t inferred = 0;
  correlate::LocalAddresses local;  // what the calls showed, for --peer-pcap
  bool dated = false;
  constexpr TimeNs kReleaseEveryNs = 100'000'000;
  TimeNs released_at = 0;
  std::optional<analyze::StraceItem> item = *std::move(first);
  while (item.has_value()) {
    const TimeNs day = day_shift(**log);
    if (day != 0 && !dated) {
      dated = true;
      char text[32];
      const time_t secs = static_cast<time_t>(midnight / kNsPerSec);
      tm when{};
      localtime_r(&secs, &when);
      strftime(text, sizeof(text), "%Y-%m-%d", &when);
      Note(absl::StrCat("the log has times of day only (strace -tt): dated ", text,
                        " from the capture"));
    }
    Shift(*item, day + clock_shift);
    TimeNs time = std::numeric_limits<TimeNs>::min();
    if (SyscallEvent* c = std::get_if<SyscallEvent>(&item->value)) {
      // Inference needs every call (close() ends an fd's identity); the correlator needs only
      // the socket calls.
      if (inference.Infer(*c)) ++inferred;
      if (IsSocketCall(*c)) {
        if (c->socket && c->socket->local) local.Add(c->socket->local->addr);
        // Unfinished calls come last, as when a live session stops.
        time = c->finished ? c->exit_ns : std::numeric_limits<TimeNs>::max();
        feed_packets_until(time);
        correlator.AddSyscall(*c);
        record.AddCall(*c);
        if (spill != nullptr) spill->AddCall(*c);
      }
    } else if (ProcessEvent* p = std::get_if<ProcessEvent>(&item->value)) {
      time = p->time_ns;
      feed_packets_until(time);
      correlator.AddProcessEvent(*p);
      record.AddProcess(*p);
    }
    // Decide each call with the evidence its window allows, as live; this also lets the
    // correlator forget finished flows, so memory follows the live flows, not the file.
    if (time != std::numeric_limits<TimeNs>::min() && time != std::numeric_limits<TimeNs>::max()) {
      for (Finding& f : correlator.Advance(time)) decided(std::move(f));
      if (time - released_at >= kReleaseEveryNs) {
        released_at = time;
        record.Release(time);
        // A write error is sticky: Close() below reports it.
        if (files != nullptr) files->WriteSettled(time).IgnoreError();
      }
    }
    auto next = (*log)->Next();
    if (!next.ok()) {
      Note(std::string(next.status().message()));
      return 1;
    }
    item = *std::move(next);
  }
  const analyze::StraceLogFacts& facts = (*log)->facts();
  if (facts.unknown_lines > 0) {
    Note(absl::StrCat(facts.unknown_lines, " of ", facts.lines,
                      " log lines were not recognised and were skipped"));
  }
  if (!facts.has_timestamps) {
    Note(
        "the log has no timestamps (strace without -ttt): calls cannot be placed next to "
        "packets; rerun strace with -ttt -T");
  }
  if (!facts.has_socket_decoding) {
    Note(absl::StrCat("the log has no -yy socket decoding: ", inferred,
                      " calls' 5-tuples were inferred from the capture"));
  }
  feed_packets_until(std::numeric_limits<TimeNs>::max());
  for (Finding& f : correlator.Finish()) decided(std::move(f));
  correlator.UpdateFolded(record.mutable_findings());
  correlate::SortByImportance(record.mutable_findings());
  auto peer_captures =
      JudgeWithPeers(options.peer_pcap_paths, pcap_path, std::move(local), record.mutable_findings());
  if (!peer_captures.ok()) {
    Note(std::string(peer_captures.status().message()));
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
  if (files != nullptr) {
    if (absl::Status s = files->Close(); !s.ok()) Note(std::string(s.message()));
    input.session.capture_file = options.pcap_path;
    for (const capture::CaptureFiles::File& f : files->files()) {
      input.session.capture_files.push_back({f.path, f.first_frame, f.last_frame});
    }
    input.session.late_comments = files->late_comments();
  }
  input.capture = stats;
  const report::SessionRecord::View view = record.Snapshot();
  view.Fill(input);
  std::optional<report::SpilledTimeline> spilled;
  if (spill != nullptr) input.spill = &spilled.emplace(spill->Seal());
  if (options.json_lines) {
    std::vector<int> seqs;
    for (const Finding& f : view.findings) seqs.push_back(seq_of[{f.cause_id, f.call.id}]);
    (*out)->Write(report::RenderSummaryJsonLine(input, seqs, /*final=*/true) + "\n");
    if (absl::Status page = (*out)->WritePage(input, options); !page.ok()) {
      Note(absl::StrCat("writing the page: ", page.message()));
      return 1;
    }
    return 0;
  }
  if (absl::Status written = (*out)->WriteReport(input, options); !written.ok()) {
    Note(absl::StrCat("writing the report: ", written.message()));
    return 1;
  }
  return 0;
}

}  // namespace netcorr::cli
