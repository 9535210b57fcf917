#include "src/cli/live_session.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "capture/filter.h"
#include "capture/live_capture.h"
#include "correlate/correlator.h"
#include "src/cli/capture_place.h"
#include "src/cli/packet_log.h"
#include "src/cli/privileges.h"
#include "src/cli/report_output.h"
#include "src/cli/target_namespace.h"
#include "src/model/time.h"
#include "src/report/report.h"
#include "tracer/event_format.h"
#include "tracer/run_as.h"
#include "tracer/tracer.h"

namespace netcorr::cli {

namespace {

// Packets stamped before now - kDeliveryLatency have reached the capture callback: immediate
// mode hands each packet over as soon as the kernel has it, and capture threads poll every
// 100 ms at most.
constexpr TimeNs kDeliveryLatencyNs = 150'000'000;
// Late evidence (an RST or ICMP error racing a failing call's exit, the answer a timed-out wait
// just missed) still reaches the capture after the program is gone: the capture stays open this
// long after the last call that could still be explained by it. A program whose calls all
// succeeded pays nothing (a success needs no evidence from after it returned).
constexpr TimeNs kCaptureDrainNs = 250'000'000;

bool MayAwaitLateEvidence(const SyscallEvent& call) {
  return !call.finished || call.error != 0 || (call.kind == CallKind::kWait && call.result == 0);
}

std::atomic<tracer::Tracer*> g_tracer{nullptr};
std::atomic<int> g_stop_signal{0};

void OnStopSignal(int sig) {
  g_stop_signal.store(sig);
  if (tracer::Tracer* t = g_tracer.load()) t->RequestStop();
}

void InstallStopHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, nullptr);
  // `netcorr ... 2>&1 | head` must not kill netcorr (and with it, the launched program) at the
  // next live line: a closed pipe is an error on write, not a signal.
  signal(SIGPIPE, SIG_IGN);
}

void Warn(const std::string& line) { std::fprintf(stderr, "netcorr: %s\n", line.c_str()); }

// A finding's line on stderr as soon as it is certain, like strace prints calls as they end.
void PrintLive(const Finding& finding) {
  std::fprintf(stderr, "%s\n", report::RenderLiveLine(finding).c_str());
}

// Everything the tracer and the capture threads hand over, serialised by one mutex: the
// correlator, the packet log and the calls are touched by the tracer's thread, the capture
// threads and the ticker.
class SessionState : public tracer::EventSink {
 public:
  SessionState(const Options& options, correlate::CorrelatorOptions correlator_options,
               ReportOutput* live_out)
      : options_(options),
        correlator_(std::move(correlator_options)),
        live_out_(live_out),
        packets_(/*keep_raw=*/!options.pcap_path.empty()) {}

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

  void OnSyscall(const SyscallEvent& event) override {
    std::lock_guard<std::mutex> lock(mu_);
    calls_.push_back(event);
    if (MayAwaitLateEvidence(event)) {
      drain_until_ns_ = std::max(drain_until_ns_, event.exit_ns + kCaptureDrainNs);
    }
    if (!options_.capture) {
      if (!options_.json) live_out_->Write(tracer::FormatEventLine(event) + "\n");
      return;
    }
    correlator_.AddSyscall(event);
  }

  void OnProcess(const ProcessEvent& event) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      processes_.push_back(event);
      if (options_.capture) correlator_.AddProcessEvent(event);
      if (!options_.capture && !options_.json) {
        live_out_->Write(tracer::FormatProcessLine(event) + "\n");
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
    const Packet* packet = packets_.Add(std::move(raw), [&](const Packet& p) {
      return !broad || capture::PacketMatchesTerms(p, filter->terms);
    });
    if (packet != nullptr) correlator_.AddPacket(*packet);
  }

  // Decides what the watermark allows and prints each new finding's line.
  void Tick() {
    std::lock_guard<std::mutex> lock(mu_);
    if (!options_.capture) return;
    if (capture_ != nullptr) correlator_.SetCaptureStats(CurrentStatsLocked());
    for (Finding& f : correlator_.Advance(NowRealtimeNs() - kDeliveryLatencyNs)) {
      PrintLive(f);
      findings_.push_back(std::move(f));
    }
  }

  // End of trace: everything still pending is decided.
  void Finish(const CaptureStats& final_stats) {
    std::lock_guard<std::mutex> lock(mu_);
    stats_ = final_stats;
    stats_.undecodable = packets_.undecodable();
    if (!options_.capture) return;
    correlator_.SetCaptureStats(stats_);
    for (Finding& f : correlator_.Advance(NowRealtimeNs())) {
      PrintLive(f);
      findings_.push_back(std::move(f));
    }
    for (Finding& f : correlator_.Finish()) {
      PrintLive(f);
      findings_.push_back(std::move(f));
    }
    correlator_.UpdateFolded(findings_);
    correlate::SortByImportance(findings_);
  }

  // Until when the capture should stay open for late evidence (see kCaptureDrainNs).
  TimeNs drain_until_ns() {
    std::lock_guard<std::mutex> lock(mu_);
    return drain_until_ns_;
  }

  // Only after Finish(), when no other thread touches the state any more.
  const std::vector<SyscallEvent>& calls() const { return calls_; }
  const std::vector<ProcessEvent>& processes() const { return processes_; }
  const std::vector<Finding>& findings() const { return findings_; }
  const PacketLog& packets() const { return packets_; }
  const CaptureStats& stats() const { return stats_; }

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
    s.undecodable = packets_.undecodable();
    return s;
  }

  const Options& options_;
  std::mutex mu_;
  correlate::Correlator correlator_;
  ReportOutput* live_out_;
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
  PacketLog packets_;
  std::vector<SyscallEvent> calls_;
  TimeNs drain_until_ns_ = 0;
  std::vector<ProcessEvent> processes_;
  std::vector<Finding> findings_;
  CaptureStats stats_;
};

// Calls SessionState::Tick every 100 ms until stopped, and ends tracing when --duration is up.
class Ticker {
 public:
  Ticker(SessionState* state, double duration_s) {
    thread_ = std::thread([this, state, duration_s] {
      const auto start = std::chrono::steady_clock::now();
      std::unique_lock<std::mutex> lock(mu_);
      while (!stop_) {
        cv_.wait_for(lock, std::chrono::milliseconds(100));
        if (stop_) break;
        lock.unlock();
        state->Tick();
        if (duration_s > 0 &&
            std::chrono::steady_clock::now() - start >= std::chrono::duration<double>(duration_s)) {
          // Once: each RequestStop() starts the program's stop sequence anew.
          if (!duration_elapsed_.exchange(true)) {
            if (tracer::Tracer* t = g_tracer.load()) t->RequestStop();
          }
        }
        lock.lock();
      }
    });
  }
  ~Ticker() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  bool duration_elapsed() const { return duration_elapsed_; }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::atomic<bool> duration_elapsed_{false};
  std::thread thread_;
};

}  // namespace

int RunLiveSession(const Options& options) {
  auto out = ReportOutput::Open(options.output_path);
  if (!out.ok()) {
    Warn(std::string(out.status().message()));
    return 1;
  }

  report::SessionInfo info;
  info.netcorr_version = kNetcorrVersion;
  info.mode = options.mode == Mode::kAttach ? "attach" : "launch";
  info.command = options.command;
  info.pids.assign(options.pids.begin(), options.pids.end());
  info.interfaces = options.interfaces;
  info.snaplen = options.snaplen > 0 ? options.snaplen : capture::kDefaultSnaplen;
  info.capture_file = options.pcap_path;

  // A PID that does not exist is the user's typo, not a capture problem: say that alone.
  for (int pid : options.pids) {
    if (kill(pid, 0) != 0 && errno == ESRCH) {
      Warn(absl::StrCat("no such process: ", pid));
      return 1;
    }
  }
  auto place = DecideCapturePlace(options);
  if (!place.ok()) {
    Warn(std::string(place.status().message()));
    return 1;
  }
  for (const std::string& warning : place->warnings) Warn(warning);
  correlate::CorrelatorOptions correlator_options;
  correlator_options.local_addresses = place->local_addresses;
  correlator_options.local_port_range = place->local_port_range;
  correlator_options.capture_interface =
      options.interfaces.empty() ? "any" : absl::StrJoin(options.interfaces, ",");

  SessionState state(options, correlator_options, out->get());

  // The capture opens on its own thread while the program starts; the program's first
  // traffic call waits for it (SessionState::WidenFilter), so nothing it sends is missed.
  std::unique_ptr<capture::LiveCapture> capture;
  CaptureStats no_capture;
  std::jthread capture_opener;
  if (options.capture && !place->refusal.empty()) {
    no_capture.available = false;
    no_capture.unavailable_reason = place->refusal_reason;
    Warn(absl::StrCat("tracing without capture: ", place->refusal));
    state.CaptureMissing(no_capture);
  } else if (options.capture) {
    capture_opener = std::jthread([&options, &place, &state, &capture, &no_capture] {
      capture::LiveCaptureOptions capture_options;
      capture_options.interfaces = options.interfaces;
      if (options.snaplen > 0) capture_options.snaplen = options.snaplen;
      capture_options.netns_path = place->netns_path;
      capture_options.initial_filter = capture::BuildCaptureFilter({});
      auto opened = capture::LiveCapture::Open(
          capture_options, [&state](capture::RawPacket&& raw) { state.OnPacket(std::move(raw)); });
      if (opened.ok()) {
        capture = std::move(*opened);
        state.CaptureOpened(capture.get());
        return;
      }
      // Read by the session only after this thread is joined.
      no_capture.available = false;
      // The full message (exactly what to grant) is said once here; the report's findings
      // only need the reason.
      const bool denied = absl::IsPermissionDenied(opened.status());
      no_capture.unavailable_reason = denied ? CaptureDeniedReason(!place->netns_path.empty())
                                             : std::string(opened.status().message());
      const std::string message(opened.status().message());
      Warn(absl::StrCat("tracing without capture: ",
                        denied ? CaptureDeniedLine(place->where, message) : message));
      state.CaptureMissing(no_capture);
    });
  } else {
    no_capture.available = false;
    no_capture.unavailable_reason = "capture disabled with --no-capture";
    state.CaptureMissing(no_capture);
  }

  absl::StatusOr<std::unique_ptr<tracer::Tracer>> tracer;
  if (options.mode == Mode::kAttach) {
    std::vector<pid_t> pids(options.pids.begin(), options.pids.end());
    tracer = tracer::Tracer::Attach(pids, &state);
  } else {
    auto run_as = tracer::ResolveRunAs(
        options.user.empty() ? std::nullopt : std::optional<std::string>(options.user));
    if (!run_as.ok()) {
      Warn(std::string(run_as.status().message()));
      return 1;
    }
    tracer::LaunchSpec spec;
    spec.argv = options.command;
    spec.uid = run_as->uid;
    spec.gid = run_as->gid;
    spec.groups = run_as->groups;
    spec.follow_forks = options.follow_forks;
    spec.trace_read_write = options.trace_read_write;
    spec.netns_path = options.netns_path;
    tracer = tracer::Tracer::Launch(spec, &state);
  }
  if (!tracer.ok()) {
    std::string line;
    if (options.mode == Mode::kAttach && absl::IsPermissionDenied(tracer.status())) {
      line =
          AttachDeniedLine(options.pids.front(),
                           options.capture ? CaptureNeeds(!place->netns_path.empty()) : CapSet{});
    }
    Warn(line.empty() ? std::string(tracer.status().message()) : line);
    return 1;
  }
  info.start_ns = NowRealtimeNs();
  if (options.mode == Mode::kLaunch) info.pids = {(*tracer)->main_pid()};
  info.target_namespace = place->target;
  if (options.mode == Mode::kLaunch) {
    // Read now that the program exists (stopped at its first instruction, already inside
    // --netns).
    if (auto ns = DescribeTargetNamespace((*tracer)->main_pid()); ns.ok()) {
      info.target_namespace = *ns;
    }
  }

  g_tracer.store(tracer->get());
  InstallStopHandlers();
  absl::StatusOr<int> status;
  bool duration_elapsed = false;
  {
    Ticker ticker(&state, options.duration_s);
    status = (*tracer)->Run();
    duration_elapsed = ticker.duration_elapsed();
  }
  // The Tracer lives until this function returns (its tracees are gone or detached once Run()
  // has returned): a stop signal handled on another thread may still be using the pointer it
  // loaded just before this store.
  g_tracer.store(nullptr);
  info.end_ns = NowRealtimeNs();
  info.stop_reason = duration_elapsed ? "--duration elapsed"
                     : g_stop_signal.load()
                         ? absl::StrCat("stopped by signal ", g_stop_signal.load())
                     : options.mode == Mode::kAttach ? "traced processes exited"
                                                     : "program exited";
  if (!status.ok()) Warn(std::string(status.status().message()));

  if (capture_opener.joinable()) capture_opener.join();
  CaptureStats final_stats = no_capture;
  if (capture) {
    const TimeNs wait_ns = std::min(state.drain_until_ns() - NowRealtimeNs(), kCaptureDrainNs);
    if (wait_ns > 0) std::this_thread::sleep_for(std::chrono::nanoseconds(wait_ns));
    capture->Stop();
    final_stats = capture->Stats();
  }
  state.Finish(final_stats);

  report::ReportInput input;
  input.session = info;
  input.capture = state.stats();
  input.calls = state.calls();
  input.packets = state.packets().packets();
  input.findings = state.findings();
  input.processes = state.processes();

  if (!options.pcap_path.empty() && capture) {
    if (absl::Status s =
            state.packets().WritePcapng(options.pcap_path, info.snaplen, state.findings());
        !s.ok()) {
      Warn(std::string(s.message()));
    }
  }

  if (!options.capture) {
    if (options.json) {
      (*out)->Write(report::RenderEventsJson(info, input.capture, input.calls, input.processes));
    }
  } else if (absl::Status written = (*out)->WriteReport(input, options); !written.ok()) {
    Warn(absl::StrCat("writing the report: ", written.message()));
  }
  if (!status.ok()) return 1;
  return *status;
}

}  // namespace netcorr::cli
