#include "src/cli/live_session.h"

#include <malloc.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <functional>
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
#include "absl/container/flat_hash_map.h"
#include "capture/capture_files.h"
#include "capture/filter.h"
#include "capture/live_capture.h"
#include "correlate/correlator.h"
#include "src/cli/capture_place.h"
#include "src/cli/packet_numbering.h"
#include "src/cli/session_state.h"
#include "src/cli/terminal_status.h"
#include "src/cli/privileges.h"
#include "src/cli/report_output.h"
#include "src/cli/target_namespace.h"
#include "src/model/time.h"
#include "src/report/report.h"
#include "src/report/session_record.h"
#include "tracer/event_format.h"
#include "tracer/run_as.h"
#include "tracer/tracer.h"

namespace netcorr::cli {

namespace {

std::atomic<tracer::Tracer*> g_tracer{nullptr};
std::atomic<int> g_stop_signal{0};
std::atomic<bool> g_report_requested{false};

void OnStopSignal(int sig) {
  g_stop_signal.store(sig);
  if (tracer::Tracer* t = g_tracer.load()) t->RequestStop();
}

void OnReportSignal(int) { g_report_requested.store(true); }

void InstallSignalHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, nullptr);
  // The report so far, written by the ticker: a handler may not allocate or take locks.
  sa.sa_handler = OnReportSignal;
  sigaction(SIGUSR1, &sa, nullptr);
  // `netcorr ... 2>&1 | head` must not kill netcorr (and with it, the launched program) at the
  // next live line: a closed pipe is an error on write, not a signal.
  signal(SIGPIPE, SIG_IGN);
}

// Calls SessionState::Tick every 100 ms until stopped, refreshes the status line every second,
// writes the report so far when SIGUSR1 asked for it, and ends tracing when --duration is up.
class Ticker {
 public:
  Ticker(SessionState* state, double duration_s, std::function<void(double)> every_second,
         std::function<void()> report_so_far) {
    thread_ = std::thread([this, state, duration_s, every_second, report_so_far] {
      const auto start = std::chrono::steady_clock::now();
      auto next_second = start + std::chrono::seconds(1);
      std::unique_lock<std::mutex> lock(mu_);
      while (!stop_) {
        cv_.wait_for(lock, std::chrono::milliseconds(100));
        if (stop_) break;
        lock.unlock();
        state->Tick();
        const auto now = std::chrono::steady_clock::now();
        if (now >= next_second) {
          next_second = now + std::chrono::seconds(1);
          every_second(std::chrono::duration<double>(now - start).count());
        }
        if (g_report_requested.exchange(false)) report_so_far();
        if (duration_s > 0 && now - start >= std::chrono::duration<double>(duration_s)) {
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

// Writes the report (final, or so far on SIGUSR1): text, --json or the --json-lines summary.
absl::Status WriteSessionReport(SessionState& state, const report::SessionInfo& info,
                                const Options& options, ReportOutput& out, bool final) {
  SessionState::Report r = state.Snapshot();
  report::ReportInput input;
  input.session = info;
  input.session.capture_files = r.files;
  input.session.late_comments = r.late_comments;
  if (!final) {
    input.session.end_ns = NowRealtimeNs();
    input.session.stop_reason = "still tracing (report so far, SIGUSR1)";
  }
  input.capture = r.capture;
  r.view.Fill(input);
  if (r.spill.has_value()) input.spill = &*r.spill;
  if (options.json_lines) {
    out.Write(report::RenderSummaryJsonLine(input, r.seqs, final) + "\n");
    return out.WritePage(input, options);
  }
  // Without capture the calls were printed as they ended; only --json has a report to write.
  if (!options.capture && !options.json) return absl::OkStatus();
  // A file holds one report: the latest.
  out.Restart();
  if (!options.capture) {
    out.Write(
        report::RenderEventsJson(input.session, input.capture, input.calls, input.processes));
    return absl::OkStatus();
  }
  return out.WriteReport(input, options);
}

}  // namespace

int RunLiveSession(const Options& options) {
  // The tracer, capture and ticker threads each allocate; with an arena per thread, what one
  // frees another cannot reuse, and a session that runs for hours grows by fragmentation alone
  // (measured: 100 -> 142 MB over 2 minutes under load, flat at 88 MB with one arena).
  mallopt(M_ARENA_MAX, 1);
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

  std::unique_ptr<capture::CaptureFiles> files;
  if (!options.pcap_path.empty() && options.capture) {
    capture::CaptureFileOptions file_options;
    file_options.path = options.pcap_path;
    file_options.max_file_bytes = options.file_size_mb * 1'000'000;
    file_options.max_files = options.file_count;
    file_options.snaplen = static_cast<uint32_t>(info.snaplen);
    file_options.hold_ns = kFileHoldNs;
    auto opened = capture::CaptureFiles::Open(file_options);
    if (!opened.ok()) {
      Warn(std::string(opened.status().message()));
      return 1;
    }
    files = std::move(*opened);
  }
  // Drawn only on a terminal, and not where it would mix with what it shows: the JSON lines on
  // stderr, or a launched program's own output on the same terminal (it inherits netcorr's
  // stdout; an attached process writes elsewhere).
  const bool program_on_terminal = options.mode == Mode::kLaunch && isatty(STDOUT_FILENO) == 1;
  TerminalStatus terminal(options.status_line && isatty(STDERR_FILENO) == 1 &&
                          !program_on_terminal && !(options.json_lines && !(*out)->is_file()));
  SetWarningTerminal(&terminal);
  struct TerminalReset {
    ~TerminalReset() { SetWarningTerminal(nullptr); }
  } terminal_reset;

  SessionState state(options, correlator_options, out->get(), &terminal, std::move(files));

  // The capture opens on its own thread: attached, at once (the service has sockets already);
  // launched, when the program first touches the network (SessionState::StartCapture), since
  // opening and closing a packet socket costs ~40 ms of kernel synchronisation that a program
  // without network calls need not wait for. The first traffic call waits for it
  // (SessionState::WidenFilter), so nothing it sends is missed.
  std::unique_ptr<capture::LiveCapture> capture;
  CaptureStats no_capture;
  std::jthread capture_opener;
  std::once_flag capture_started;
  if (options.capture && !place->refusal.empty()) {
    no_capture.available = false;
    no_capture.unavailable_reason = place->refusal_reason;
    Warn(absl::StrCat("tracing without capture: ", place->refusal));
    state.CaptureMissing(no_capture);
  } else if (options.capture) {
    const auto open_capture = [&options, &place, &state, &capture, &no_capture] {
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
    };
    state.SetCaptureStarter([&capture_started, &capture_opener, open_capture] {
      std::call_once(capture_started,
                     [&] { capture_opener = std::jthread(open_capture); });
    });
    if (options.mode == Mode::kAttach) state.StartCapture();
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
  InstallSignalHandlers();
  absl::StatusOr<int> status;
  bool duration_elapsed = false;
  {
    Ticker ticker(
        &state, options.duration_s,
        [&](double elapsed) { terminal.Show(state.Status(elapsed)); },
        [&] {
          if (absl::Status s = WriteSessionReport(state, info, options, **out, /*final=*/false);
              !s.ok()) {
            Warn(absl::StrCat("writing the report so far: ", s.message()));
          }
        });
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

  // Past this point no call can start the capture any more.
  std::call_once(capture_started, [&] {
    if (options.capture && place->refusal.empty()) {
      no_capture.opened = false;
      state.CaptureMissing(no_capture);
    }
  });
  if (capture_opener.joinable()) capture_opener.join();
  CaptureStats final_stats = no_capture;
  if (capture) {
    const TimeNs wait_ns = std::min(state.drain_until_ns() - NowRealtimeNs(), kCaptureDrainNs);
    if (wait_ns > 0) std::this_thread::sleep_for(std::chrono::nanoseconds(wait_ns));
    capture->Stop();
    final_stats = capture->Stats();
  }
  state.Finish(final_stats);
  state.MarkFinished();
  terminal.Clear();
  if (absl::Status written = WriteSessionReport(state, info, options, **out, /*final=*/true);
      !written.ok()) {
    Warn(absl::StrCat("writing the report: ", written.message()));
  }
  if (!status.ok()) return 1;
  return *status;
}

}  // namespace netcorr::cli
