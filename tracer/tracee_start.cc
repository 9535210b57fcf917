// Starting a trace: launching the program under a seccomp filter (the child's side runs
// between fork and exec), or attaching to every thread of running processes.

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "tracer/seccomp_filter.h"
#include "tracer/trace_loop.h"

namespace netcorr::tracer {
namespace {

constexpr int kSeizeOptions = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEEXEC | PTRACE_O_TRACECLONE;
constexpr int kForkOptions = PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK;

// What the launched child reports through its close-on-exec pipe when a setup step fails.
struct ChildFailure {
  int stage;
  int err;
};
enum ChildStage {
  kStageGo = 1,
  kStageNetns,
  kStageCapabilities,
  kStageGroups,
  kStageGid,
  kStageUid,
  kStageSeccomp,
  kStageExec
};

// A user who is not root runs netcorr with file capabilities (docs/privileges.md). The
// program must run as that plain user: the capabilities are dropped before exec would drop
// them, and the child becomes dumpable again, which a process that gained capabilities at exec
// is not — without that, ptrace of one's own child would need CAP_SYS_PTRACE.
bool DropCapabilitiesAndBecomeDumpable() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct none[_LINUX_CAPABILITY_U32S_3] = {};
  return syscall(SYS_capset, &header, none) == 0 && prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) == 0;
}

// Everything below runs in the forked child of a possibly multi-threaded parent: only
// async-signal-safe calls, no allocation. The child first does what needs netcorr's
// privileges (setns), then, unless netcorr runs as root, drops them; only then does it tell
// the parent, which seizes it and lets it go on to the user switch, the filter and exec.
[[noreturn]] void ChildMain(int ready_fd, int go_fd, int err_fd, int netns_fd,
                            const LaunchSpec& spec, sock_fprog* prog, char* const* argv) {
  const auto fail = [err_fd](int stage) {
    const ChildFailure f{stage, errno};
    // This write is itself traced once the filter is loaded: the parent resumes it.
    (void)!write(err_fd, &f, sizeof(f));
    _exit(127);
  };
  // The program gets a clean signal state, as if started from a shell: netcorr may block or
  // ignore signals (SIGPIPE, SIGINT...) for its own reasons.
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  signal(SIGPIPE, SIG_DFL);
  if (netns_fd >= 0 && setns(netns_fd, CLONE_NEWNET) != 0) fail(kStageNetns);
  if (getuid() != 0 && !DropCapabilitiesAndBecomeDumpable()) fail(kStageCapabilities);
  const char ready = 1;
  if (write(ready_fd, &ready, 1) != 1) _exit(127);
  close(ready_fd);
  char go = 0;
  if (read(go_fd, &go, 1) != 1) _exit(127);  // the parent could not seize us
  close(go_fd);
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

absl::Status ChildFailureStatus(const ChildFailure& f, const LaunchSpec& spec) {
  const std::string& program = spec.argv[0];
  switch (f.stage) {
    case kStageNetns:
      return absl::ErrnoToStatus(f.err,
                                 absl::StrCat("cannot enter network namespace ", spec.netns_path));
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

absl::Status TraceLoop::LaunchProgram(const LaunchSpec& spec) {
  if (spec.argv.empty()) return absl::InvalidArgumentError("no program to run");
  absl::StatusOr<SeccompProgram> program = BuildSeccompProgram(spec.trace_read_write);
  if (!program.ok()) return program.status();
  sock_fprog prog = program->prog();
  std::vector<char*> argv;
  for (const std::string& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  // Opened here, not in the child: a missing namespace is then an ordinary error, and the
  // child only has to setns() an fd it already holds.
  int netns_fd = -1;
  if (!spec.netns_path.empty()) {
    netns_fd = open(spec.netns_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (netns_fd < 0) {
      return absl::ErrnoToStatus(errno,
                                 absl::StrCat("cannot open network namespace ", spec.netns_path));
    }
  }
  absl::Cleanup close_netns = [netns_fd] {
    if (netns_fd >= 0) close(netns_fd);
  };
  // ready: child -> parent, "seize me now"; go: parent -> child, "you are traced";
  // err: child -> parent, the failed setup step.
  int ready[2] = {-1, -1};
  int go[2] = {-1, -1};
  int err[2] = {-1, -1};
  absl::Cleanup close_pipes = [&] {
    for (int fd : {ready[0], ready[1], go[0], go[1], err[0], err[1]}) {
      if (fd >= 0) close(fd);
    }
  };
  for (int* p : {ready, go, err}) {
    if (pipe2(p, O_CLOEXEC) != 0) return absl::ErrnoToStatus(errno, "pipe2");
  }
  const pid_t child = fork();
  if (child < 0) return absl::ErrnoToStatus(errno, "fork");
  if (child == 0) {
    close(ready[0]);
    close(go[1]);
    close(err[0]);
    ChildMain(ready[1], go[0], err[1], netns_fd, spec, &prog, argv.data());
  }
  for (int* fd : {&ready[1], &go[0], &err[1]}) {
    close(*fd);
    *fd = -1;
  }
  const auto kill_child = [child] {
    kill(child, SIGKILL);
    int st;
    while (waitpid(child, &st, __WALL) < 0 && errno == EINTR) {
    }
  };
  char ready_byte = 0;
  ssize_t n;
  while ((n = read(ready[0], &ready_byte, 1)) < 0 && errno == EINTR) {
  }
  if (n != 1) {
    // The child died before it was ready (setns refused...): its report says why.
    kill_child();
    ChildFailure f{0, 0};
    if (read(err[0], &f, sizeof(f)) == sizeof(f)) return ChildFailureStatus(f, spec);
    return absl::InternalError("the program died before it started");
  }
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
  t->fds = std::make_shared<ProcessFds>(child);
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
            ProcessEvent::Kind::kStarted, child, os_->Now(), 0, os_->ExePath(child), 0, {}});
        return absl::OkStatus();
      case WaitStatus::Kind::kExited:
      case WaitStatus::Kind::kKilled: {
        tracees_.clear();
        ChildFailure f{0, 0};
        if (read(err[0], &f, sizeof(f)) == sizeof(f)) return ChildFailureStatus(f, spec);
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
    if (requested <= 0 || !os_->ProcessExists(requested)) {
      undo();
      return absl::NotFoundError(absl::StrCat("no such process: ", requested));
    }
    // A thread id given: attach its whole process.
    pid_t pid = os_->StatusField(requested, "Tgid:");
    if (pid == 0) {
      undo();
      return absl::NotFoundError(absl::StrCat("no such process: ", requested));
    }
    if (main_pid_ == 0) main_pid_ = pid;
    if (!main_tgids_.insert(pid).second) continue;
    auto fds = std::make_shared<ProcessFds>(pid);
    // Threads may be created while we attach: rescan until the set is stable (bounded).
    for (int pass = 0; pass < 20; ++pass) {
      bool added = false;
      for (int tid : os_->TaskIds(pid)) {
        if (tracees_.contains(tid)) continue;
        if (const int seize_error = os_->Seize(tid, options); seize_error != 0) {
          if (seize_error == ESRCH) continue;  // the thread exited meanwhile
          // A thread cloned by one we already seized is ours through PTRACE_O_TRACECLONE:
          // seizing it again fails with EPERM, but it is traced, by us.
          if (seize_error == EPERM && os_->StatusField(tid, "TracerPid:") == getpid()) continue;
          undo();
          return absl::ErrnoToStatus(seize_error, absl::StrCat("cannot attach to process ", pid));
        }
        auto t = std::make_unique<Tracee>();
        t->tid = tid;
        t->tgid = pid;
        t->fds = fds;
        tracees_[tid] = std::move(t);
        os_->Interrupt(tid);
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
        ProcessEvent::Kind::kAttached, pid, os_->Now(), 0, os_->ExePath(pid), 0, {}};
    Tracee& leader = *tracees_[pid];
    for (int fd : os_->OpenFds(pid)) {
      const socket_model::FdState* f = Lookup(leader, fd);
      if (f != nullptr && f->kind == socket_model::FdKind::kSocket) attached.sockets.push_back({fd, f->identity});
    }
    initial_events_.push_back(std::move(attached));
  }
  return absl::OkStatus();
}

}  // namespace netcorr::tracer
