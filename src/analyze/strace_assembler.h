#pragma once

// The stateful half of the strace reader: pairs <unfinished ...> with <... resumed>, follows
// restarts, forks, execs and threads, and feeds each process's socket model
// (src/socket_model, the same rules the live tracer follows) so it emits the SyscallEvent values
// a live session would: the correlator cannot tell a log from a live session.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "src/analyze/strace_args.h"
#include "src/analyze/strace_call_class.h"
#include "src/analyze/strace_line.h"
#include "src/analyze/strace_log.h"
#include "src/socket_model/fd_table.h"

namespace netcorr::analyze {

// Lines of a -ff file or of a log without -f carry no pid; until the log reveals it
// (set_tid_address/getpid results) they are filed under this placeholder.
inline constexpr int32_t kAnonymousTid = 0;

// Times from a damaged or hostile log can be anything: sums saturate instead of overflowing.
TimeNs AddTime(TimeNs a, TimeNs b);

class Assembler {
 public:
  explicit Assembler(const StraceParseOptions& options)
      : options_(options), anonymous_tid_(options.default_pid) {}

  void Consume(const StraceLine& l, int32_t source_tid, std::string_view raw);
  void CountUnknown(std::string_view raw);
  void CountLine() { ++result_.lines; }
  StraceParseResult Finish();
  uint64_t recognized() const { return recognized_; }

 private:
  // What a call line says of its result.
  struct Outcome {
    bool finished = true;
    int64_t result = 0;
    int error = 0;
    std::string_view decoration;
    std::string_view comment;
  };
  // The entry half of a call printed with <unfinished ...>.
  struct Unfinished {
    std::string name;
    std::string args;
    TimeNs entry_ns = 0;
  };
  // A call that returned ERESTART*: it either restarts (same call again, or restart_syscall)
  // or ends as EINTR when the signal handler returns.
  struct Interrupted {
    std::string name;
    std::string args;
    TimeNs entry_ns = 0;
    TimeNs interrupted_ns = 0;
  };
  // The events of one socket (by socket_model serial), so that ends learnt later (a -yy
  // decoration after connect) reach the calls made before: strace decorates the fd at entry,
  // the tracer reports it at exit.
  struct Instance {
    std::vector<size_t> events;
    size_t addressed_from = SIZE_MAX;  // first event that gave the socket an address
  };
  using FdState = socket_model::FdState;

  int32_t TgidOf(int32_t tid) const {
    auto it = tgid_of_.find(tid);
    return it == tgid_of_.end() ? tid : it->second;
  }
  void NoteTime(TimeNs t) {
    if (t == 0) return;
    if (result_.first_time_ns == 0 || t < result_.first_time_ns) result_.first_time_ns = t;
    if (t > result_.last_time_ns) result_.last_time_ns = t;
  }
  void LearnAnonymousTid(int32_t tid);
  void NoteNewTid(int32_t tid);

  // strace_assembler.cc: pairing, restarts, processes.
  bool ContinueInterrupted(int32_t tid, std::string_view name, std::string_view args,
                           TimeNs exit_ns, const Outcome& o);
  void FinishInterrupted(int32_t tid, Interrupted& in, int error, TimeNs exit_ns, bool finished);
  void FlushTid(int32_t tid, TimeNs when);
  void ProcessBookkeeping(CallClass cls, int32_t tid, std::string_view args, TimeNs exit_ns,
                          const Outcome& o);

  // strace_socket_calls.cc: what each call does to the socket model, and its event.
  void Complete(int32_t tid, std::string_view name, std::string_view args, TimeNs entry_ns,
                TimeNs exit_ns, const Outcome& o);
  socket_model::FdTable& Table(int32_t tgid) { return tables_[tgid]; }
  // Merges a decoration into the fd's state; returns the state, or nullptr for a non-socket.
  FdState* Observe(int32_t tgid, const FdArg& fd, bool intrinsically_socket);
  void MergeIdentity(FdState& s, const SocketIdentity& seen);
  void Backfill(const FdState& s);
  size_t Record(SyscallEvent ev, FdState* s, bool addresses_socket);
  // Tells the socket model a finished call on `fd` returned; records what it resolved.
  void CallReturned(int32_t tgid, int fd, SyscallEvent& ev, std::optional<int> so_error);
  std::vector<FdSocket> WaitedFromPoll(int32_t tgid, std::string_view list);
  std::vector<FdSocket> WaitedFromSelect(int32_t tgid, const std::vector<std::string_view>& a);

  const StraceParseOptions& options_;
  StraceParseResult result_;
  uint64_t recognized_ = 0;
  int32_t anonymous_tid_ = 0;
  bool anonymous_learnt_ = false;

  absl::flat_hash_map<int32_t, int32_t> tgid_of_;
  absl::flat_hash_set<int32_t> seen_tids_;
  absl::flat_hash_set<int32_t> started_pids_;  // pids whose start (fork/clone) is in the log
  absl::flat_hash_map<int32_t, Unfinished> unfinished_;
  absl::flat_hash_map<int32_t, Interrupted> interrupted_;
  absl::flat_hash_map<int32_t, socket_model::FdTable> tables_;  // by tgid
  absl::flat_hash_map<uint64_t, Instance> instances_;           // by socket serial
  std::vector<SyscallEvent> events_;    // in completion order; sorted by entry in Finish()
  std::vector<std::string_view> args_;  // scratch for SplitArgs
  std::string joined_;  // scratch for unfinished + resumed arguments
  FdState orphan_;      // the socket of a call whose fd argument is not in the log
};

}  // namespace netcorr::analyze
