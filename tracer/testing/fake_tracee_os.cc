#include "tracer/testing/fake_tracee_os.h"

#include <linux/audit.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "tracer/syscall_table.h"
#include "tracer/wait_status.h"

namespace netcorr::tracer::testing {
namespace {

constexpr int kStopped = 0x7f;

std::string InfoText(const std::optional<__ptrace_syscall_info>& info) {
  if (!info) return "";
  if (info->op == PTRACE_SYSCALL_INFO_ENTRY) {
    const SyscallEntry* e = FindX86_64Syscall(info->entry.nr);
    return e != nullptr ? absl::StrCat(" entry ", std::string(e->name))
                        : absl::StrCat(" entry nr ", info->entry.nr);
  }
  if (info->op == PTRACE_SYSCALL_INFO_EXIT) return absl::StrCat(" exit ", info->exit.rval);
  if (info->op == PTRACE_SYSCALL_INFO_SECCOMP) {
    const SyscallEntry* e = FindX86_64Syscall(info->seccomp.nr);
    return absl::StrCat(" seccomp ", e != nullptr ? std::string(e->name) : "?");
  }
  return absl::StrCat(" op ", info->op);
}

__ptrace_syscall_info Info(uint8_t op) {
  __ptrace_syscall_info info{};
  info.op = op;
  info.arch = AUDIT_ARCH_X86_64;
  return info;
}

// info.entry and info.seccomp both start with {nr, args[6]}.
template <typename CallInfo>
void SetCall(CallInfo& call, uint64_t nr, const std::array<uint64_t, 6>& args) {
  call.nr = nr;
  std::copy(args.begin(), args.end(), call.args);
}

}  // namespace

int SyscallStopStatus() { return ((SIGTRAP | 0x80) << 8) | kStopped; }
int EventStopStatus(int event, int sig) { return ((sig | (event << 8)) << 8) | kStopped; }
int SignalStopStatus(int sig) { return (sig << 8) | kStopped; }
int ExitedStatus(int code) { return (code & 0xff) << 8; }
int KilledStatus(int sig) { return sig & 0x7f; }

__ptrace_syscall_info EntryInfo(uint64_t nr, const std::array<uint64_t, 6>& args) {
  __ptrace_syscall_info info = Info(PTRACE_SYSCALL_INFO_ENTRY);
  SetCall(info.entry, nr, args);
  return info;
}

__ptrace_syscall_info ExitInfo(int64_t rval) {
  __ptrace_syscall_info info = Info(PTRACE_SYSCALL_INFO_EXIT);
  info.exit.rval = rval;
  // The kernel's IS_ERR_VALUE: -4095..-1 are errors (the restart codes -512..-516 included).
  info.exit.is_error = rval < 0 && rval >= -4095 ? 1 : 0;
  return info;
}

__ptrace_syscall_info SeccompInfo(uint64_t nr, const std::array<uint64_t, 6>& args) {
  __ptrace_syscall_info info = Info(PTRACE_SYSCALL_INFO_SECCOMP);
  SetCall(info.seccomp, nr, args);
  return info;
}

uint64_t SyscallNr(std::string_view name) {
  const SyscallEntry* e = FindX86_64SyscallByName(name);
  if (e == nullptr) {
    ADD_FAILURE() << "the tracer's syscall table has no " << name;
    return static_cast<uint64_t>(-1);
  }
  return static_cast<uint64_t>(e->nr);
}

FakeTraceeOs::FakeTraceeOs() = default;
FakeTraceeOs::~FakeTraceeOs() = default;

// ---- The world ----

void FakeTraceeOs::AddProcess(pid_t pid, std::vector<pid_t> threads, pid_t ppid, std::string exe) {
  if (threads.empty()) threads.push_back(pid);
  if (std::find(threads.begin(), threads.end(), pid) == threads.end()) {
    threads.insert(threads.begin(), pid);
  }
  Process& p = processes_[pid];
  p.ppid = ppid;
  p.exe = std::move(exe);
  p.threads = threads;
  for (pid_t tid : threads) {
    Thread& t = threads_[tid];
    t = Thread{};
    t.tgid = pid;
  }
}

void FakeTraceeOs::SetExe(pid_t pid, std::string exe) {
  if (Process* p = FindProcess(pid)) p->exe = std::move(exe);
}

void FakeTraceeOs::SetFdLink(pid_t pid, int fd, FdLink link) {
  Process* p = FindProcess(pid);
  if (p == nullptr) {
    Violation(absl::StrCat("SetFdLink: no process ", pid));
    return;
  }
  if (link.kind == FdLinkKind::kNone) {
    p->fds.erase(fd);
  } else {
    p->fds[fd] = link;
  }
  if (link.kind != FdLinkKind::kSocket) p->sockets.erase(fd);
}

void FakeTraceeOs::RemoveFd(pid_t pid, int fd) { SetFdLink(pid, fd, FdLink{}); }

void FakeTraceeOs::SetSocket(pid_t pid, int fd, SocketIdentity socket, bool nonblocking) {
  SetFdLink(pid, fd, FdLink{FdLinkKind::kSocket, socket.inode});
  if (Process* p = FindProcess(pid)) p->sockets[fd] = FakeSocket{std::move(socket), nonblocking};
}

void FakeTraceeOs::SetSourceAddress(const IpAddress& destination, const IpAddress& source) {
  sources_[destination] = source;
}

void FakeTraceeOs::PutBytes(uint64_t addr, std::vector<uint8_t> bytes) {
  memory_[addr] = std::move(bytes);
}

// ---- The script ----

TimeNs FakeTraceeOs::NextTime() {
  script_time_ += kStepNs;
  return script_time_;
}

TimeNs FakeTraceeOs::Stop(pid_t tid, int status, std::optional<__ptrace_syscall_info> info,
                          std::optional<unsigned long> event_message) {
  Step s;
  s.tid = tid;
  s.status = status;
  s.info = info;
  s.event_message = event_message;
  s.time = NextTime();
  script_.push_back(std::move(s));
  return script_.back().time;
}

TimeNs FakeTraceeOs::Entry(pid_t tid, std::string_view name, const std::array<uint64_t, 6>& args) {
  return EntryNr(tid, SyscallNr(name), args);
}

TimeNs FakeTraceeOs::EntryNr(pid_t tid, uint64_t nr, const std::array<uint64_t, 6>& args) {
  return Stop(tid, SyscallStopStatus(), EntryInfo(nr, args));
}

TimeNs FakeTraceeOs::Seccomp(pid_t tid, std::string_view name,
                             const std::array<uint64_t, 6>& args) {
  return Stop(tid, EventStopStatus(PTRACE_EVENT_SECCOMP), SeccompInfo(SyscallNr(name), args));
}

TimeNs FakeTraceeOs::Exit(pid_t tid, int64_t rval) {
  return Stop(tid, SyscallStopStatus(), ExitInfo(rval));
}

TimeNs FakeTraceeOs::Call(pid_t tid, std::string_view name, const std::array<uint64_t, 6>& args,
                          int64_t rval, std::function<void(FakeTraceeOs&)> effect) {
  const TimeNs entry = Entry(tid, name, args);
  if (effect) Then(std::move(effect));
  Exit(tid, rval);
  return entry;
}

TimeNs FakeTraceeOs::Fork(pid_t parent, pid_t child, int event) {
  const TimeNs t = Stop(parent, EventStopStatus(event), std::nullopt, child);
  script_.back().spawns = child;
  pending_spawns_[child] = {parent, false};
  return t;
}

TimeNs FakeTraceeOs::CloneThread(pid_t parent, pid_t child_tid) {
  const TimeNs t = Stop(parent, EventStopStatus(PTRACE_EVENT_CLONE), std::nullopt, child_tid);
  script_.back().spawns = child_tid;
  script_.back().spawns_thread = true;
  pending_spawns_[child_tid] = {parent, true};
  return t;
}

TimeNs FakeTraceeOs::ChildFirstStop(pid_t child) {
  return Stop(child, EventStopStatus(PTRACE_EVENT_STOP));
}

TimeNs FakeTraceeOs::Exec(pid_t tid, std::optional<pid_t> former_tid) {
  return Stop(tid, EventStopStatus(PTRACE_EVENT_EXEC), std::nullopt,
              static_cast<unsigned long>(former_tid.value_or(tid)));
}

TimeNs FakeTraceeOs::SignalStop(pid_t tid, int sig) { return Stop(tid, SignalStopStatus(sig)); }

TimeNs FakeTraceeOs::Exited(pid_t tid, int code) { return Stop(tid, ExitedStatus(code)); }

void FakeTraceeOs::Then(std::function<void(FakeTraceeOs&)> change) {
  Step s;
  s.change = std::move(change);
  script_.push_back(std::move(s));
}

// ---- Bookkeeping ----

FakeTraceeOs::Process* FakeTraceeOs::FindProcess(pid_t pid) {
  auto it = processes_.find(pid);
  return it == processes_.end() ? nullptr : &it->second;
}

pid_t FakeTraceeOs::TgidOf(pid_t tid) const {
  auto it = threads_.find(tid);
  if (it == threads_.end() || it->second.gone) return 0;
  return processes_.contains(it->second.tgid) ? it->second.tgid : 0;
}

FakeTraceeOs::Thread& FakeTraceeOs::ThreadFor(pid_t tid) {
  auto it = threads_.find(tid);
  if (it == threads_.end()) {
    Violation(absl::StrCat("the script makes unknown tid ", tid, " stop"));
    Thread& t = threads_[tid];
    t.tgid = tid;
    t.traced = true;
    return t;
  }
  return it->second;
}

void FakeTraceeOs::Spawn(pid_t parent, pid_t child, bool thread) {
  pending_spawns_.erase(child);
  const pid_t parent_tgid = TgidOf(parent);
  Process* p = FindProcess(parent_tgid);
  if (p == nullptr) {
    Violation(absl::StrCat("fork/clone of ", child, " by unknown tid ", parent));
    return;
  }
  Thread t;
  t.traced = true;   // auto-attached through PTRACE_O_TRACEFORK/VFORK/CLONE
  t.running = true;  // on its way to its first stop
  if (thread) {
    t.tgid = parent_tgid;
    p->threads.push_back(child);
  } else {
    t.tgid = child;
    Process c = *p;  // fork copies the descriptor table
    c.ppid = parent_tgid;
    c.threads = {child};
    processes_[child] = std::move(c);
  }
  threads_[child] = t;
  Record(absl::StrCat("world: ", child, thread ? " is a new thread of " : " is a new child of ",
                      parent_tgid));
}

void FakeTraceeOs::Violation(std::string what) {
  Record(absl::StrCat("VIOLATION: ", what));
  violations_.push_back(std::move(what));
}

void FakeTraceeOs::Record(std::string line) { log_.push_back(std::move(line)); }

std::string FakeTraceeOs::Log() const { return absl::StrJoin(log_, "\n"); }

pid_t FakeTraceeOs::Report(pid_t tid, int raw, int* status) {
  *status = raw;
  const Thread& t = threads_[tid];
  Record(absl::StrCat("wait -> ", tid, " ", WaitStatus::Decode(raw).ToString(), InfoText(t.info),
                      t.event_message ? absl::StrCat(" msg ", *t.event_message) : "", " at +",
                      (now_ - kStartNs) / kStepNs, "ms"));
  return tid;
}

// ---- TraceeOs ----

pid_t FakeTraceeOs::Wait(int* status, bool nohang) {
  (void)nohang;  // a stop is always ready: the script, or the end of every tracee
  if (++waits_ > kMaxWaits) {
    if (waits_ == kMaxWaits + 1) Violation("the loop waited more than kMaxWaits times");
    errno = ECHILD;
    return -1;
  }
  // A PTRACE_INTERRUPT of a running tracee stops it before anything else it does.
  for (auto& [tid, t] : threads_) {
    if (t.traced && !t.gone && t.running && t.interrupt_pending) {
      t.interrupt_pending = false;
      t.running = false;
      t.info.reset();
      t.event_message.reset();
      return Report(tid, EventStopStatus(PTRACE_EVENT_STOP), status);
    }
  }
  while (!script_.empty()) {
    Step step = std::move(script_.front());
    script_.pop_front();
    if (step.change) {
      Record("world: a scripted change");
      step.change(*this);
      continue;
    }
    now_ = std::max(now_, step.time);
    if (auto it = pending_spawns_.find(step.tid); it != pending_spawns_.end()) {
      // The child's first stop reported before its parent's fork/clone event.
      Spawn(it->second.first, step.tid, it->second.second);
    }
    if (step.spawns != 0 && pending_spawns_.contains(step.spawns)) {
      Spawn(step.tid, step.spawns, step.spawns_thread);
    }
    Thread& t = ThreadFor(step.tid);
    const WaitStatus ws = WaitStatus::Decode(step.status);
    const bool dies = ws.kind == WaitStatus::Kind::kExited || ws.kind == WaitStatus::Kind::kKilled;
    if (!t.traced || t.gone) {
      Violation(absl::StrCat("the script makes ", step.tid, " stop, but it is not traced"));
    } else if (!t.running && !dies) {
      Violation(absl::StrCat(step.tid, " reports ", ws.ToString(),
                             " but was never resumed from its last stop"));
    }
    if (step.info && step.info->op == PTRACE_SYSCALL_INFO_EXIT && !t.syscall_resume) {
      Violation(absl::StrCat(step.tid,
                             " reports a syscall-exit stop, but was resumed with "
                             "PTRACE_CONT"));
    }
    if (ws.kind == WaitStatus::Kind::kExecEvent && step.event_message &&
        static_cast<pid_t>(*step.event_message) != step.tid) {
      // The exec'ing thread took over the leader's tid; its old tid is gone without a report.
      const pid_t former = static_cast<pid_t>(*step.event_message);
      threads_[former].gone = true;
      if (Process* p = FindProcess(t.tgid)) {
        std::erase(p->threads, former);
      }
    }
    t.running = false;
    t.info = step.info;
    t.event_message = step.event_message;
    if (dies) {
      t.gone = true;
      if (Process* p = FindProcess(t.tgid)) {
        std::erase(p->threads, step.tid);
        if (step.tid == t.tgid) processes_.erase(t.tgid);
      }
    }
    return Report(step.tid, step.status, status);
  }
  // The script is over: every tracee still traced exits (threads before their leader, as the
  // kernel reports them).
  const auto next_to_exit = [this]() -> pid_t {
    pid_t leader = 0;
    for (const auto& [tid, t] : threads_) {
      if (!t.traced || t.gone) continue;
      if (tid != t.tgid) return tid;
      if (leader == 0) leader = tid;
    }
    return leader;
  };
  if (const pid_t tid = next_to_exit(); tid != 0) {
    Thread& t = threads_[tid];
    t.gone = true;
    t.running = false;
    t.info.reset();
    t.event_message.reset();
    if (Process* p = FindProcess(t.tgid)) {
      std::erase(p->threads, tid);
      if (tid == t.tgid) processes_.erase(t.tgid);
    }
    now_ += kStepNs;
    Record("script over:");
    return Report(tid, ExitedStatus(0), status);
  }
  Record("wait -> ECHILD");
  errno = ECHILD;
  return -1;
}

FakeTraceeOs::Thread* FakeTraceeOs::StoppedThread(pid_t tid, std::string_view request) {
  auto it = threads_.find(tid);
  if (it == threads_.end() || it->second.gone || !it->second.traced || it->second.running) {
    Violation(absl::StrCat(std::string(request), " on ", tid, ", which is not in a ptrace stop"));
    return nullptr;
  }
  return &it->second;
}

std::optional<__ptrace_syscall_info> FakeTraceeOs::SyscallInfo(pid_t tid) {
  const Thread* t = StoppedThread(tid, "PTRACE_GET_SYSCALL_INFO");
  return t != nullptr ? t->info : std::nullopt;
}

std::optional<unsigned long> FakeTraceeOs::EventMessage(pid_t tid) {
  const Thread* t = StoppedThread(tid, "PTRACE_GETEVENTMSG");
  if (t == nullptr) return std::nullopt;
  // A stop without a message reads as 0, as on the kernel.
  return t->event_message.value_or(0);
}

void FakeTraceeOs::Resume(pid_t tid, bool to_next_syscall_stop, int sig) {
  resumes_.push_back(ResumeRequest{tid, to_next_syscall_stop, sig});
  Record(absl::StrCat(to_next_syscall_stop ? "PTRACE_SYSCALL " : "PTRACE_CONT ", tid,
                      sig != 0 ? absl::StrCat(" sig ", sig) : ""));
  Thread* t = StoppedThread(tid, to_next_syscall_stop ? "PTRACE_SYSCALL" : "PTRACE_CONT");
  if (t == nullptr) return;
  t->running = true;
  t->syscall_resume = to_next_syscall_stop;
  t->info.reset();
  t->event_message.reset();
}

void FakeTraceeOs::Listen(pid_t tid) {
  listens_.push_back(tid);
  Record(absl::StrCat("PTRACE_LISTEN ", tid));
  Thread* t = StoppedThread(tid, "PTRACE_LISTEN");
  if (t == nullptr) return;
  // It stays stopped, but may report the end of its group stop: as good as resumed.
  t->running = true;
  t->syscall_resume = false;
}

void FakeTraceeOs::Detach(pid_t tid, int sig) {
  detaches_.push_back(DetachRequest{tid, sig});
  Record(absl::StrCat("PTRACE_DETACH ", tid, sig != 0 ? absl::StrCat(" sig ", sig) : ""));
  Thread* t = StoppedThread(tid, "PTRACE_DETACH");
  if (t == nullptr) return;
  t->traced = false;
  t->running = true;
}

void FakeTraceeOs::Interrupt(pid_t tid) {
  interrupts_.push_back(tid);
  Record(absl::StrCat("PTRACE_INTERRUPT ", tid));
  auto it = threads_.find(tid);
  if (it == threads_.end() || it->second.gone || !it->second.traced) return;  // ESRCH
  if (it->second.running) it->second.interrupt_pending = true;
}

int FakeTraceeOs::Seize(pid_t tid, int options) {
  seizes_.emplace_back(tid, options);
  Record(absl::StrCat("PTRACE_SEIZE ", tid));
  auto it = threads_.find(tid);
  if (it == threads_.end() || it->second.gone) return ESRCH;
  if (it->second.traced) return EPERM;
  it->second.traced = true;
  it->second.running = true;
  return 0;
}

void FakeTraceeOs::Kill(pid_t tgid, pid_t tid, int sig) {
  kills_.push_back(KillRequest{tgid, tid, sig});
  Record(absl::StrCat("kill ", tgid, "/", tid, " sig ", sig));
}

bool FakeTraceeOs::ProcessExists(pid_t pid) { return processes_.contains(pid); }

pid_t FakeTraceeOs::StatusField(pid_t tid, std::string_view field) {
  const pid_t tgid = TgidOf(tid);
  if (tgid == 0) return 0;
  if (field == "Tgid:") return tgid;
  if (field == "PPid:") return processes_.at(tgid).ppid;
  if (field == "TracerPid:") return threads_.at(tid).traced ? getpid() : 0;
  return 0;
}

std::vector<int> FakeTraceeOs::TaskIds(pid_t pid) {
  Process* p = FindProcess(pid);
  if (p == nullptr) return {};
  return std::vector<int>(p->threads.begin(), p->threads.end());
}

std::vector<int> FakeTraceeOs::OpenFds(pid_t pid) {
  std::vector<int> fds;
  if (Process* p = FindProcess(pid)) {
    for (const auto& [fd, link] : p->fds) fds.push_back(fd);
  }
  return fds;
}

std::string FakeTraceeOs::ExePath(pid_t pid) {
  Process* p = FindProcess(pid);
  return p == nullptr ? "" : p->exe;
}

FdLink FakeTraceeOs::ReadFdLink(pid_t tid, int fd) {
  fd_link_reads_.push_back(FdRef{tid, fd});
  Process* p = FindProcess(TgidOf(tid));
  if (p == nullptr) return FdLink{};
  auto it = p->fds.find(fd);
  return it == p->fds.end() ? FdLink{} : it->second;
}

absl::StatusOr<std::vector<uint8_t>> FakeTraceeOs::ReadMemory(pid_t tid, RemoteAddr addr,
                                                              size_t len) {
  (void)tid;
  // The region that starts at or before addr and holds all `len` bytes, or EFAULT.
  auto it = memory_.upper_bound(addr.value);
  if (it != memory_.begin()) {
    --it;
    const uint64_t offset = addr.value - it->first;
    if (offset + len <= it->second.size()) {
      return std::vector<uint8_t>(it->second.begin() + offset, it->second.begin() + offset + len);
    }
  }
  return absl::ErrnoToStatus(
      EFAULT, absl::StrCat("process_vm_readv(0x", absl::Hex(addr.value), ", ", len, ")"));
}

absl::StatusOr<ResolvedSocket> FakeTraceeOs::ResolveSocket(pid_t tgid, int fd,
                                                           const SocketIdentity* known,
                                                           bool want_local, bool want_peer) {
  socket_resolves_.push_back(FdRef{tgid, fd});
  Process* p = FindProcess(tgid);
  if (p == nullptr) return absl::ErrnoToStatus(ESRCH, "pidfd_open");
  auto it = p->sockets.find(fd);
  if (it == p->sockets.end()) {
    if (p->fds.contains(fd)) return absl::FailedPreconditionError("not a socket");
    return absl::ErrnoToStatus(EBADF, absl::StrCat("pidfd_getfd(fd=", fd, ")"));
  }
  // What socket_resolver.cc would find with getsockname/getpeername and friends.
  const FakeSocket& s = it->second;
  ResolvedSocket r;
  r.identity.inode = s.identity.inode;
  r.identity.family = s.identity.family;
  r.identity.type = s.identity.type;
  r.identity.transport = s.identity.transport;
  if (known == nullptr || known->family == 0) r.nonblocking = s.nonblocking;
  if (s.identity.family == AF_INET || s.identity.family == AF_INET6) {
    const std::optional<Endpoint>& local = s.identity.local;
    if (want_local && local && !(local->port == 0 && local->addr.is_unspecified())) {
      r.identity.local = local;
    }
    if (want_peer && s.identity.remote) {
      r.identity.remote = s.identity.remote;
      r.connected = true;
    }
  } else if (s.identity.family == AF_UNIX) {
    r.identity.unix_path = s.identity.unix_path;
    r.connected = s.identity.remote.has_value();
  }
  return r;
}

absl::StatusOr<uint64_t> FakeTraceeOs::SocketInode(pid_t tgid, int fd) {
  Process* p = FindProcess(tgid);
  if (p == nullptr) return absl::ErrnoToStatus(ESRCH, "pidfd_open");
  auto it = p->fds.find(fd);
  if (it == p->fds.end()) return absl::ErrnoToStatus(EBADF, "pidfd_getfd");
  if (it->second.kind != FdLinkKind::kSocket) return absl::FailedPreconditionError("not a socket");
  return it->second.inode;
}

std::optional<IpAddress> FakeTraceeOs::SourceFor(pid_t tid, const Endpoint& destination) {
  (void)tid;
  auto it = sources_.find(destination.addr);
  if (it == sources_.end()) return std::nullopt;
  return it->second;
}

void FakeTraceeOs::ForgetProcess(pid_t tgid) {
  forgotten_.push_back(tgid);
  Record(absl::StrCat("forget ", tgid));
}

}  // namespace netcorr::tracer::testing
