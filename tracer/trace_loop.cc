#include "tracer/trace_loop.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "tracer/seccomp_filter.h"

namespace netcorr::tracer {
namespace {

constexpr int kSeizeOptions = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEEXEC | PTRACE_O_TRACECLONE;
constexpr int kForkOptions = PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK;
// After a stop request a launched program first gets time to end by itself (Ctrl-C reached it
// too, from the terminal: its own SIGINT handling runs undisturbed), then SIGTERM, then SIGKILL.
constexpr TimeNs kSelfExitGraceNs = 500'000'000;
constexpr TimeNs kKillGraceNs = 3'000'000'000;
constexpr TimeNs kDetachWaitNs = 2'000'000'000;

pid_t GetTid() { return static_cast<pid_t>(syscall(SYS_gettid)); }

void SleepMs(int ms) {
  timespec ts{0, ms * 1'000'000L};
  nanosleep(&ts, nullptr);
}

// Reads "Tgid:" (or another field) from /proc/TID/status; 0 if the task is gone.
pid_t ReadStatusField(pid_t tid, const char* field) {
  std::ifstream in(absl::StrCat("/proc/", tid, "/status"));
  std::string line;
  const size_t n = std::strlen(field);
  while (std::getline(in, line)) {
    if (line.compare(0, n, field) == 0) return static_cast<pid_t>(std::atoi(line.c_str() + n));
  }
  return 0;
}

std::string ExePath(pid_t pid) {
  char buf[4096];
  const ssize_t n = readlink(absl::StrCat("/proc/", pid, "/exe").c_str(), buf, sizeof(buf) - 1);
  if (n <= 0) return "";
  return std::string(buf, n);
}

std::vector<int> ListDirNumbers(const std::string& dir) {
  std::vector<int> out;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    out.push_back(std::atoi(e->d_name));
  }
  closedir(d);
  return out;
}

// What the launched child reports through its close-on-exec pipe when a setup step fails.
struct ChildFailure {
  int stage;
  int err;
};
enum ChildStage { kStageGo = 1, kStageGroups, kStageGid, kStageUid, kStageSeccomp, kStageExec };

// Everything below runs in the forked child of a possibly multi-threaded parent: only
// async-signal-safe calls, no allocation.
[[noreturn]] void ChildMain(int go_fd, int err_fd, const LaunchSpec& spec, sock_fprog* prog,
                            char* const* argv) {
  const auto fail = [err_fd](int stage) {
    const ChildFailure f{stage, errno};
    // This write is itself traced once the filter is loaded: the parent resumes it.
    (void)!write(err_fd, &f, sizeof(f));
    _exit(127);
  };
  char go = 0;
  if (read(go_fd, &go, 1) != 1) _exit(127);  // the parent could not seize us
  close(go_fd);
  // The program gets a clean signal state, as if started from a shell: netcorr may block or
  // ignore signals (SIGPIPE, SIGINT...) for its own reasons.
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  signal(SIGPIPE, SIG_DFL);
  if (spec.uid || spec.gid) {
    if (setgroups(spec.groups.size(), spec.groups.data()) != 0) fail(kStageGroups);
    if (spec.gid && setgid(*spec.gid) != 0) fail(kStageGid);
    if (spec.uid && setuid(*spec.uid) != 0) fail(kStageUid);
  }
  // Root may install the filter without no_new_privs (keeping setuid programs working as they
  // do untraced); anyone else must set it first.
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, prog, 0, 0) != 0) {
    if (errno != EACCES || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, prog, 0, 0) != 0) {
      fail(kStageSeccomp);
    }
  }
  execvp(argv[0], argv);
  fail(kStageExec);
  _exit(127);
}

absl::Status ChildFailureStatus(const ChildFailure& f, const std::string& program) {
  switch (f.stage) {
    case kStageGroups:
    case kStageGid:
    case kStageUid:
      return absl::ErrnoToStatus(f.err, "cannot switch to the requested user");
    case kStageSeccomp:
      return absl::ErrnoToStatus(f.err, "cannot install the seccomp filter");
    case kStageExec:
      if (f.err == ENOENT) return absl::NotFoundError(absl::StrCat(program, ": command not found"));
      return absl::ErrnoToStatus(f.err, absl::StrCat("cannot run ", program));
    default:
      return absl::InternalError("the program failed to start");
  }
}

}  // namespace

FdTable::~FdTable() {
  if (pidfd >= 0) close(pidfd);
}

std::shared_ptr<FdTable> FdTable::CopyFor(pid_t child_tgid) const {
  auto t = std::make_shared<FdTable>(child_tgid);
  t->fds = fds;
  t->epoll = epoll;
  return t;
}

TraceLoop::TraceLoop(Mode mode, EventSink* sink, bool follow_forks)
    : mode_(mode), sink_(sink), follow_forks_(follow_forks), owner_tid_(GetTid()) {}

TraceLoop::~TraceLoop() {
  if (tracees_.empty()) return;
  if (mode_ == Mode::kAttach) {
    DetachAll();
    return;
  }
  // PTRACE_O_EXITKILL would kill them when netcorr exits; do it now so none outlives us
  // stopped, and reap them.
  KillAll(SIGKILL);
  const TimeNs deadline = NowRealtimeNs() + kDetachWaitNs;
  while (!tracees_.empty() && NowRealtimeNs() < deadline) {
    int status = 0;
    const pid_t pid = waitpid(-1, &status, __WALL | WNOHANG);
    if (pid < 0) break;
    if (pid == 0) {
      SleepMs(1);
      continue;
    }
    const WaitStatus ws = WaitStatus::Decode(status);
    if (ws.kind == WaitStatus::Kind::kExited || ws.kind == WaitStatus::Kind::kKilled) {
      tracees_.erase(pid);
    }
  }
}

absl::Status TraceLoop::LaunchProgram(const LaunchSpec& spec) {
  if (spec.argv.empty()) return absl::InvalidArgumentError("no program to run");
  absl::StatusOr<SeccompProgram> program = BuildSeccompProgram(spec.trace_read_write);
  if (!program.ok()) return program.status();
  sock_fprog prog = program->prog();
  std::vector<char*> argv;
  for (const std::string& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  int go[2];
  int err[2];
  if (pipe2(go, O_CLOEXEC) != 0) return absl::ErrnoToStatus(errno, "pipe2");
  if (pipe2(err, O_CLOEXEC) != 0) {
    close(go[0]);
    close(go[1]);
    return absl::ErrnoToStatus(errno, "pipe2");
  }
  const pid_t child = fork();
  if (child < 0) {
    const int e = errno;
    for (int fd : {go[0], go[1], err[0], err[1]}) close(fd);
    return absl::ErrnoToStatus(e, "fork");
  }
  if (child == 0) {
    close(go[1]);
    close(err[0]);
    ChildMain(go[0], err[1], spec, &prog, argv.data());
  }
  close(go[0]);
  close(err[1]);
  absl::Cleanup close_pipes = [&] {
    close(go[1]);
    close(err[0]);
  };
  const auto kill_child = [child] {
    kill(child, SIGKILL);
    int st;
    while (waitpid(child, &st, __WALL) < 0 && errno == EINTR) {
    }
  };
  main_pid_ = child;
  main_tgids_.insert(child);
  int options = kSeizeOptions | PTRACE_O_TRACESECCOMP | PTRACE_O_EXITKILL | kForkOptions;
  if (ptrace(PTRACE_SEIZE, child, 0, options) != 0) {
    const int e = errno;
    kill_child();
    return absl::ErrnoToStatus(e, "ptrace(PTRACE_SEIZE) of the launched program");
  }
  auto t = std::make_unique<Tracee>();
  t->tid = t->tgid = child;
  t->table = std::make_shared<FdTable>(child);
  tracees_[child] = std::move(t);
  const char byte = 1;
  if (write(go[1], &byte, 1) != 1) {
    const int e = errno;
    kill_child();
    tracees_.clear();
    return absl::ErrnoToStatus(e, "starting the child");
  }
  // Until exec succeeds, only the child's failure report can stop at the filter.
  for (;;) {
    int status = 0;
    if (waitpid(child, &status, __WALL) < 0) {
      if (errno == EINTR) continue;
      const int e = errno;
      tracees_.clear();
      return absl::ErrnoToStatus(e, "waitpid(launched program)");
    }
    const WaitStatus ws = WaitStatus::Decode(status);
    switch (ws.kind) {
      case WaitStatus::Kind::kExecEvent:
        initially_stopped_.push_back(child);
        initial_events_.push_back(ProcessEvent{
            ProcessEvent::Kind::kStarted, child, NowRealtimeNs(), 0, ExePath(child), 0, {}});
        return absl::OkStatus();
      case WaitStatus::Kind::kExited:
      case WaitStatus::Kind::kKilled: {
        tracees_.clear();
        ChildFailure f{0, 0};
        if (read(err[0], &f, sizeof(f)) == sizeof(f)) return ChildFailureStatus(f, spec.argv[0]);
        return absl::InternalError(
            absl::StrCat("the program died before it started (", ws.ToString(), ")"));
      }
      case WaitStatus::Kind::kSignalStop:
        ptrace(PTRACE_CONT, child, 0, ws.code);
        break;
      case WaitStatus::Kind::kGroupStop:
        ptrace(PTRACE_LISTEN, child, 0, 0);
        break;
      default:
        ptrace(PTRACE_CONT, child, 0, 0);
        break;
    }
  }
}

absl::Status TraceLoop::AttachProcesses(const std::vector<pid_t>& pids) {
  if (pids.empty()) return absl::InvalidArgumentError("no process to attach to");
  int options = kSeizeOptions | (follow_forks_ ? kForkOptions : 0);
  const auto undo = [this] { DetachAll(); };
  for (pid_t requested : pids) {
    if (requested <= 0 || (kill(requested, 0) != 0 && errno == ESRCH)) {
      undo();
      return absl::NotFoundError(absl::StrCat("no such process: ", requested));
    }
    // A thread id given: attach its whole process.
    pid_t pid = ReadStatusField(requested, "Tgid:");
    if (pid == 0) {
      undo();
      return absl::NotFoundError(absl::StrCat("no such process: ", requested));
    }
    if (main_pid_ == 0) main_pid_ = pid;
    if (!main_tgids_.insert(pid).second) continue;
    auto table = std::make_shared<FdTable>(pid);
    // Threads may be created while we attach: rescan until the set is stable (bounded).
    for (int pass = 0; pass < 20; ++pass) {
      bool added = false;
      for (int tid : ListDirNumbers(absl::StrCat("/proc/", pid, "/task"))) {
        if (tracees_.contains(tid)) continue;
        if (ptrace(PTRACE_SEIZE, tid, 0, options) != 0) {
          if (errno == ESRCH) continue;  // the thread exited meanwhile
          // A thread cloned by one we already seized is ours through PTRACE_O_TRACECLONE:
          // seizing it again fails with EPERM, but it is traced, by us.
          if (errno == EPERM && ReadStatusField(tid, "TracerPid:") == getpid()) continue;
          const int e = errno;
          undo();
          return absl::ErrnoToStatus(e, absl::StrCat("cannot attach to process ", pid));
        }
        auto t = std::make_unique<Tracee>();
        t->tid = tid;
        t->tgid = pid;
        t->table = table;
        tracees_[tid] = std::move(t);
        ptrace(PTRACE_INTERRUPT, tid, 0, 0);
        added = true;
      }
      if (!added) break;
    }
    if (!tracees_.contains(pid)) {
      undo();
      return absl::NotFoundError(absl::StrCat("no such process: ", pid));
    }
    // Sockets already open: resolve them now so later calls and the capture know their flows.
    ProcessEvent attached{
        ProcessEvent::Kind::kAttached, pid, NowRealtimeNs(), 0, ExePath(pid), 0, {}};
    Tracee& leader = *tracees_[pid];
    for (int fd : ListDirNumbers(absl::StrCat("/proc/", pid, "/fd"))) {
      FdEntry* f = Lookup(leader, fd);
      if (f != nullptr && f->kind == FdKind::kSocket) attached.sockets.push_back({fd, f->identity});
    }
    initial_events_.push_back(std::move(attached));
  }
  return absl::OkStatus();
}

void TraceLoop::ProcessEventNow(ProcessEvent::Kind kind, pid_t pid, int status, std::string detail,
                                pid_t parent) {
  sink_->OnProcess(ProcessEvent{kind, pid, NowRealtimeNs(), status, std::move(detail), parent, {}});
}

absl::StatusOr<int> TraceLoop::Run() {
  if (GetTid() != owner_tid_) {
    return absl::FailedPreconditionError(
        "Tracer::Run must be called on the thread that launched or attached (ptrace rule)");
  }
  running_.store(true);
  absl::Cleanup not_running = [this] { running_.store(false); };
  for (const ProcessEvent& e : initial_events_) sink_->OnProcess(e);
  initial_events_.clear();
  for (pid_t tid : initially_stopped_) Resume(tid, 0, false);
  initially_stopped_.clear();

  while (!tracees_.empty()) {
    if (stop_requested_.load() && !stopping_) {
      HandleStopRequest();
      if (mode_ == Mode::kAttach) break;
      continue;
    }
    int status = 0;
    pid_t tid;
    if (stopping_) {
      // Tearing down a launched program: poll so the grace period can end in SIGKILL.
      tid = waitpid(-1, &status, __WALL | WNOHANG);
      if (tid == 0) {
        const TimeNs t = NowRealtimeNs();
        if (!termed_ && t > term_deadline_ns_) {
          absl::flat_hash_set<pid_t> groups;
          for (auto& [other, tr] : tracees_) groups.insert(tr->tgid);
          for (pid_t g : groups) kill(g, SIGTERM);
          termed_ = true;
          kill_deadline_ns_ = t + kKillGraceNs;
        } else if (termed_ && !killed_hard_ && t > kill_deadline_ns_) {
          KillAll(SIGKILL);
          killed_hard_ = true;
        }
        SleepMs(2);
        continue;
      }
    } else {
      tid = waitpid(-1, &status, __WALL);
    }
    if (tid < 0) {
      if (errno == EINTR) continue;
      if (errno == ECHILD) break;
      return absl::ErrnoToStatus(errno, "waitpid");
    }
    Handle(tid, WaitStatus::Decode(status));
  }
  // Threads that vanished without a report (never expected; bounded anyway).
  const TimeNs now = NowRealtimeNs();
  for (auto& [tid, t] : tracees_) EmitUnfinished(*t, now);
  if (mode_ == Mode::kAttach) return 0;
  return exit_status_.value_or(0);
}

void TraceLoop::RequestStop() {
  stop_requested_.store(true);
  if (!running_.load()) return;
  // Wake a waitpid() that may be blocked in Run(): a child that exits at once is a state change
  // waitpid(-1) reports. Raw clone() is async-signal-safe (no atfork handlers, no allocation).
  const long pid = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
  if (pid == 0) syscall(SYS_exit_group, 0);
}

void TraceLoop::HandleStopRequest() {
  stopping_ = true;
  const TimeNs now = NowRealtimeNs();
  for (auto& [tid, t] : tracees_) EmitUnfinished(*t, now);
  if (mode_ == Mode::kAttach) {
    DetachAll();
    return;
  }
  // Launch: let the program end by itself, then ask like `timeout` would, then insist (Run's
  // polling loop does both).
  term_deadline_ns_ = now + kSelfExitGraceNs;
}

void TraceLoop::KillAll(int sig) {
  for (auto& [tid, t] : tracees_) syscall(SYS_tgkill, t->tgid, tid, sig);
}

void TraceLoop::DetachAll() {
  const TimeNs now = NowRealtimeNs();
  for (auto& [tid, t] : tracees_) {
    EmitUnfinished(*t, now);
    ptrace(PTRACE_INTERRUPT, tid, 0, 0);
  }
  absl::flat_hash_set<pid_t> announced;
  const TimeNs deadline = now + kDetachWaitNs;
  while (!tracees_.empty() && NowRealtimeNs() < deadline) {
    int status = 0;
    const pid_t tid = waitpid(-1, &status, __WALL | WNOHANG);
    if (tid < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (tid == 0) {
      SleepMs(1);
      continue;
    }
    auto it = tracees_.find(tid);
    if (it == tracees_.end()) {
      // A child or thread auto-attached through the fork/clone options whose first stop came
      // before we adopted it: never leave it stopped behind us.
      const WaitStatus unknown = WaitStatus::Decode(status);
      if (unknown.kind != WaitStatus::Kind::kExited && unknown.kind != WaitStatus::Kind::kKilled) {
        ptrace(PTRACE_DETACH, tid, 0, 0);
      }
      continue;
    }
    const pid_t tgid = it->second->tgid;
    const WaitStatus ws = WaitStatus::Decode(status);
    if (ws.kind == WaitStatus::Kind::kExited || ws.kind == WaitStatus::Kind::kKilled) {
      OnGone(tid, ws);
      continue;
    }
    // A signal caught on its way to the tracee is handed over, not lost.
    const int sig = ws.kind == WaitStatus::Kind::kSignalStop ? ws.code : 0;
    ptrace(PTRACE_DETACH, tid, 0, sig);
    tracees_.erase(it);
    if (main_tgids_.contains(tgid) || follow_forks_) {
      if (announced.insert(tgid).second)
        ProcessEventNow(ProcessEvent::Kind::kDetached, tgid, 0, "");
    }
  }
  // Anything left could not be stopped in time (e.g. in uninterruptible sleep). The kernel
  // detaches them when we exit, since attach mode never sets PTRACE_O_EXITKILL.
  tracees_.clear();
}

TraceLoop::Tracee* TraceLoop::Find(pid_t tid) {
  auto it = tracees_.find(tid);
  return it == tracees_.end() ? nullptr : it->second.get();
}

TraceLoop::Tracee& TraceLoop::Adopt(pid_t tid, const Tracee* parent) {
  auto t = std::make_unique<Tracee>();
  t->tid = tid;
  t->tgid = ReadStatusField(tid, "Tgid:");
  if (t->tgid == 0) t->tgid = tid;
  if (parent == nullptr) {
    // The child reported before its parent's fork event: find the parent from /proc.
    const pid_t ppid = ReadStatusField(tid, "PPid:");
    for (auto& [other_tid, other] : tracees_) {
      if (other->tgid == t->tgid || other->tgid == ppid) {
        parent = other.get();
        if (other->tgid == t->tgid) break;
      }
    }
  }
  if (parent != nullptr && parent->tgid == t->tgid) {
    t->table = parent->table;  // a thread: same fd table
  } else if (parent != nullptr) {
    t->table = parent->table->CopyFor(t->tgid);
  } else {
    t->table = std::make_shared<FdTable>(t->tgid);
  }
  t->report = follow_forks_ || main_tgids_.contains(t->tgid);
  const bool new_process = parent == nullptr || parent->tgid != t->tgid;
  if (new_process && mode_ == Mode::kAttach && !follow_forks_) t->detach_on_stop = true;
  Tracee& ref = *t;
  tracees_[tid] = std::move(t);
  if (new_process && ref.report) {
    ProcessEventNow(ProcessEvent::Kind::kStarted, ref.tgid, 0, ExePath(ref.tgid),
                    parent != nullptr ? parent->tgid : 0);
  }
  return ref;
}

void TraceLoop::OnNewChild(Tracee& parent, pid_t child) {
  // The child may have reported its first stop before this event; then it is known already.
  if (Find(child) == nullptr) Adopt(child, &parent);
}

void TraceLoop::Resume(pid_t tid, int sig, bool want_exit) {
  const int req = (mode_ == Mode::kAttach || want_exit) ? PTRACE_SYSCALL : PTRACE_CONT;
  // ESRCH: the tracee was killed meanwhile; waitpid will report it.
  ptrace(static_cast<__ptrace_request>(req), tid, 0, sig);
}

void TraceLoop::OnGone(pid_t tid, const WaitStatus& ws) {
  auto it = tracees_.find(tid);
  if (it == tracees_.end()) return;
  Tracee& t = *it->second;
  if (t.call && t.call->interrupted && ws.kind == WaitStatus::Kind::kExited && !stopping_) {
    // The thread ran on to exit by itself after the signal: the interrupted call returned to
    // it with EINTR (a restart would have stopped at the filter again).
    InFlight c = std::move(*t.call);
    t.call.reset();
    c.event.exit_ns = c.interrupted_ns;
    c.event.error = EINTR;
    Emit(t, c);
  }
  EmitUnfinished(t, NowRealtimeNs());
  const pid_t tgid = t.tgid;
  const bool report = t.report;
  tracees_.erase(it);
  // The kernel reports a thread group's leader last, so the leader's end is the process's end.
  if (tid != tgid) return;
  if (tid == main_pid_) {
    exit_status_ = ws.kind == WaitStatus::Kind::kExited ? ws.code : 128 + ws.code;
  }
  if (!report) return;
  if (ws.kind == WaitStatus::Kind::kExited) {
    ProcessEventNow(ProcessEvent::Kind::kExited, tgid, ws.code, "");
  } else {
    ProcessEventNow(ProcessEvent::Kind::kKilled, tgid, ws.code,
                    ws.core_dumped ? "(core dumped)" : "");
  }
}

void TraceLoop::OnExec(Tracee& t) {
  unsigned long former = 0;
  ptrace(PTRACE_GETEVENTMSG, t.tid, 0, &former);
  if (static_cast<pid_t>(former) != t.tid) {
    // A non-leader thread exec'd: it now has the leader's tid and the old thread is gone
    // without an exit report.
    tracees_.erase(static_cast<pid_t>(former));
  }
  t.call.reset();
  // Close-on-exec fds are gone; forget every fd and learn them again lazily from /proc.
  t.table->fds.clear();
  t.table->epoll.clear();
  if (t.report) ProcessEventNow(ProcessEvent::Kind::kExec, t.tgid, 0, ExePath(t.tgid));
}

void TraceLoop::Handle(pid_t tid, const WaitStatus& ws) {
  Tracee* t = Find(tid);
  if (t == nullptr) {
    if (ws.kind == WaitStatus::Kind::kExited || ws.kind == WaitStatus::Kind::kKilled) {
      return;  // a RequestStop() waker, or a tracee already forgotten
    }
    t = &Adopt(tid, nullptr);
  }
  if (t->detach_on_stop && ws.kind != WaitStatus::Kind::kExited &&
      ws.kind != WaitStatus::Kind::kKilled) {
    ptrace(PTRACE_DETACH, tid, 0, ws.kind == WaitStatus::Kind::kSignalStop ? ws.code : 0);
    tracees_.erase(tid);
    return;
  }
  switch (ws.kind) {
    case WaitStatus::Kind::kExited:
    case WaitStatus::Kind::kKilled:
      OnGone(tid, ws);
      return;
    case WaitStatus::Kind::kSeccompStop:
    case WaitStatus::Kind::kSyscallStop: {
      __ptrace_syscall_info info{};
      const long n = ptrace(PTRACE_GET_SYSCALL_INFO, tid, sizeof(info), &info);
      bool want_exit = false;
      if (n > 0) {
        if (info.op == PTRACE_SYSCALL_INFO_SECCOMP) {
          want_exit = OnEntry(*t, info.seccomp.nr, info.seccomp.args);
        } else if (info.op == PTRACE_SYSCALL_INFO_ENTRY) {
          want_exit = OnEntry(*t, info.entry.nr, info.entry.args);
        } else if (info.op == PTRACE_SYSCALL_INFO_EXIT) {
          OnExit(*t, info.exit.rval, info.exit.is_error != 0);
        }
      }
      Resume(tid, 0, want_exit);
      return;
    }
    case WaitStatus::Kind::kForkEvent:
    case WaitStatus::Kind::kVforkEvent:
    case WaitStatus::Kind::kCloneEvent: {
      unsigned long child = 0;
      if (ptrace(PTRACE_GETEVENTMSG, tid, 0, &child) == 0 && child != 0) {
        OnNewChild(*t, static_cast<pid_t>(child));
      }
      Resume(tid, 0, false);
      return;
    }
    case WaitStatus::Kind::kExecEvent:
      OnExec(*t);
      Resume(tid, 0, false);
      return;
    case WaitStatus::Kind::kGroupStop:
      // The tracee stays stopped (job control works as without netcorr) until SIGCONT.
      ptrace(PTRACE_LISTEN, tid, 0, 0);
      return;
    case WaitStatus::Kind::kSignalStop:
      Resume(tid, ws.code, false);
      return;
    case WaitStatus::Kind::kInterruptStop:
    case WaitStatus::Kind::kVforkDoneEvent:
    case WaitStatus::Kind::kExitEvent:
    case WaitStatus::Kind::kUnknown:
      Resume(tid, 0, false);
      return;
  }
}

}  // namespace netcorr::tracer
