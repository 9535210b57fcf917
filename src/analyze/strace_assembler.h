#pragma once

// The stateful half of the strace reader: pairs <unfinished ...> with <... resumed>, follows
// restarts, forks, execs and threads, and feeds each process's socket model
// (src/socket_model, the same rules the live tracer follows) so it emits the SyscallEvent values
// a live session would: the correlator cannot tell a log from a live session.
//
// It streams: a call leaves for the ReorderBuffer as soon as it is final, and leaves the
// Assembler's memory then. A call is final at its exit unless it is on a socket whose ends a
// later call may still show (-yy decorates the fd at entry: the connect that gave a socket its
// address shows no local end; the next call on it does). Those calls are held, per socket,
// until one of: the ends are known (local, and remote for a stream), the socket is closed
// (close(), or another socket shows up under its fd number), its process exits,
// kMaxHeldPerSocket calls of the socket are waiting, or kMaxHeldAge calls have completed since
// (the oldest then leave as they are). AF_UNIX sockets and listening sockets with a local end
// have no ends to wait for. So what is held follows the live sockets, not the log's length; the
// next call on a socket, which shows its ends, seldom comes later than that.

#include <cstddef>
#include <cstdint>
#include <deque>
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
#include "src/analyze/strace_reorder.h"
#include "src/socket_model/fd_table.h"

namespace netcorr::analyze {

// Lines of a -ff file or of a log without -f carry no pid; until the log reveals it
// (set_tid_address/getpid results) they are filed under this placeholder.
inline constexpr int32_t kAnonymousTid = 0;

// Times from a damaged or hostile log can be anything: sums saturate instead of overflowing.
TimeNs AddTime(TimeNs a, TimeNs b);

class Assembler {
 public:
  // Held calls of one socket beyond this leave without waiting for its ends (see above).
  static constexpr size_t kMaxHeldPerSocket = 64;
  static constexpr uint64_t kMaxHeldAge = 16384;
  // How much earlier than its resumed line's stamp a resumed call may exit (see LowestPending).
  static constexpr TimeNs kResumeSlackNs = 10'000'000;

  // Final items go to `out`, which must outlive the Assembler.
  Assembler(const StraceParseOptions& options, ReorderBuffer& out)
      : options_(options), out_(out), anonymous_tid_(options.default_pid) {}

  void Consume(const StraceLine& l, int32_t source_tid, std::string_view raw);
  void CountUnknown(std::string_view raw);
  void CountLine() { ++facts_.lines; }
  // The end of the log: calls still in progress were blocked when strace stopped; everything
  // held is released.
  void Finish();
  uint64_t recognized() const { return recognized_; }
  const StraceLogFacts& facts() const { return facts_; }

  // No item the Assembler has yet to hand out can sort below this, given that every line still
  // to come is stamped at `clock` or later (lines are in time order per source, and sources
  // are merged by time).
  ItemKey LowestPending(TimeNs clock) const;
  // The pid and tid as far as the log has told them by now (the placeholder tid of a log
  // without pids, the thread group of a thread whose clone came after its first line).
  void Relabel(StraceItem& item) const;
  // Calls held until their socket's ends are known.
  size_t held_calls() const { return held_.size(); }

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
    int32_t tgid = 0;         // the process that recorded its first call
    bool addressed = false;  // a call gave the socket an address: later ones may be backfilled
    bool listening = false;  // listen() was called: it never gets a remote end
    std::vector<uint64_t> held;  // ids of its calls waiting for the ends, oldest first
  };
  using FdState = socket_model::FdState;

  int32_t TgidOf(int32_t tid) const {
    auto it = tgid_of_.find(tid);
    return it == tgid_of_.end() ? tid : it->second;
  }
  void NoteTime(TimeNs t) {
    if (t == 0) return;
    if (facts_.first_time_ns == 0 || t < facts_.first_time_ns) facts_.first_time_ns = t;
    if (t > facts_.last_time_ns) facts_.last_time_ns = t;
  }
  void EmitProcess(ProcessEvent p);
  void EmitSignal(StraceSignal s);
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
  // strace_held_calls.cc: calls held until their socket's ends are known.
  void Backfill(const FdState& s);
  void Record(SyscallEvent ev, FdState* s, bool addresses_socket);
  // Hands a final call to the reorder buffer.
  void EmitCall(SyscallEvent ev, uint64_t order);
  // Releases every call held for the socket with this serial, and forgets the socket.
  void ReleaseSocket(uint64_t serial);
  void ReleaseProcess(int32_t tgid);
  // Hands out a held call (if it still is); its socket's list forgets it lazily.
  void ReleaseHeld(uint64_t id);
  // Tells the socket model a finished call on `fd` returned; records what it resolved.
  void CallReturned(int32_t tgid, int fd, SyscallEvent& ev, std::optional<int> so_error);
  std::vector<FdSocket> WaitedFromPoll(int32_t tgid, std::string_view list);
  std::vector<FdSocket> WaitedFromSelect(int32_t tgid, const std::vector<std::string_view>& a);

  const StraceParseOptions& options_;
  ReorderBuffer& out_;
  StraceLogFacts facts_;
  uint64_t recognized_ = 0;
  uint64_t next_call_id_ = 1;  // ids in the order calls complete
  uint64_t next_order_ = 0;    // of every item made
  int32_t anonymous_tid_ = 0;
  bool anonymous_learnt_ = false;

  absl::flat_hash_map<int32_t, int32_t> tgid_of_;
  absl::flat_hash_set<int32_t> seen_tids_;
  absl::flat_hash_set<int32_t> started_pids_;  // pids whose start (fork/clone) is in the log
  absl::flat_hash_map<int32_t, Unfinished> unfinished_;
  absl::flat_hash_map<int32_t, Interrupted> interrupted_;
  absl::flat_hash_map<int32_t, socket_model::FdTable> tables_;  // by tgid
  absl::flat_hash_map<uint64_t, Instance> instances_;           // by socket serial
  struct HeldCall {
    uint64_t order = 0;
    SyscallEvent ev;
  };
  absl::flat_hash_map<uint64_t, HeldCall> held_;                 // by call id
  std::deque<uint64_t> held_order_;  // the ids held, oldest first (released ones linger)
  std::vector<std::string_view> args_;  // scratch for SplitArgs
  std::string joined_;  // scratch for unfinished + resumed arguments
  FdState orphan_;      // the socket of a call whose fd argument is not in the log
};

}  // namespace netcorr::analyze
