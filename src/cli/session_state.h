#pragma once

// What a live session's tracer and capture threads hand over, and what the correlator, the
// report's record and the -w files make of it (RunLiveSession, live_session.cc, wires it up).

#include <malloc.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "capture/capture_files.h"
#include "capture/filter.h"
#include "capture/live_capture.h"
#include "correlate/correlator.h"
#include "src/cli/options.h"
#include "src/cli/packet_numbering.h"
#include "src/cli/report_output.h"
#include "src/cli/terminal_status.h"
#include "src/model/time.h"
#include "src/report/report.h"
#include "src/report/session_record.h"
#include "src/report/timeline_spill.h"
#include "tracer/event_format.h"
#include "tracer/tracer.h"

namespace netcorr::cli {

// Packets stamped before now - kDeliveryLatency have reached the capture callback: immediate
// mode hands each packet over as soon as the kernel has it, and capture threads poll every
// 100 ms at most.
inline constexpr TimeNs kDeliveryLatencyNs = 150'000'000;
// Late evidence (the answer a timed-out wait just missed, the reply to a call still blocked when
// the program ended) may reach the capture after the program is gone: the capture stays open
// this long after the last call that gave up waiting. An error that is an answer (refused,
// reset, unreachable, broken pipe) needs no drain: the packet that caused it passed the
// capture's tap before the kernel handed the error to the program, so it is in the capture's
// ring already and the final read takes it. A program whose calls all succeeded pays nothing.
inline constexpr TimeNs kCaptureDrainNs = 250'000'000;

inline bool MayAwaitLateEvidence(const SyscallEvent& call) {
  if (!call.finished) return true;
  if (call.kind == CallKind::kWait) return call.result == 0;  // timed out
  // Gave up waiting (SO_RCVTIMEO/SO_SNDTIMEO, a connect that timed out): what it waited for
  // may come just after.
  return call.error == EAGAIN || call.error == ETIMEDOUT || call.error == EINPROGRESS;
}

// How long a packet waits before it goes to the -w file, so that the comments of the findings
// it explains are in its own block: longer than a call's evidence window and the capture's
// delivery latency, short enough that the packets held stay few.
inline constexpr TimeNs kFileHoldNs = 3'000'000'000;
inline constexpr TimeNs kTrimEveryNs = 10'000'000'000;

// Everything the tracer and the capture threads hand over, serialised by one mutex: the
// correlator, the record and the files are touched by the tracer's thread, the capture
// threads and the ticker.
class SessionState : public tracer::EventSink {
 public:
  SessionState(const Options& options, correlate::CorrelatorOptions correlator_options,
               ReportOutput* out, TerminalStatus* terminal,
               std::unique_ptr<capture::CaptureFiles> files)
      : options_(options),
        record_(RecordLimitsFor(correlator_options)),
        correlator_(std::move(correlator_options)),
        out_(out),
        terminal_(terminal),
        files_(std::move(files)),
        spill_(options.capture ? OpenTimelineSpill(options, Warn) : nullptr) {}

  // The capture opens while the program starts (its setup is most of a short program's cost):
  // whatever must widen the filter waits until the capture is open or known to be missing, so
  // the first packet of every flow still passes a filter that was installed before it was sent.
  void CaptureOpened(capture::LiveCapture* capture) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      capture_ = capture;
    }
    MarkCaptureDecided();
  }
  // Without a capture, every decision from the first one on must know it: "nothing was
  // captured" is then no evidence of anything.
  void CaptureMissing(const CaptureStats& stats) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      correlator_.SetCaptureStats(stats);
    }
    MarkCaptureDecided();
  }

  // How the capture is opened (once; calling it again does nothing). Set before tracing starts.
  void SetCaptureStarter(std::function<void()> start) { start_capture_ = std::move(start); }
  void StartCapture() {
    if (start_capture_) start_capture_();
  }

  void OnSyscall(const SyscallEvent& event) override {
    // The first call on an IP socket (socket() itself included) opens the capture, so that it
    // is likely ready by the time the program sends.
    if (TouchesNetwork(event)) StartCapture();
    std::lock_guard<std::mutex> lock(mu_);
    record_.AddCall(event);
    if (spill_ != nullptr) spill_->AddCall(event);
    if (MayAwaitLateEvidence(event)) {
      drain_until_ns_ = std::max(drain_until_ns_, event.exit_ns + kCaptureDrainNs);
    }
    if (!options_.capture) {
      if (!options_.json) out_->Write(tracer::FormatEventLine(event) + "\n");
      return;
    }
    correlator_.AddSyscall(event);
  }

  void OnProcess(const ProcessEvent& event) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      record_.AddProcess(event);
      if (options_.capture) correlator_.AddProcessEvent(event);
      if (!options_.capture && !options_.json) {
        out_->Write(tracer::FormatProcessLine(event) + "\n");
      }
    }
    // Sockets open before we attached: their flows must pass the filter too.
    std::vector<capture::FlowTerm> terms;
    for (const FdSocket& s : event.sockets) {
      if (auto flow = s.socket.Flow()) {
        terms.push_back(capture::FlowTerm{flow->transport, flow->remote, 0});
      } else if (s.socket.local && s.socket.transport != Transport::kUnknown) {
        terms.push_back(capture::FlowTerm{s.socket.transport, {}, s.socket.local->port});
      }
    }
    WidenFilter(terms);
  }

  // Runs while the tracee waits at the call's entry: once this returns, the kernel filter
  // already lets the flow's first packet through.
  void BeforeTraffic(const tracer::TrafficIntent& intent) override {
    if (intent.unseen_flows) {
      // io_uring: the ring's connects and sends will announce nothing; take every flow.
      capture::FlowTerm tcp{Transport::kTcp, {}, 0, /*any_flow=*/true};
      capture::FlowTerm udp{Transport::kUdp, {}, 0, /*any_flow=*/true};
      WidenFilter({tcp, udp});
      return;
    }
    // A connection accepted on a port the filter already takes (the listening socket's term)
    // passes it: a term per client would grow the filter with every connection a server
    // accepts, until it is broad and every packet is matched against thousands of terms.
    if (intent.local && LocalPortCovered(intent.transport, intent.local->port)) return;
    if (intent.remote && !intent.remote->addr.is_unspecified()) {
      WidenFilter({capture::FlowTerm{intent.transport, *intent.remote, 0}});
    } else if (intent.local) {
      WidenFilter({capture::FlowTerm{intent.transport, {}, intent.local->port}});
    }
  }

  void OnPacket(capture::RawPacket&& raw) {
    std::shared_ptr<const FilterState> filter;
    {
      std::lock_guard<std::mutex> lock(filter_snapshot_mu_);
      filter = filter_snapshot_;
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (!options_.capture) return;
    const bool broad = filter && filter->filter.needs_userspace_filtering;
    auto numbered = numbering_.Add(raw, [&](const Packet& p) {
      return !broad || capture::PacketMatchesTerms(p, filter->terms);
    });
    if (!numbered) return;
    if (files_ != nullptr) files_->Add(numbered->frame, std::move(raw));
    if (numbered->packet) {
      correlator_.AddPacket(*numbered->packet);
      record_.AddPacket(*numbered->packet);
      if (spill_ != nullptr) spill_->AddPacket(*numbered->packet);
    }
  }

  // Decides what the watermark allows, prints each new finding, lets go of what no finding
  // needs any more, and writes the packets whose comments are settled.
  void Tick() {
    std::lock_guard<std::mutex> lock(mu_);
    if (!options_.capture) {
      record_.Release(NowRealtimeNs());
      return;
    }
    if (capture_ != nullptr) correlator_.SetCaptureStats(CurrentStatsLocked());
    const TimeNs watermark = NowRealtimeNs() - kDeliveryLatencyNs;
    for (Finding& f : correlator_.Advance(watermark)) DecidedLocked(std::move(f));
    record_.Release(watermark);
    if (files_ != nullptr) WriteFilesLocked(files_->WriteSettled(watermark));
    // What was let go goes back to the system: RSS follows what is alive, not the peak.
    if (watermark - trimmed_at_ns_ >= kTrimEveryNs) {
      trimmed_at_ns_ = watermark;
      malloc_trim(0);
    }
  }

  // The status line's text.
  std::string Status(double elapsed_s) {
    std::lock_guard<std::mutex> lock(mu_);
    uint64_t dropped = 0;
    if (capture_ != nullptr) {
      const CaptureStats s = capture_->Stats();
      dropped = s.kernel_dropped + s.interface_dropped;
    }
    return absl::StrCat("netcorr: ", FormatElapsed(elapsed_s), "  calls ", record_.calls_seen(),
                        "  packets ", record_.packets_seen(), "  dropped ", dropped,
                        "  findings ", decided_);
  }

  // End of trace: everything still pending is decided, the files are closed, the findings
  // ranked.
  void Finish(const CaptureStats& final_stats) {
    std::lock_guard<std::mutex> lock(mu_);
    stats_ = final_stats;
    stats_.undecodable = numbering_.undecodable();
    if (options_.capture) {
      correlator_.SetCaptureStats(stats_);
      for (Finding& f : correlator_.Advance(NowRealtimeNs())) DecidedLocked(std::move(f));
      for (Finding& f : correlator_.Finish()) DecidedLocked(std::move(f));
    }
    if (files_ != nullptr) WriteFilesLocked(files_->Close());
    correlator_.UpdateFolded(record_.mutable_findings());
    RankLocked(record_.mutable_findings());
  }

  // The report as it stands: after Finish(), the final one; before, the findings so far.
  struct Report {
    report::SessionRecord::View view;
    CaptureStats capture;
    std::vector<int> seqs;  // of view.findings, for --json-lines
    std::vector<report::SessionInfo::CaptureFileSpan> files;
    uint64_t late_comments = 0;
    std::optional<report::SpilledTimeline> spill;  // --all: the whole timeline, on disk
  };
  Report Snapshot() {
    std::lock_guard<std::mutex> lock(mu_);
    Report r;
    r.view = record_.Snapshot();
    if (spill_ != nullptr) r.spill = spill_->Seal();
    if (!finished_) {
      correlator_.UpdateFolded(r.view.findings);
      RankLocked(r.view.findings);
      r.capture = capture_ != nullptr ? CurrentStatsLocked() : stats_;
    } else {
      r.capture = stats_;
    }
    for (const Finding& f : r.view.findings) r.seqs.push_back(SeqOf(f));
    if (files_ != nullptr) {
      for (const capture::CaptureFiles::File& f : files_->files()) {
        r.files.push_back({f.path, f.first_frame, f.last_frame});
      }
      r.late_comments = files_->late_comments();
    }
    return r;
  }
  void MarkFinished() {
    std::lock_guard<std::mutex> lock(mu_);
    finished_ = true;
  }

  // Until when the capture should stay open for late evidence (see kCaptureDrainNs).
  TimeNs drain_until_ns() {
    std::lock_guard<std::mutex> lock(mu_);
    return drain_until_ns_;
  }

 private:
  static report::RecordLimits RecordLimitsFor(const correlate::CorrelatorOptions& o) {
    report::RecordLimits limits;
    // An ended story stays until every finding about it has been decided and printed.
    limits.linger_ns = std::max(limits.linger_ns, o.evidence_window.grace_ns +
                                                      kDeliveryLatencyNs + kCaptureDrainNs);
    return limits;
  }

  void DecidedLocked(Finding f) {
    const int seq = ++decided_;
    if (files_ != nullptr) {
      const std::string comment = report::EvidenceComment(f);
      for (uint64_t frame : f.evidence) files_->Comment(frame, comment);
    }
    if (options_.json_lines) {
      out_->Write(report::RenderFindingJsonLine(f, seq) + "\n");
    }
    if (!record_.Keeps(f)) {
      // Counted only: say so once, instead of a line per client that hung up.
      if (quieted_kinds_.insert(f.kind).second) {
        Warn(absl::StrCat("more ", std::string(FindingKindName(f.kind)),
                          " findings (informational) are counted, not shown"));
      }
      record_.AddFinding(std::move(f));
      return;
    }
    seq_by_finding_[{f.cause_id, f.call.id}] = seq;
    // The line for people, unless it would land in the same stream as the JSON lines.
    if (!options_.json_lines || out_->is_file()) terminal_->Print(report::RenderLiveLine(f));
    record_.AddFinding(std::move(f));
  }

  int SeqOf(const Finding& f) const {
    auto it = seq_by_finding_.find({f.cause_id, f.call.id});
    return it == seq_by_finding_.end() ? 0 : it->second;
  }

  static void RankLocked(std::vector<Finding>& findings) { correlate::SortByImportance(findings); }

  void WriteFilesLocked(const absl::Status& s) {
    if (s.ok() || file_error_reported_) return;
    file_error_reported_ = true;
    Warn(absl::StrCat("packet file: ", s.message(), " (no more packets are written)"));
  }

 private:
  struct FilterState {
    capture::CaptureFilter filter;
    std::vector<capture::FlowTerm> terms;
  };

  // Adds flows to the kernel filter and returns once it is installed. Never holds mu_ while
  // waiting: the capture threads need mu_ to hand over packets before they can switch filters.
  void WidenFilter(const std::vector<capture::FlowTerm>& new_terms) {
    const bool any = std::any_of(new_terms.begin(), new_terms.end(), [](const auto& t) {
      return t.transport == Transport::kTcp || t.transport == Transport::kUdp;
    });
    if (!any) return;
    StartCapture();  // if no call on an IP socket started it yet (an inherited socket)
    WaitForCaptureDecision();
    std::lock_guard<std::mutex> lock(filter_mu_);
    bool changed = false;
    for (const capture::FlowTerm& term : new_terms) {
      if (term.transport != Transport::kTcp && term.transport != Transport::kUdp) continue;
      changed |= terms_.insert(term).second;
    }
    if (!changed || capture_ == nullptr) return;
    auto state = std::make_shared<FilterState>();
    state->terms.assign(terms_.begin(), terms_.end());
    auto installed = capture_->UpdateFilter(state->terms);
    if (!installed.ok()) {
      if (!filter_error_reported_) {
        Warn(absl::StrCat("capture filter: ", installed.status().message()));
      }
      filter_error_reported_ = true;
      return;
    }
    if (installed->needs_userspace_filtering && !broad_filter_reported_) {
      broad_filter_reported_ = true;
      Warn(absl::StrCat("more than ", capture::kMaxFilterTerms,
                        " flows: the kernel filter is now broad and netcorr filters packets "
                        "itself"));
    }
    state->filter = *installed;
    std::lock_guard<std::mutex> snapshot_lock(filter_snapshot_mu_);
    filter_snapshot_ = std::move(state);
  }

  bool LocalPortCovered(Transport transport, uint16_t port) {
    if (port == 0) return false;
    capture::FlowTerm local;
    local.transport = transport;
    local.local_port = port;
    capture::FlowTerm any;
    any.transport = transport;
    any.any_flow = true;
    std::lock_guard<std::mutex> lock(filter_mu_);
    return terms_.contains(local) || terms_.contains(any);
  }

  void MarkCaptureDecided() {
    {
      std::lock_guard<std::mutex> lock(decided_mu_);
      capture_decided_ = true;
    }
    decided_cv_.notify_all();
  }
  void WaitForCaptureDecision() {
    std::unique_lock<std::mutex> lock(decided_mu_);
    decided_cv_.wait(lock, [this] { return capture_decided_; });
  }

  CaptureStats CurrentStatsLocked() const {
    CaptureStats s = capture_->Stats();
    s.undecodable = numbering_.undecodable();
    return s;
  }

  static bool TouchesNetwork(const SyscallEvent& e) {
    if (e.kind == CallKind::kIoUring) return true;
    const auto ip = [](const SocketIdentity& s) {
      return s.family == AF_INET || s.family == AF_INET6;
    };
    if (e.socket && ip(*e.socket)) return true;
    return std::any_of(e.waited.begin(), e.waited.end(),
                       [&](const FdSocket& w) { return ip(w.socket); });
  }

  const Options& options_;
  std::function<void()> start_capture_;
  std::mutex mu_;
  report::SessionRecord record_;
  correlate::Correlator correlator_;
  ReportOutput* out_;
  TerminalStatus* terminal_;
  std::unique_ptr<capture::CaptureFiles> files_;
  std::unique_ptr<report::TimelineSpill> spill_;  // --all: every call and packet, on disk
  bool file_error_reported_ = false;
  PacketNumbering numbering_;
  int decided_ = 0;
  // Of the findings kept: the seq of their --json-lines line.
  absl::flat_hash_map<std::pair<uint64_t, uint64_t>, int> seq_by_finding_;
  std::set<FindingKind> quieted_kinds_;
  bool finished_ = false;
  capture::LiveCapture* capture_ = nullptr;  // guarded by mu_; read by WidenFilter once decided
  std::mutex decided_mu_;
  std::condition_variable decided_cv_;
  bool capture_decided_ = false;
  std::mutex filter_mu_;  // serialises filter updates; held while the capture installs one
  std::set<capture::FlowTerm> terms_;
  bool filter_error_reported_ = false;
  bool broad_filter_reported_ = false;
  std::mutex filter_snapshot_mu_;  // guards only the pointer swap
  std::shared_ptr<const FilterState> filter_snapshot_;
  TimeNs drain_until_ns_ = 0;
  TimeNs trimmed_at_ns_ = 0;
  CaptureStats stats_;
};

}  // namespace netcorr::cli
