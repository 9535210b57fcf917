#pragma once

#include <signal.h>
#include <sys/ptrace.h>
#include <sys/types.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tracer/tracee_os.h"

// A scripted kernel for TraceLoop's unit tests (no root, no real tracee): the stops Wait()
// reports, what PTRACE_GET_SYSCALL_INFO and PTRACE_GETEVENTMSG answer at each, a fake /proc,
// fake tracee memory and fake socket identities, a deterministic clock, and a record of every
// request the loop made. A test scripts what a real program would make the kernel report:
//
//   os.AddProcess(kPid);
//   os.Entry(kPid, "connect", {3, kAddr, 16});
//   os.Exit(kPid, -ECONNREFUSED);
//
// and the loop, driven by Run(), sees exactly that. It checks the ptrace protocol as it goes
// (a stop is only reported for a tracee that was resumed, an exit stop only after PTRACE_SYSCALL,
// a resume only of a stopped tracee) and lists what went wrong in violations(). A PTRACE_INTERRUPT
// of a running tracee is reported (as the interrupt stop) before its next scripted stop. When the
// script is over, Wait() reports every tracee still traced as exited with 0 (threads before their
// leader), then ECHILD: it never returns 0, and gives up after kMaxWaits calls, so Run() ends.
namespace netcorr::tracer::testing {

// Raw wait statuses as the kernel builds them (see wait_status.cc for the decoding).
// A syscall stop under PTRACE_O_TRACESYSGOOD: stopped by SIGTRAP|0x80.
int SyscallStopStatus();
// A ptrace event stop: SIGTRAP | event << 8, shifted like any stop signal. PTRACE_EVENT_STOP
// with SIGSTOP/SIGTSTP/SIGTTIN/SIGTTOU is a group stop, with SIGTRAP an interrupt stop.
int EventStopStatus(int event, int sig = SIGTRAP);
// A signal-delivery stop.
int SignalStopStatus(int sig);
int ExitedStatus(int code);
int KilledStatus(int sig);

// What PTRACE_GET_SYSCALL_INFO returns at a syscall-entry or -exit stop (x86-64).
__ptrace_syscall_info EntryInfo(uint64_t nr, const std::array<uint64_t, 6>& args);
// rval < 0 is an error return (-errno), like the kernel's is_error.
__ptrace_syscall_info ExitInfo(int64_t rval);
// At a PTRACE_EVENT_SECCOMP stop (a call the launch mode's filter flagged).
__ptrace_syscall_info SeccompInfo(uint64_t nr, const std::array<uint64_t, 6>& args);

// The x86-64 number of a call the tracer knows (tracer/syscall_table.h); fails the test
// (and returns -1) for a name it does not know.
uint64_t SyscallNr(std::string_view name);

class FakeTraceeOs final : public TraceeOs {
 public:
  // Where the script's clock starts (CLOCK_REALTIME-like), and how far it moves per stop.
  static constexpr TimeNs kStartNs = 1'700'000'000'000'000'000;
  static constexpr TimeNs kStepNs = 1'000'000;
  // Wait() gives up (ECHILD, and a violation) after this many calls: a loop that keeps waiting
  // for a tracee the script forgot ends the test instead of hanging it.
  static constexpr int kMaxWaits = 10'000;

  struct ResumeRequest {
    pid_t tid = 0;
    bool to_next_syscall_stop = false;  // PTRACE_SYSCALL rather than PTRACE_CONT
    int sig = 0;
  };
  struct DetachRequest {
    pid_t tid = 0;
    int sig = 0;
  };
  struct KillRequest {
    pid_t tgid = 0;
    pid_t tid = 0;
    int sig = 0;
  };
  struct FdRef {
    pid_t pid = 0;  // the tid the loop asked with (ReadFdLink) or the tgid (ResolveSocket)
    int fd = -1;
    friend bool operator==(const FdRef&, const FdRef&) = default;
  };

  FakeTraceeOs();
  ~FakeTraceeOs() override;

  // ---- The world: processes, /proc, memory, sockets. Change it mid-script with Then(). ----

  // A process with these threads (the leader, tid == pid, first; default: just the leader).
  void AddProcess(pid_t pid, std::vector<pid_t> threads = {}, pid_t ppid = 1,
                  std::string exe = "/usr/bin/fake-program");
  void SetExe(pid_t pid, std::string exe);
  // /proc/PID/fd/FD (threads share their process's links). kNone removes it.
  void SetFdLink(pid_t pid, int fd, FdLink link);
  void RemoveFd(pid_t pid, int fd);
  // A socket at fd: its /proc link (socket:[inode]) and what pidfd_getfd + getsockname /
  // getpeername answer. `socket.remote` set means getpeername succeeds (connected).
  void SetSocket(pid_t pid, int fd, SocketIdentity socket, bool nonblocking = false);
  // The source address SourceFor answers for a destination address.
  void SetSourceAddress(const IpAddress& destination, const IpAddress& source);
  // Tracee memory (one address space for every tracee: enough for the tests).
  void PutBytes(uint64_t addr, std::vector<uint8_t> bytes);
  template <typename T>
  void PutValue(uint64_t addr, const T& value) {
    std::vector<uint8_t> bytes(sizeof(T));
    std::memcpy(bytes.data(), &value, sizeof(T));
    PutBytes(addr, std::move(bytes));
  }

  // ---- The script: stops in the order Wait() reports them. Each stop moves the clock one
  // kStepNs forward and returns the time Now() says while the loop handles it. ----

  TimeNs Stop(pid_t tid, int status, std::optional<__ptrace_syscall_info> info = std::nullopt,
              std::optional<unsigned long> event_message = std::nullopt);
  // Syscall-entry stop of a call the tracer knows, by name.
  TimeNs Entry(pid_t tid, std::string_view name, const std::array<uint64_t, 6>& args = {});
  // Syscall-entry stop by number (for calls outside tracer/syscall_table.h: execve, clone...).
  TimeNs EntryNr(pid_t tid, uint64_t nr, const std::array<uint64_t, 6>& args = {});
  // PTRACE_EVENT_SECCOMP stop of a call the tracer knows (launch mode: the filter's
  // SECCOMP_RET_TRACE). Its exit stop only comes if the loop resumes with PTRACE_SYSCALL.
  TimeNs Seccomp(pid_t tid, std::string_view name, const std::array<uint64_t, 6>& args = {});
  // Syscall-exit stop; rval < 0 is -errno.
  TimeNs Exit(pid_t tid, int64_t rval);
  // A whole call in attach mode (PTRACE_SYSCALL: both stops): its entry, what it does to the
  // world while in the kernel (`effect`, may be empty), its exit. Returns the entry's time.
  TimeNs Call(pid_t tid, std::string_view name, const std::array<uint64_t, 6>& args, int64_t rval,
              std::function<void(FakeTraceeOs&)> effect = nullptr);
  // PTRACE_EVENT_FORK (or VFORK) in `parent`: GETEVENTMSG gives `child`. The child process
  // appears in the world (a copy of the parent's fds and sockets, PPid the parent) when this
  // stop or the child's first stop is reported, whichever comes first.
  TimeNs Fork(pid_t parent, pid_t child, int event = PTRACE_EVENT_FORK);
  // PTRACE_EVENT_CLONE of a new thread `child_tid` in the parent's thread group.
  TimeNs CloneThread(pid_t parent, pid_t child_tid);
  // A new child's (or thread's) first stop: PTRACE_EVENT_STOP with SIGTRAP.
  TimeNs ChildFirstStop(pid_t child);
  // PTRACE_EVENT_EXEC in `tid` (now the thread group leader); GETEVENTMSG gives the former tid.
  TimeNs Exec(pid_t tid, std::optional<pid_t> former_tid = std::nullopt);
  TimeNs SignalStop(pid_t tid, int sig);
  TimeNs Exited(pid_t tid, int code);
  // Runs `change` when Wait() reaches this point of the script (before the next stop).
  void Then(std::function<void(FakeTraceeOs&)> change);

  // ---- What the loop asked. ----

  const std::vector<ResumeRequest>& resumes() const { return resumes_; }
  const std::vector<DetachRequest>& detaches() const { return detaches_; }
  const std::vector<KillRequest>& kills() const { return kills_; }
  const std::vector<pid_t>& interrupts() const { return interrupts_; }
  const std::vector<pid_t>& listens() const { return listens_; }
  // (tid, options) of every PTRACE_SEIZE.
  const std::vector<std::pair<pid_t, int>>& seizes() const { return seizes_; }
  const std::vector<FdRef>& fd_link_reads() const { return fd_link_reads_; }
  const std::vector<FdRef>& socket_resolves() const { return socket_resolves_; }
  const std::vector<pid_t>& forgotten() const { return forgotten_; }
  // Protocol errors seen (the loop's, or the script's): empty when all went as on a kernel.
  const std::vector<std::string>& violations() const { return violations_; }
  // Every stop reported and request made, one line each, for failure messages.
  std::string Log() const;
  bool script_done() const { return script_.empty(); }

  // ---- TraceeOs ----

  pid_t Wait(int* status, bool nohang) override;
  std::optional<__ptrace_syscall_info> SyscallInfo(pid_t tid) override;
  std::optional<unsigned long> EventMessage(pid_t tid) override;
  void Resume(pid_t tid, bool to_next_syscall_stop, int sig) override;
  void Listen(pid_t tid) override;
  void Detach(pid_t tid, int sig) override;
  void Interrupt(pid_t tid) override;
  int Seize(pid_t tid, int options) override;
  void Kill(pid_t tgid, pid_t tid, int sig) override;
  bool ProcessExists(pid_t pid) override;
  pid_t StatusField(pid_t tid, std::string_view field) override;
  std::vector<int> TaskIds(pid_t pid) override;
  std::vector<int> OpenFds(pid_t pid) override;
  std::string ExePath(pid_t pid) override;
  FdLink ReadFdLink(pid_t tid, int fd) override;
  absl::StatusOr<std::vector<uint8_t>> ReadMemory(pid_t tid, RemoteAddr addr, size_t len) override;
  absl::StatusOr<ResolvedSocket> ResolveSocket(pid_t tgid, int fd, const SocketIdentity* known,
                                               bool want_local, bool want_peer) override;
  absl::StatusOr<uint64_t> SocketInode(pid_t tgid, int fd) override;
  std::optional<IpAddress> SourceFor(pid_t tid, const Endpoint& destination) override;
  void ForgetProcess(pid_t tgid) override;
  TimeNs Now() override { return now_; }

 private:
  struct FakeSocket {
    SocketIdentity identity;
    bool nonblocking = false;
  };
  struct Process {
    pid_t ppid = 1;
    std::vector<pid_t> threads;
    std::string exe;
    std::map<int, FdLink> fds;
    std::map<int, FakeSocket> sockets;
  };
  // A thread as the fake kernel sees it.
  struct Thread {
    pid_t tgid = 0;
    bool traced = false;
    bool running = true;          // not in a ptrace stop (so it may report one)
    bool gone = false;            // exited (reported) or detached
    bool syscall_resume = false;  // its last resume was PTRACE_SYSCALL
    bool interrupt_pending = false;
    std::optional<__ptrace_syscall_info> info;   // at the current stop
    std::optional<unsigned long> event_message;  // at the current stop
  };
  struct Step {
    pid_t tid = 0;
    int status = 0;
    std::optional<__ptrace_syscall_info> info;
    std::optional<unsigned long> event_message;
    TimeNs time = 0;
    std::function<void(FakeTraceeOs&)> change;  // set: a world change, not a stop
    pid_t spawns = 0;                           // a fork/clone event: the child it creates
    bool spawns_thread = false;
  };

  TimeNs NextTime();
  Process* FindProcess(pid_t pid);
  pid_t TgidOf(pid_t tid) const;
  Thread& ThreadFor(pid_t tid);
  // The traced thread if it is in a ptrace stop (as `request` requires); else a violation.
  Thread* StoppedThread(pid_t tid, std::string_view request);
  // The child of a scripted fork/clone appears in the world.
  void Spawn(pid_t parent, pid_t child, bool thread);
  pid_t Report(pid_t tid, int raw, int* status);
  void Violation(std::string what);
  void Record(std::string line);

  std::map<pid_t, Process> processes_;
  std::map<pid_t, Thread> threads_;
  std::map<pid_t, std::pair<pid_t, bool>> pending_spawns_;  // child -> (parent, is thread)
  std::map<uint64_t, std::vector<uint8_t>> memory_;
  std::map<IpAddress, IpAddress> sources_;
  std::deque<Step> script_;
  TimeNs script_time_ = kStartNs;
  TimeNs now_ = kStartNs;
  int waits_ = 0;

  std::vector<ResumeRequest> resumes_;
  std::vector<DetachRequest> detaches_;
  std::vector<KillRequest> kills_;
  std::vector<pid_t> interrupts_;
  std::vector<pid_t> listens_;
  std::vector<std::pair<pid_t, int>> seizes_;
  std::vector<FdRef> fd_link_reads_;
  std::vector<FdRef> socket_resolves_;
  std::vector<pid_t> forgotten_;
  std::vector<std::string> violations_;
  std::vector<std::string> log_;
};

}  // namespace netcorr::tracer::testing
