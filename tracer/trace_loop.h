#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "src/model/syscall_event.h"
#include "tracer/socket_resolver.h"
#include "tracer/source_address.h"
#include "tracer/syscall_table.h"
#include "tracer/tracer.h"
#include "tracer/wait_status.h"

namespace netcorr::tracer {

// What the tracer knows about one fd of a traced process.
struct FdEntry {
  FdKind kind = FdKind::kOther;
  SocketIdentity identity;   // kSocket only
  bool nonblocking = false;  // O_NONBLOCK, kept current from fcntl/ioctl/accept4/socket flags
  bool connected = false;
  std::optional<uint64_t> pending_connect;  // id of a connect that returned EINPROGRESS
  // The last flow announced through BeforeTraffic for this fd, so that a stream of sends on
  // one flow stops the capture's filter update only once.
  std::optional<std::pair<std::optional<Endpoint>, std::optional<Endpoint>>> announced;
};

// The fd table of a thread group (threads share it; a forked child gets a copy). Caching the
// kind of every fd is what lets read/write on files run with a single, short stop.
struct FdTable {
  explicit FdTable(pid_t tgid) : tgid(tgid) {}
  ~FdTable();
  FdTable(const FdTable&) = delete;
  FdTable& operator=(const FdTable&) = delete;
  std::shared_ptr<FdTable> CopyFor(pid_t child_tgid) const;

  pid_t tgid;
  int pidfd = -1;  // opened lazily, for pidfd_getfd
  absl::flat_hash_map<int, FdEntry> fds;
  absl::flat_hash_map<int, absl::flat_hash_set<int>> epoll;  // epoll fd -> socket fds registered
};

// The ptrace event loop behind Tracer. One instance per session; see tracer.h for the contract.
class TraceLoop {
 public:
  enum class Mode { kLaunch, kAttach };
  TraceLoop(Mode mode, EventSink* sink, bool follow_forks);
  ~TraceLoop();

  absl::Status LaunchProgram(const LaunchSpec& spec);
  absl::Status AttachProcesses(const std::vector<pid_t>& pids);
  absl::StatusOr<int> Run();
  void RequestStop();
  pid_t main_pid() const { return main_pid_; }

 private:
  // A call between its entry and exit stops (sandbox2's syscalls_in_progress_).
  struct InFlight {
    const SyscallEntry* entry = nullptr;
    uint64_t args[6] = {};
    SyscallEvent event;
    bool record = true;        // emit an event at exit (false: bookkeeping only, e.g. dup)
    bool interrupted = false;  // exit said ERESTART*: it may be restarted by the kernel
    TimeNs interrupted_ns = 0;
    std::optional<Endpoint> destination;  // connect/sendto destination
  };
  struct Tracee {
    pid_t tid = 0;
    pid_t tgid = 0;
    std::shared_ptr<FdTable> table;
    std::optional<InFlight> call;
    bool report = true;  // its calls are reported (follow_forks, or one of the main processes)
    bool detach_on_stop = false;  // an untraced child (attach mode without -f)
  };

  void Handle(pid_t tid, const WaitStatus& ws);
  Tracee* Find(pid_t tid);
  Tracee& Adopt(pid_t tid, const Tracee* parent);
  void OnNewChild(Tracee& parent, pid_t child);
  void OnGone(pid_t tid, const WaitStatus& ws);
  void OnExec(Tracee& t);
  // Returns whether the exit stop of this call is needed.
  bool OnEntry(Tracee& t, uint64_t nr, const uint64_t args[6]);
  void OnExit(Tracee& t, int64_t rval, bool is_error);
  void Emit(Tracee& t, InFlight& c);
  void EmitUnfinished(Tracee& t, TimeNs when);
  void Resume(pid_t tid, int sig, bool want_exit);

  FdEntry* Lookup(Tracee& t, int fd);
  // Re-reads the socket's addresses (see ResolveSocket for the flags).
  void Refresh(Tracee& t, int fd, FdEntry& f, bool want_local = true, bool want_peer = true);
  void EraseFd(Tracee& t, int fd);
  void CopyFd(Tracee& t, int from, int to);
  void ResolvePendingConnect(Tracee& t, int fd, InFlight& c);
  std::vector<FdSocket> WaitedSockets(Tracee& t, const std::vector<int>& fds);
  void Intent(Tracee& t, const InFlight& c, FdEntry* f, std::optional<Endpoint> remote,
              std::optional<Endpoint> local);

  void HandleStopRequest();
  void DetachAll();
  void KillAll(int sig);
  void ProcessEventNow(ProcessEvent::Kind kind, pid_t pid, int status, std::string detail,
                       pid_t parent = 0);

  const Mode mode_;
  EventSink* const sink_;
  const bool follow_forks_;
  pid_t owner_tid_ = 0;  // the thread that attached; ptrace only answers it
  pid_t main_pid_ = 0;
  absl::flat_hash_set<pid_t> main_tgids_;
  absl::flat_hash_map<pid_t, std::unique_ptr<Tracee>> tracees_;
  std::vector<pid_t> initially_stopped_;
  std::vector<ProcessEvent> initial_events_;
  uint64_t next_id_ = 1;
  std::optional<int> exit_status_;
  bool stopping_ = false;
  TimeNs term_deadline_ns_ = 0;
  bool termed_ = false;
  TimeNs kill_deadline_ns_ = 0;
  bool killed_hard_ = false;
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> running_{false};
  SourceAddressFinder source_addresses_;
};

}  // namespace netcorr::tracer
