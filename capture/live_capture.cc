#include "capture/live_capture.h"

#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <optional>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace netcorr::capture {

namespace {

// Opening a handle is quick; if the thread has not answered in this time something in the
// kernel is stuck and the caller should trace without capture rather than wait.
constexpr absl::Duration kOpenTimeout = absl::Seconds(10);
// A filter change is two setsockopt calls on the capture thread; the thread reaches the
// request within one poll timeout. This bounds the wait if the thread died meanwhile.
constexpr absl::Duration kFilterTimeout = absl::Seconds(10);
constexpr int kMaxSnaplen = 262144;

// An fd closed when it goes out of scope.
class ScopedFd {
 public:
  explicit ScopedFd(int fd = -1) : fd_(fd) {}
  ~ScopedFd() {
    if (fd_ >= 0) close(fd_);
  }
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

std::string LiveCapture::NoPrivilegeHint() {
  // Measured (docs/privileges.md): an AF_PACKET socket needs CAP_NET_RAW, setns into a network
  // namespace CAP_SYS_ADMIN; nothing here needs CAP_NET_ADMIN (not promiscuous, the ring
  // buffer is mmap'ed).
  return "packet capture needs CAP_NET_RAW (and CAP_SYS_ADMIN to enter another network "
         "namespace): run netcorr as root (sudo), or grant them with `sudo setcap "
         "cap_net_raw,cap_sys_admin+ep $(command -v netcorr)`";
}

// One libpcap handle and the thread that owns it. Every pcap call on the handle after
// activation happens on that thread: libpcap handles are not thread-safe, so filter changes
// and stats reads are requests the thread serves between reads.
class LiveCapture::Worker {
 public:
  Worker(std::string interface, const LiveCaptureOptions& options, PacketCallback callback)
      : interface_(std::move(interface)), options_(options), callback_(std::move(callback)) {}

  ~Worker() { Stop(); }

  // Starts the thread and waits until the handle is active with the initial filter.
  absl::Status Start() {
    wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd_ < 0) return absl::ErrnoToStatus(errno, "eventfd");
    thread_ = std::thread([this] { Run(); });
    if (!ready_.WaitForNotificationWithTimeout(kOpenTimeout)) {
      return absl::DeadlineExceededError(absl::StrCat("opening capture on ", interface_,
                                                      " did not finish in ",
                                                      absl::FormatDuration(kOpenTimeout)));
    }
    return open_status_;
  }

  absl::Status SetFilter(const std::string& expression) {
    absl::MutexLock lock(&mu_);
    if (exited_) return absl::FailedPreconditionError(ExitMessage());
    const uint64_t generation = ++requested_generation_;
    requested_expression_ = expression;
    Wake();
    auto done = [this, generation] {
      mu_.AssertReaderHeld();
      return applied_generation_ >= generation || exited_;
    };
    if (!mu_.AwaitWithTimeout(absl::Condition(&done), kFilterTimeout)) {
      return absl::DeadlineExceededError(
          absl::StrCat("capture on ", interface_, " did not install the filter in time"));
    }
    if (applied_generation_ < generation) return absl::FailedPreconditionError(ExitMessage());
    return applied_status_;
  }

  void Stop() {
    stop_.store(true);
    {
      absl::MutexLock lock(&mu_);
      if (handle_ != nullptr) pcap_breakloop(handle_);
    }
    Wake();
    if (thread_.joinable()) thread_.join();
    if (wake_fd_ >= 0) {
      close(wake_fd_);
      wake_fd_ = -1;
    }
  }

  CaptureStats Stats() const {
    absl::MutexLock lock(&mu_);
    return stats_;
  }

  int link_type() const { return link_type_; }

 private:
  void Wake() {
    if (wake_fd_ < 0) return;
    const uint64_t one = 1;
    // A full counter (impossible in practice) still leaves the fd readable: nothing to do.
    (void)!write(wake_fd_, &one, sizeof(one));
  }

  std::string ExitMessage() const {
    return absl::StrCat("capture on ", interface_, " has stopped", exit_reason_.empty() ? "" : ": ",
                        exit_reason_);
  }

  absl::Status Open() {
    if (!options_.netns_path.empty()) {
      // setns changes only this thread's namespace: the handle is created, and stays, in the
      // traced program's namespace while the rest of netcorr stays where it was.
      ScopedFd ns(open(options_.netns_path.c_str(), O_RDONLY | O_CLOEXEC));
      if (ns.get() < 0) {
        return absl::ErrnoToStatus(
            errno, absl::StrCat("cannot open network namespace ", options_.netns_path));
      }
      if (setns(ns.get(), CLONE_NEWNET) != 0) {
        const int e = errno;
        absl::Status s = absl::ErrnoToStatus(
            e, absl::StrCat("cannot enter network namespace ", options_.netns_path));
        if (e == EPERM) {
          return absl::PermissionDeniedError(absl::StrCat(s.message(), "; ", NoPrivilegeHint()));
        }
        return s;
      }
    }
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    pcap_t* h = pcap_create(interface_.c_str(), errbuf);
    if (h == nullptr) {
      return absl::InternalError(absl::StrCat("pcap_create(", interface_, "): ", errbuf));
    }
    pcap_set_snaplen(h, options_.snaplen);
    pcap_set_promisc(h, 0);  // only the traced program's own packets matter
    pcap_set_immediate_mode(h, 1);
    pcap_set_buffer_size(h, options_.buffer_bytes);
    pcap_set_tstamp_precision(h, PCAP_TSTAMP_PRECISION_NANO);
    const int rc = pcap_activate(h);
    if (rc < 0) {
      std::string detail = rc == PCAP_ERROR ? pcap_geterr(h) : pcap_statustostr(rc);
      pcap_close(h);
      const std::string what = absl::StrCat("cannot capture on ", interface_, ": ", detail);
      if (rc == PCAP_ERROR_PERM_DENIED) {
        return absl::PermissionDeniedError(absl::StrCat(what, "; ", NoPrivilegeHint()));
      }
      if (rc == PCAP_ERROR_NO_SUCH_DEVICE) {
        return absl::NotFoundError(
            absl::StrCat("no interface ", interface_, " in the capture's network namespace"));
      }
      return absl::UnavailableError(what);
    }
    if (pcap_setnonblock(h, 1, errbuf) != 0) {
      pcap_close(h);
      return absl::InternalError(absl::StrCat("pcap_setnonblock(", interface_, "): ", errbuf));
    }
    link_type_ = pcap_datalink(h);
    {
      absl::MutexLock lock(&mu_);
      handle_ = h;
    }
    return ApplyFilter(options_.initial_filter.expression);
  }

  absl::Status ApplyFilter(const std::string& expression) {
    bpf_program prog{};
    if (pcap_compile(handle_, &prog, expression.c_str(), /*optimize=*/1, PCAP_NETMASK_UNKNOWN) !=
        0) {
      return absl::InvalidArgumentError(absl::StrCat("capture filter does not compile on ",
                                                     interface_, ": ", pcap_geterr(handle_)));
    }
    const int rc = pcap_setfilter(handle_, &prog);
    pcap_freecode(&prog);
    if (rc != 0) {
      return absl::InternalError(
          absl::StrCat("pcap_setfilter(", interface_, "): ", pcap_geterr(handle_)));
    }
    return absl::OkStatus();
  }

  void ServeFilterRequest() {
    std::optional<std::string> expression;
    uint64_t generation = 0;
    {
      absl::MutexLock lock(&mu_);
      if (requested_generation_ == applied_generation_) return;
      generation = requested_generation_;
      expression = requested_expression_;
    }
    absl::Status s = ApplyFilter(*expression);
    absl::MutexLock lock(&mu_);
    applied_generation_ = generation;
    applied_status_ = s;
  }

  void RefreshStats() {
    pcap_stat ps{};
    if (pcap_stats(handle_, &ps) != 0) return;
    absl::MutexLock lock(&mu_);
    // `received` is what this handle delivered, not ps_recv: the kernel counts both copies of
    // a loopback packet (outgoing and incoming) and libpcap discards the outgoing one, so
    // ps_recv would be twice the packets a user sees on `lo`.
    stats_.received = delivered_;
    stats_.kernel_dropped = ps.ps_drop;
    stats_.interface_dropped = ps.ps_ifdrop;
  }

  static void OnPacket(u_char* user, const pcap_pkthdr* h, const u_char* bytes) {
    auto* self = reinterpret_cast<Worker*>(user);
    RawPacket p;
    // Nanosecond precision was set: tv_usec holds nanoseconds.
    p.ts = static_cast<TimeNs>(h->ts.tv_sec) * 1'000'000'000 + h->ts.tv_usec;
    p.link_type = self->link_type_;
    p.wire_len = h->len;
    p.bytes.assign(bytes, bytes + h->caplen);
    p.interface = self->interface_;
    self->callback_(std::move(p));
    absl::MutexLock lock(&self->mu_);
    ++self->delivered_;
  }

  // Reads everything the ring holds now; false if the handle failed (interface gone).
  bool Drain() {
    int n = pcap_dispatch(handle_, -1, &Worker::OnPacket, reinterpret_cast<u_char*>(this));
    // Stop()'s pcap_breakloop makes one dispatch return at once (clearing the flag): what the
    // ring still holds must be delivered all the same.
    if (n == PCAP_ERROR_BREAK) {
      n = pcap_dispatch(handle_, -1, &Worker::OnPacket, reinterpret_cast<u_char*>(this));
    }
    if (n == PCAP_ERROR) {
      absl::MutexLock lock(&mu_);
      exit_reason_ = pcap_geterr(handle_);
      return false;
    }
    return true;
  }

  // Waits up to batch_interval_ms unless a filter request or Stop() wakes the thread (the wake
  // fd stays readable, so the next poll serves it at once). Bounded by the interval.
  void LetPacketsGather(pollfd wake) {
    wake.revents = 0;
    (void)poll(&wake, 1, options_.batch_interval_ms);
  }

  void Run() {
    open_status_ = Open();
    if (!open_status_.ok()) {
      absl::MutexLock lock(&mu_);
      exited_ = true;
      exit_reason_ = std::string(open_status_.message());
      ready_.Notify();
      return;
    }
    ready_.Notify();
    const int pcap_fd = pcap_get_selectable_fd(handle_);
    while (!stop_.load()) {
      pollfd fds[2] = {{pcap_fd, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
      const int rc = poll(fds, 2, options_.poll_timeout_ms);
      if (rc < 0 && errno != EINTR) {
        absl::MutexLock lock(&mu_);
        exit_reason_ = absl::StrCat("poll: ", strerror(errno));
        break;
      }
      if (fds[1].revents & POLLIN) {
        uint64_t count;
        (void)!read(wake_fd_, &count, sizeof(count));
      }
      // Packets already queued were accepted by the old filter: deliver them first.
      if (!Drain()) break;
      ServeFilterRequest();
      RefreshStats();
      if (options_.batch_interval_ms > 0 && !stop_.load()) LetPacketsGather(fds[1]);
    }
    Drain();
    RefreshStats();
    absl::MutexLock lock(&mu_);
    exited_ = true;
    pcap_close(handle_);
    handle_ = nullptr;
  }

  const std::string interface_;
  const LiveCaptureOptions& options_;
  PacketCallback callback_;
  std::thread thread_;
  int wake_fd_ = -1;
  std::atomic<bool> stop_{false};
  absl::Notification ready_;
  absl::Status open_status_;  // written before ready_ is notified
  int link_type_ = 0;         // written before ready_ is notified

  mutable absl::Mutex mu_;
  // Written under mu_ by the capture thread, read unlocked only by that thread; other threads
  // read it under mu_ (pcap_breakloop in Stop).
  pcap_t* handle_ = nullptr;
  uint64_t requested_generation_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t applied_generation_ ABSL_GUARDED_BY(mu_) = 0;
  std::string requested_expression_ ABSL_GUARDED_BY(mu_);
  absl::Status applied_status_ ABSL_GUARDED_BY(mu_);
  bool exited_ ABSL_GUARDED_BY(mu_) = false;
  std::string exit_reason_ ABSL_GUARDED_BY(mu_);
  uint64_t delivered_ ABSL_GUARDED_BY(mu_) = 0;
  CaptureStats stats_ ABSL_GUARDED_BY(mu_);
};

absl::StatusOr<std::unique_ptr<LiveCapture>> LiveCapture::Open(LiveCaptureOptions options,
                                                               PacketCallback callback) {
  if (options.snaplen <= 0 || options.snaplen > kMaxSnaplen) {
    return absl::InvalidArgumentError(
        absl::StrCat("snap length ", options.snaplen, " is out of range 1..", kMaxSnaplen));
  }
  if (options.interfaces.empty()) options.interfaces.push_back("any");
  std::unique_ptr<LiveCapture> capture(new LiveCapture());
  capture->options_ = std::move(options);
  for (const std::string& name : capture->options_.interfaces) {
    auto worker = std::make_unique<Worker>(name, capture->options_, callback);
    absl::Status s = worker->Start();
    if (!s.ok()) {
      worker->Stop();
      capture->Stop();
      return s;
    }
    capture->workers_.push_back(std::move(worker));
  }
  return capture;
}

LiveCapture::~LiveCapture() { Stop(); }

absl::Status LiveCapture::SetFilter(const CaptureFilter& filter) {
  for (auto& w : workers_) {
    absl::Status s = w->SetFilter(filter.expression);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<CaptureFilter> LiveCapture::UpdateFilter(absl::Span<const FlowTerm> terms) {
  CaptureFilter f = BuildCaptureFilter(terms);
  absl::Status s = SetFilter(f);
  if (!s.ok()) return s;
  return f;
}

void LiveCapture::Stop() {
  for (auto& w : workers_) w->Stop();
}

CaptureStats LiveCapture::Stats() const {
  CaptureStats total;
  for (const auto& w : workers_) {
    const CaptureStats s = w->Stats();
    total.received += s.received;
    total.kernel_dropped += s.kernel_dropped;
    total.interface_dropped += s.interface_dropped;
  }
  return total;
}

std::vector<int> LiveCapture::link_types() const {
  std::vector<int> types;
  for (const auto& w : workers_) types.push_back(w->link_type());
  return types;
}

}  // namespace netcorr::capture
