// The ptrace event loop: waiting for stops, dispatching them, following forks, clones and
// execs, and stopping (detach, or the launched program's end). The per-call work is in
// call_entry.cc and call_exit.cc; starting (launch, attach) in tracee_start.cc.

#include "tracer/trace_loop.h"

#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"

namespace netcorr::tracer {
namespace {

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

}  // namespace

TraceLoop::TraceLoop(Mode mode, EventSink* sink, bool follow_forks, std::unique_ptr<TraceeOs> os)
    : mode_(mode),
      sink_(sink),
      follow_forks_(follow_forks),
      owner_tid_(GetTid()),
      os_(os != nullptr ? std::move(os) : LiveTraceeOs()) {}

TraceLoop::~TraceLoop() {
  if (tracees_.empty()) return;
  if (mode_ == Mode::kAttach) {
    DetachAll();
    return;
  }
  // PTRACE_O_EXITKILL would kill them when netcorr exits; do it now so none outlives us
  // stopped, and reap them.
  KillAll(SIGKILL);
  const TimeNs deadline = os_->Now() + kDetachWaitNs;
  while (!tracees_.empty() && os_->Now() < deadline) {
    int status = 0;
    const pid_t pid = os_->Wait(&status, /*nohang=*/true);
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

void TraceLoop::ProcessEventNow(ProcessEvent::Kind kind, pid_t pid, int status, std::string detail,
                                pid_t parent) {
  ProcessEvent e{kind, pid, os_->Now(), status, std::move(detail), parent, {}};
  e.ended_by_netcorr = stopping_;
  sink_->OnProcess(std::move(e));
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
      tid = os_->Wait(&status, /*nohang=*/true);
      if (tid == 0) {
        const TimeNs t = os_->Now();
        if (!termed_ && t > term_deadline_ns_) {
          absl::flat_hash_set<pid_t> groups;
          for (auto& [other, tr] : tracees_) groups.insert(tr->tgid);
          for (pid_t g : groups) os_->Kill(g, 0, SIGTERM);
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
      tid = os_->Wait(&status, /*nohang=*/false);
    }
    if (tid < 0) {
      if (errno == EINTR) continue;
      if (errno == ECHILD) break;
      return absl::ErrnoToStatus(errno, "waitpid");
    }
    Handle(tid, WaitStatus::Decode(status));
  }
  // Threads that vanished without a report (never expected; bounded anyway).
  const TimeNs now = os_->Now();
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
  const TimeNs now = os_->Now();
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
  for (auto& [tid, t] : tracees_) os_->Kill(t->tgid, tid, sig);
}

void TraceLoop::DetachAll() {
  const TimeNs now = os_->Now();
  for (auto& [tid, t] : tracees_) {
    EmitUnfinished(*t, now);
    os_->Interrupt(tid);
  }
  absl::flat_hash_set<pid_t> announced;
  const TimeNs deadline = now + kDetachWaitNs;
  while (!tracees_.empty() && os_->Now() < deadline) {
    int status = 0;
    const pid_t tid = os_->Wait(&status, /*nohang=*/true);
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
        os_->Detach(tid, 0);
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
    os_->Detach(tid, sig);
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
  t->tgid = os_->StatusField(tid, "Tgid:");
  if (t->tgid == 0) t->tgid = tid;
  if (parent == nullptr) {
    // The child reported before its parent's fork event: find the parent from /proc.
    const pid_t ppid = os_->StatusField(tid, "PPid:");
    for (auto& [other_tid, other] : tracees_) {
      if (other->tgid == t->tgid || other->tgid == ppid) {
        parent = other.get();
        if (other->tgid == t->tgid) break;
      }
    }
  }
  if (parent != nullptr && parent->tgid == t->tgid) {
    t->fds = parent->fds;  // a thread: same fd table
  } else {
    t->fds = std::make_shared<ProcessFds>(t->tgid);
    if (parent != nullptr) t->fds->table = parent->fds->table.ForkedCopy();
  }
  t->report = follow_forks_ || main_tgids_.contains(t->tgid);
  const bool new_process = parent == nullptr || parent->tgid != t->tgid;
  if (new_process && mode_ == Mode::kAttach && !follow_forks_) t->detach_on_stop = true;
  Tracee& ref = *t;
  tracees_[tid] = std::move(t);
  if (new_process && ref.report) {
    ProcessEventNow(ProcessEvent::Kind::kStarted, ref.tgid, 0, os_->ExePath(ref.tgid),
                    parent != nullptr ? parent->tgid : 0);
  }
  return ref;
}

void TraceLoop::OnNewChild(Tracee& parent, pid_t child) {
  // The child may have reported its first stop before this event; then it is known already.
  if (Find(child) == nullptr) Adopt(child, &parent);
}

void TraceLoop::Resume(pid_t tid, int sig, bool want_exit) {
  os_->Resume(tid, /*to_next_syscall_stop=*/mode_ == Mode::kAttach || want_exit, sig);
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
  EmitUnfinished(t, os_->Now());
  const pid_t tgid = t.tgid;
  const bool report = t.report;
  tracees_.erase(it);
  // The kernel reports a thread group's leader last, so the leader's end is the process's end.
  if (tid != tgid) return;
  os_->ForgetProcess(tgid);
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
  const pid_t former = static_cast<pid_t>(os_->EventMessage(t.tid).value_or(t.tid));
  if (former != t.tid) {
    // A non-leader thread exec'd: it now has the leader's tid and the old thread is gone
    // without an exit report.
    tracees_.erase(former);
  }
  // A non-leader's exec killed the leader, blocked or not, without an exit report: its call
  // never finished.
  EmitUnfinished(t, os_->Now());
  // Close-on-exec fds are gone; forget every fd and learn them again lazily from /proc.
  t.fds->table = socket_model::FdTable();
  t.fds->announced.clear();
  if (t.report) ProcessEventNow(ProcessEvent::Kind::kExec, t.tgid, 0, os_->ExePath(t.tgid));
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
    os_->Detach(tid, ws.kind == WaitStatus::Kind::kSignalStop ? ws.code : 0);
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
      bool want_exit = false;
      if (std::optional<__ptrace_syscall_info> stop = os_->SyscallInfo(tid)) {
        const __ptrace_syscall_info& info = *stop;
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
      if (std::optional<unsigned long> child = os_->EventMessage(tid); child && *child != 0) {
        OnNewChild(*t, static_cast<pid_t>(*child));
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
      os_->Listen(tid);
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
