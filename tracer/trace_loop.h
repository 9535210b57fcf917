#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstring>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "src/model/syscall_event.h"
#include "src/socket_model/fd_table.h"
#include "tracer/socket_resolver.h"
#include "tracer/sockaddr.h"
#include "tracer/syscall_table.h"
#include "tracer/tracee_os.h"
#include "tracer/tracer.h"
#include "tracer/wait_status.h"

namespace netcorr::tracer {

// A thread group's descriptors as the tracer knows them (threads share one; a forked child
// gets a copy). The rules live in socket_model::FdTable; the tracer learns what it did not see
// being created lazily from /proc, and caches the kind of every fd so read/write on files runs
// with a single, short stop.
struct ProcessFds {
  explicit ProcessFds(pid_t tgid) : tgid(tgid) {}
  pid_t tgid;
  socket_model::FdTable table;
  // The last flow announced through BeforeTraffic per fd, so that a stream of sends on one flow
  // stops the capture's filter update only once.
  using AnnouncedFlow = std::pair<std::optional<Endpoint>, std::optional<Endpoint>>;
  absl::flat_hash_map<int, AnnouncedFlow> announced;
};

// The ptrace event loop behind Tracer. One instance per session; see tracer.h for the contract.
class TraceLoop {
 public:
  enum class Mode { kLaunch, kAttach };
  // `os` is the kernel the loop talks to once its tracees are traced; nullptr: the live one.
  TraceLoop(Mode mode, EventSink* sink, bool follow_forks, std::unique_ptr<TraceeOs> os = nullptr);
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
    std::optional<bool> close_may_block;  // setsockopt(SO_LINGER): what it sets, if it succeeds
  };
  struct Tracee {
    pid_t tid = 0;
    pid_t tgid = 0;
    std::shared_ptr<ProcessFds> fds;
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

  // The fd's state, learnt from /proc when the tracer has not seen it yet; nullptr if not open.
  socket_model::FdState* Lookup(Tracee& t, int fd);
  // Re-reads the socket's addresses (see ResolveSocket for the flags).
  void Refresh(Tracee& t, int fd, socket_model::FdState& f, bool want_local = true,
               bool want_peer = true);
  void EraseFd(Tracee& t, int fd);
  // Tells the socket model the call on fd returned, and records in the event which pending
  // connect it resolved. `so_error`: what a getsockopt(SO_ERROR) read, already decoded.
  void CallReturned(Tracee& t, int fd, InFlight& c, std::optional<int> so_error = std::nullopt);
  std::vector<FdSocket> WaitedSockets(Tracee& t, const std::vector<int>& fds);
  void Intent(Tracee& t, const InFlight& c, int fd, std::optional<Endpoint> remote,
              std::optional<Endpoint> local);
  // Announces that the thread group is about to make flows ptrace cannot see (io_uring).
  void UnseenFlowsIntent(Tracee& t, const InFlight& c);
  DecodedSockaddr ReadSockaddr(pid_t tid, uint64_t addr, uint64_t len);
  template <typename T>
  absl::StatusOr<T> ReadValue(pid_t tid, uint64_t addr) {
    absl::StatusOr<std::vector<uint8_t>> bytes = os_->ReadMemory(tid, RemoteAddr{addr}, sizeof(T));
    if (!bytes.ok()) return bytes.status();
    T v;
    std::memcpy(&v, bytes->data(), sizeof(T));
    return v;
  }

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
  std::unique_ptr<TraceeOs> os_;
};

}  // namespace netcorr::tracer
