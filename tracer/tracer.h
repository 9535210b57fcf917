#pragma once

#include <sys/types.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "src/model/endpoint.h"
#include "src/model/syscall_event.h"

namespace netcorr::tracer {

// How to start the program to trace.
struct LaunchSpec {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH like execvp does
  // Credentials to run the program with; unset = keep netcorr's own. See run_as.h to decide
  // them (under sudo: the invoking user, never root by surprise).
  std::optional<uid_t> uid;
  std::optional<gid_t> gid;
  std::vector<gid_t> groups;  // supplementary groups, applied when uid/gid are set
  // A network namespace file (/run/netns/NAME, /proc/PID/ns/net) the program starts in, as
  // with `ip netns exec`; empty: netcorr's own. Entered before the credentials change, since
  // setns needs CAP_SYS_ADMIN, which the program's user does not have.
  std::string netns_path;
  bool follow_forks = true;   // trace children (fork/vfork/clone) too, like strace -f
  // read/write/readv/writev stop on every fd, since the filter cannot tell a socket from a
  // file: a program reading files in small chunks pays one short stop per read (see
  // docs/tracer.md). false: they never stop, at the price of not seeing errors such as
  // ECONNRESET that surface in read()/write() on sockets (send/recv* are still traced).
  bool trace_read_write = true;
};

// A flow the tracee is about to start: reported at the entry of connect, sendto, sendmsg,
// sendmmsg, bind and listen on an AF_INET/AF_INET6 socket, before the call runs.
struct TrafficIntent {
  pid_t pid = 0;  // thread group
  pid_t tid = 0;
  std::string syscall;  // "connect", "sendto", ...
  Transport transport = Transport::kUnknown;
  std::optional<Endpoint>
      remote;                     // destination, when the call names one or the socket is connected
  std::optional<Endpoint> local;  // the socket's local address, when already bound
  // The program is about to make flows the tracer cannot see (io_uring_setup: its connects and
  // sends go through the ring): capture every TCP and UDP flow of its network namespace.
  bool unseen_flows = false;
};

// Receives what the tracer sees. All callbacks run on the thread that calls Tracer::Run(),
// one at a time, in the order things happened.
class EventSink {
 public:
  virtual ~EventSink();
  // A traced call, at its exit; or, when tracing stops or the thread dies while the call is
  // still blocked in the kernel, with finished=false and exit_ns = that time.
  virtual void OnSyscall(const SyscallEvent& event) = 0;
  virtual void OnProcess(const ProcessEvent& event) = 0;
  // The tracee thread stays stopped at the call's entry until this returns, so a packet capture
  // can widen its filter first and never miss the first SYN or datagram. Keep it short.
  virtual void BeforeTraffic(const TrafficIntent& intent) { (void)intent; }
};

class TraceLoop;

// A ptrace session over one launched program or a set of attached processes.
//
// Threading: ptrace requests are only accepted from the thread that attached, so Launch() /
// Attach(), Run() and the destructor must be called on one and the same thread (Run() returns
// FailedPreconditionError otherwise). RequestStop() may be called from any thread or from a
// signal handler.
class Tracer {
 public:
  // Starts argv under ptrace with a seccomp filter so that only the calls that matter stop.
  // The program is stopped at its first instruction after exec until Run() is called.
  // Errors (one line, ready to print): program not found / not executable, cannot switch to
  // the requested user, ptrace not permitted.
  static absl::StatusOr<std::unique_ptr<Tracer>> Launch(const LaunchSpec& spec, EventSink* sink);
  // Attaches to every thread of each process (PTRACE_SEIZE, never PTRACE_O_EXITKILL: if netcorr
  // dies, the processes keep running). Sockets already open are resolved and reported in the
  // kAttached ProcessEvent. Errors: no such process, permission denied.
  static absl::StatusOr<std::unique_ptr<Tracer>> Attach(const std::vector<pid_t>& pids,
                                                        EventSink* sink);

  ~Tracer();  // kills a launched program that is still traced; detaches attached processes
  Tracer(const Tracer&) = delete;
  Tracer& operator=(const Tracer&) = delete;

  // Traces until every tracee is gone or RequestStop() is handled. Launch mode: the launched
  // program's exit status (128+N when killed by signal N). Attach mode: 0 once detached (or
  // once every attached process has exited).
  absl::StatusOr<int> Run();

  // Async-signal-safe. Calls still blocked are reported unfinished and later calls are not
  // reported. Launch mode then gives the program 0.5 s to end by itself (a terminal's Ctrl-C
  // reached it too), sends SIGTERM, and SIGKILL to every tracee 3 s later; attach mode
  // detaches from every thread, leaving the processes running.
  void RequestStop();

  // The launched program, or the first attached process.
  pid_t main_pid() const;

 private:
  explicit Tracer(std::unique_ptr<TraceLoop> loop);
  std::unique_ptr<TraceLoop> loop_;
};

}  // namespace netcorr::tracer
