// The stateful half of the strace parser: pairs <unfinished ...> with <... resumed>, keeps the
// fd -> socket table of each process the way the live tracer does (tracer/call_handlers.cc), and
// emits the same SyscallEvent values, so the correlator cannot tell a log from a live session.

#include "src/analyze/strace_log.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <memory>
#include <queue>
#include <sstream>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "src/analyze/line_reader.h"
#include "src/analyze/strace_args.h"
#include "src/analyze/strace_line.h"
#include "src/analyze/strace_names.h"

namespace netcorr::analyze {
namespace {

constexpr TimeNs kNsPerDay = 86'400'000'000'000;
constexpr size_t kMaxExampleBytes = 200;
constexpr size_t kBinaryProbeBytes = 64 * 1024;
constexpr uint64_t kCloneThread = 0x00010000;  // CLONE_THREAD, for -X raw flag values
// Lines of a -ff file or of a log without -f carry no pid; until the log reveals it
// (set_tid_address/getpid results) they are filed under this placeholder.
constexpr int32_t kAnonymousTid = 0;

// What a call means to the parser. The recorded ones are the calls the live tracer records
// (tracer/syscall_table.h); the others only keep the bookkeeping right.
enum class CallClass : uint8_t {
  kIgnored,
  kSocket,
  kSocketpair,
  kConnect,
  kBind,
  kListen,
  kAccept,
  kShutdown,
  kClose,
  kCloseRange,
  kGetsockopt,
  kSetsockopt,
  kSend,     // sendto, send
  kSendmsg,  // sendmsg, sendmmsg
  kRecv,     // recvfrom, recv
  kRecvmsg,  // recvmsg, recvmmsg
  kIo,       // read, write, readv, writev: recorded on sockets only
  kPoll,
  kSelect,
  kEpollWait,
  kEpollCtl,
  kDup,
  kFcntl,
  kIoctl,
  kGetsockname,
  kGetpeername,
  kClone,
  kExecve,
  kSelfPid,  // set_tid_address, getpid: reveal the pid of a log without pid prefixes
  kSigreturn,
  kRestartSyscall,
};

const absl::flat_hash_map<std::string, CallClass>& CallTable() {
  static const auto* table = new absl::flat_hash_map<std::string, CallClass>{
      {"socket", CallClass::kSocket},
      {"socketpair", CallClass::kSocketpair},
      {"connect", CallClass::kConnect},
      {"bind", CallClass::kBind},
      {"listen", CallClass::kListen},
      {"accept", CallClass::kAccept},
      {"accept4", CallClass::kAccept},
      {"shutdown", CallClass::kShutdown},
      {"close", CallClass::kClose},
      {"close_range", CallClass::kCloseRange},
      {"getsockopt", CallClass::kGetsockopt},
      {"setsockopt", CallClass::kSetsockopt},
      {"sendto", CallClass::kSend},
      {"send", CallClass::kSend},
      {"sendmsg", CallClass::kSendmsg},
      {"sendmmsg", CallClass::kSendmsg},
      {"recvfrom", CallClass::kRecv},
      {"recv", CallClass::kRecv},
      {"recvmsg", CallClass::kRecvmsg},
      {"recvmmsg", CallClass::kRecvmsg},
      {"read", CallClass::kIo},
      {"write", CallClass::kIo},
      {"readv", CallClass::kIo},
      {"writev", CallClass::kIo},
      {"poll", CallClass::kPoll},
      {"ppoll", CallClass::kPoll},
      {"select", CallClass::kSelect},
      {"_newselect", CallClass::kSelect},
      {"pselect6", CallClass::kSelect},
      {"epoll_wait", CallClass::kEpollWait},
      {"epoll_pwait", CallClass::kEpollWait},
      {"epoll_pwait2", CallClass::kEpollWait},
      {"epoll_ctl", CallClass::kEpollCtl},
      {"dup", CallClass::kDup},
      {"dup2", CallClass::kDup},
      {"dup3", CallClass::kDup},
      {"fcntl", CallClass::kFcntl},
      {"fcntl64", CallClass::kFcntl},
      {"ioctl", CallClass::kIoctl},
      {"getsockname", CallClass::kGetsockname},
      {"getpeername", CallClass::kGetpeername},
      {"clone", CallClass::kClone},
      {"clone3", CallClass::kClone},
      {"fork", CallClass::kClone},
      {"vfork", CallClass::kClone},
      {"execve", CallClass::kExecve},
      {"execveat", CallClass::kExecve},
      {"set_tid_address", CallClass::kSelfPid},
      {"getpid", CallClass::kSelfPid},
      {"rt_sigreturn", CallClass::kSigreturn},
      {"sigreturn", CallClass::kSigreturn},
      {"restart_syscall", CallClass::kRestartSyscall},
  };
  return *table;
}

CallClass Classify(std::string_view name) {
  const auto& t = CallTable();
  auto it = t.find(absl::string_view(name.data(), name.size()));
  return it == t.end() ? CallClass::kIgnored : it->second;
}

// Errors that leave a non-blocking connect still pending (as the tracer decides).
bool StillPending(int err) {
  return err == EAGAIN || err == EINPROGRESS || err == EALREADY || err == EINTR;
}

int SocketTypeFromText(std::string_view text) {
  // "SOCK_STREAM|SOCK_CLOEXEC", "0x1 /* SOCK_STREAM */|0x80000 /* SOCK_CLOEXEC */", "0x801".
  const size_t bar = text.find('|');
  std::string_view first = text.substr(0, bar);
  std::string_view sym = SymbolicPart(first);
  if (sym == "SOCK_STREAM") return SOCK_STREAM;
  if (sym == "SOCK_DGRAM") return SOCK_DGRAM;
  if (sym == "SOCK_RAW") return SOCK_RAW;
  if (sym == "SOCK_SEQPACKET") return SOCK_SEQPACKET;
  if (sym == "SOCK_RDM") return SOCK_RDM;
  if (std::optional<int64_t> v = ParseInteger(WithoutComment(first))) {
    return static_cast<int>(*v & 0xf);
  }
  return 0;
}

Transport TransportFor(int family, int type, std::string_view protocol) {
  if (family != AF_INET && family != AF_INET6) return Transport::kUnknown;
  std::string_view sym = SymbolicPart(protocol);
  if (sym == "IPPROTO_ICMP") return Transport::kIcmp;
  if (sym == "IPPROTO_ICMPV6") return Transport::kIcmpV6;
  if (sym == "IPPROTO_TCP" || sym == "IPPROTO_MPTCP") return Transport::kTcp;
  if (sym == "IPPROTO_UDP" || sym == "IPPROTO_UDPLITE") return Transport::kUdp;
  if (std::optional<int64_t> v = ParseInteger(WithoutComment(protocol)); v && *v != 0) {
    if (*v == 6) return Transport::kTcp;
    if (*v == 17) return Transport::kUdp;
    if (*v == 1) return Transport::kIcmp;
    if (*v == 58) return Transport::kIcmpV6;
  }
  if (type == SOCK_STREAM) return Transport::kTcp;
  if (type == SOCK_DGRAM) return Transport::kUdp;
  return Transport::kUnknown;
}

// "[ECONNREFUSED]", "[111]", "[0]" (getsockopt values, ioctl FIONBIO values).
std::optional<int> BracketedValue(std::string_view text) {
  text = WithoutComment(text);
  if (text.size() < 3 || text.front() != '[' || text.back() != ']') return std::nullopt;
  std::string_view inner = WithoutComment(text.substr(1, text.size() - 2));
  if (std::optional<int64_t> v = ParseInteger(inner)) return static_cast<int>(*v);
  return ErrnoFromName(inner);
}

bool SymbolIs(std::string_view arg, std::string_view name, int64_t number) {
  if (SymbolicPart(arg) == name) return true;
  std::optional<int64_t> v = ParseInteger(WithoutComment(arg));
  return v && *v == number;
}

uint64_t FdKey(int32_t tgid, int fd) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(tgid)) << 32) | static_cast<uint32_t>(fd);
}
int32_t KeyTgid(uint64_t key) { return static_cast<int32_t>(key >> 32); }
int KeyFd(uint64_t key) { return static_cast<int>(static_cast<uint32_t>(key)); }

// Times from a damaged or hostile log can be anything: sums saturate instead of overflowing.
TimeNs AddTime(TimeNs a, TimeNs b) {
  TimeNs sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) {
    return b > 0 ? std::numeric_limits<TimeNs>::max() : std::numeric_limits<TimeNs>::min();
  }
  return sum;
}

// Time of day wraps at midnight; a -tt log that crosses it keeps growing instead, so that times
// stay ordered. Kept per source: each -ff file crosses midnight on its own.
class TimeNormalizer {
 public:
  void Apply(StraceLine& line) {
    if (line.time_form != StraceTimeForm::kTimeOfDay) return;
    if (has_last_ && line.time_ns + kNsPerDay / 2 < last_) offset_ = AddTime(offset_, kNsPerDay);
    last_ = line.time_ns;
    has_last_ = true;
    line.time_ns = AddTime(line.time_ns, offset_);
  }

 private:
  bool has_last_ = false;
  TimeNs last_ = 0;
  TimeNs offset_ = 0;
};

// The entry half of a call printed with <unfinished ...>.
struct Unfinished {
  std::string name;
  std::string args;
  TimeNs entry_ns = 0;
};

// A call that returned ERESTART*: it either restarts (same call again, or restart_syscall) or
// ends as EINTR when the signal handler returns.
struct Interrupted {
  std::string name;
  std::string args;
  TimeNs entry_ns = 0;
  TimeNs interrupted_ns = 0;
};

struct FdState {
  FdKind kind = FdKind::kUnknown;
  SocketIdentity identity;
  bool nonblocking = false;
  std::optional<size_t> pending_connect;  // event index of a connect that said EINPROGRESS
  size_t instance = 0;                    // index into Assembler::instances_
};

// The events of one socket, so that ends learnt later (a -yy decoration after connect) reach
// the calls made before: strace decorates the fd at entry, the tracer reports it at exit.
struct Instance {
  std::vector<size_t> events;
  size_t addressed_from = SIZE_MAX;  // first event that gave the socket an address
};

class Assembler {
 public:
  explicit Assembler(const StraceParseOptions& options) : options_(options) {
    anonymous_tid_ = options.default_pid;
  }

  // The tid for a line without a pid prefix from a source whose files name none.
  int32_t AnonymousTid() const { return anonymous_tid_; }

  void Consume(const StraceLine& l, int32_t source_tid, std::string_view raw);
  void CountUnknown(std::string_view raw);
  void CountLine() { ++result_.lines; }
  StraceParseResult Finish();
  uint64_t recognized() const { return recognized_; }

 private:
  struct Outcome {
    bool finished = true;
    int64_t result = 0;
    int error = 0;
    std::string_view decoration;
    std::string_view comment;
  };

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

  void OnCallEntry(int32_t tid, std::string_view name);
  bool ContinueInterrupted(int32_t tid, std::string_view name, std::string_view args,
                           TimeNs exit_ns, const Outcome& o);
  void FinishInterrupted(int32_t tid, Interrupted& in, int error, TimeNs exit_ns, bool finished);
  void Complete(int32_t tid, std::string_view name, std::string_view args, TimeNs entry_ns,
                TimeNs exit_ns, const Outcome& o);
  void FlushTid(int32_t tid, TimeNs when);

  FdState& NewState(int32_t tgid, int fd);
  FdState* FindState(int32_t tgid, int fd);
  void EraseState(int32_t tgid, int fd);
  // Merges a decoration into the fd's state; returns the state, or nullptr for a non-socket.
  FdState* Observe(int32_t tgid, const FdArg& fd, bool intrinsically_socket);
  void MergeIdentity(FdState& s, const SocketIdentity& seen);
  void Backfill(const FdState& s);
  size_t Record(SyscallEvent ev, FdState* s, bool addresses_socket);
  void ResolvePending(FdState& s, SyscallEvent& ev, CallClass cls, std::optional<int> so_error);
  void ProcessBookkeeping(CallClass cls, int32_t tid, std::string_view args, TimeNs exit_ns,
                          const Outcome& o);
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
  absl::flat_hash_map<uint64_t, FdState> fds_;
  absl::flat_hash_map<uint64_t, absl::flat_hash_set<int>> epoll_sets_;
  std::vector<Instance> instances_;
  std::vector<SyscallEvent> events_;    // in completion order; sorted by entry in Finish()
  std::vector<std::string_view> args_;  // scratch for SplitArgs
  std::vector<std::string_view> inner_;
  std::string joined_;  // scratch for unfinished + resumed arguments
  FdState orphan_;      // the socket of a call whose fd argument is not in the log
};

void Assembler::CountUnknown(std::string_view raw) {
  ++result_.unknown_lines;
  if (result_.unknown_examples.size() < options_.max_unknown_examples) {
    result_.unknown_examples.emplace_back(raw.substr(0, kMaxExampleBytes));
  }
}

void Assembler::LearnAnonymousTid(int32_t tid) {
  if (anonymous_learnt_ || tid <= 0 || anonymous_tid_ != kAnonymousTid) return;
  anonymous_learnt_ = true;
  anonymous_tid_ = tid;
  // Move what was filed under the placeholder.
  std::vector<std::pair<uint64_t, FdState>> moved;
  for (auto& [key, state] : fds_) {
    if (KeyTgid(key) == kAnonymousTid) moved.emplace_back(key, std::move(state));
  }
  for (auto& [key, state] : moved) {
    fds_.erase(key);
    fds_[FdKey(tid, KeyFd(key))] = std::move(state);
  }
  // Move out before inserting: an insert may rehash and invalidate the iterator.
  if (auto it = unfinished_.find(kAnonymousTid); it != unfinished_.end()) {
    Unfinished u = std::move(it->second);
    unfinished_.erase(it);
    unfinished_[tid] = std::move(u);
  }
  if (auto it = interrupted_.find(kAnonymousTid); it != interrupted_.end()) {
    Interrupted in = std::move(it->second);
    interrupted_.erase(it);
    interrupted_[tid] = std::move(in);
  }
}

void Assembler::NoteNewTid(int32_t tid) {
  if (!seen_tids_.insert(tid).second) return;
  if (tgid_of_.contains(tid)) return;
  // A thread's first line can precede its parent's clone() result: if some task is inside a
  // clone with CLONE_THREAD right now, the newcomer is most likely its thread.
  for (const auto& [parent, u] : unfinished_) {
    if ((u.name == "clone" || u.name == "clone3") && HasFlag(u.args, "CLONE_THREAD", 0) &&
        parent != tid) {
      tgid_of_[tid] = TgidOf(parent);
      return;
    }
  }
}

FdState& Assembler::NewState(int32_t tgid, int fd) {
  FdState& s = fds_[FdKey(tgid, fd)];
  s = FdState();
  s.instance = instances_.size();
  instances_.emplace_back();
  return s;
}

FdState* Assembler::FindState(int32_t tgid, int fd) {
  auto it = fds_.find(FdKey(tgid, fd));
  return it == fds_.end() ? nullptr : &it->second;
}

void Assembler::EraseState(int32_t tgid, int fd) { fds_.erase(FdKey(tgid, fd)); }

void Assembler::MergeIdentity(FdState& s, const SocketIdentity& seen) {
  SocketIdentity& id = s.identity;
  const bool had_local = id.local.has_value();
  const bool had_remote = id.remote.has_value();
  if (seen.inode != 0) id.inode = seen.inode;
  if (seen.family != 0) id.family = seen.family;
  if (seen.type != 0) id.type = seen.type;
  if (seen.transport != Transport::kUnknown) id.transport = seen.transport;
  if (seen.local) id.local = seen.local;
  if (seen.remote) id.remote = seen.remote;
  if (!seen.unix_path.empty()) id.unix_path = seen.unix_path;
  if ((!had_local && id.local) || (!had_remote && id.remote)) Backfill(s);
}

void Assembler::Backfill(const FdState& s) {
  if (s.instance >= instances_.size()) return;
  const Instance& inst = instances_[s.instance];
  if (inst.addressed_from == SIZE_MAX) return;
  const bool stream = s.identity.type == SOCK_STREAM || s.identity.transport == Transport::kTcp;
  for (size_t i = inst.addressed_from; i < inst.events.size(); ++i) {
    SyscallEvent& ev = events_[inst.events[i]];
    if (!ev.socket || ev.socket->inode != s.identity.inode) continue;
    if (!ev.socket->local && s.identity.local) ev.socket->local = s.identity.local;
    // A datagram socket can be connected to another peer later: only streams keep one remote.
    if (stream && !ev.socket->remote && s.identity.remote) ev.socket->remote = s.identity.remote;
  }
}

FdState* Assembler::Observe(int32_t tgid, const FdArg& fd, bool intrinsically_socket) {
  if (!fd.valid || fd.fd < 0) return nullptr;
  const FdDecoration d = ParseFdDecoration(fd.decoration);
  FdState* s = FindState(tgid, fd.fd);
  if (d.kind == FdKind::kOther) {
    if (s != nullptr) EraseState(tgid, fd.fd);
    return nullptr;
  }
  if (d.kind == FdKind::kSocket) {
    if (d.protocol_decoded) result_.has_socket_decoding = true;
    // Another inode under the same number: the old socket was closed where we could not see.
    if (s == nullptr || (d.identity.inode != 0 && s->identity.inode != 0 &&
                         d.identity.inode != s->identity.inode)) {
      s = &NewState(tgid, fd.fd);
    }
    s->kind = FdKind::kSocket;
    MergeIdentity(*s, d.identity);
    return s;
  }
  if (s != nullptr && s->kind == FdKind::kSocket) return s;
  if (!intrinsically_socket) return nullptr;
  // No decoration and nothing known (no -y, the socket predates the log): the call itself says
  // the fd is a socket.
  if (s == nullptr) s = &NewState(tgid, fd.fd);
  s->kind = FdKind::kSocket;
  return s;
}

size_t Assembler::Record(SyscallEvent ev, FdState* s, bool addresses_socket) {
  if (s == &orphan_) ev.socket.reset();  // nothing is known of its socket
  const size_t index = events_.size();
  events_.push_back(std::move(ev));
  if (s != nullptr && s->instance < instances_.size()) {
    Instance& inst = instances_[s->instance];
    if (addresses_socket && inst.addressed_from == SIZE_MAX) {
      inst.addressed_from = inst.events.size();
    }
    inst.events.push_back(index);
  }
  return index;
}

void Assembler::ResolvePending(FdState& s, SyscallEvent& ev, CallClass cls,
                               std::optional<int> so_error) {
  if (!s.pending_connect) return;
  std::optional<int> outcome;
  switch (cls) {
    case CallClass::kGetsockopt:
      if (ev.error == 0 && so_error) outcome = *so_error;
      break;
    case CallClass::kConnect:
      if (ev.error == 0 || ev.error == EISCONN) {
        outcome = 0;
      } else if (!StillPending(ev.error)) {
        outcome = ev.error;
      }
      break;
    case CallClass::kPoll:
    case CallClass::kSelect:
    case CallClass::kEpollWait:
      return;  // readiness alone says neither success nor failure
    default:
      if (!ev.finished) return;
      if (ev.error == 0) {
        outcome = 0;
      } else if (!StillPending(ev.error)) {
        outcome = ev.error;
      }
      break;
  }
  if (!outcome) return;
  // Stored as an event index for now; Finish() turns it into the connect's id.
  ev.resolves_call = *s.pending_connect;
  ev.resolved_error = *outcome;
  s.pending_connect.reset();
}

std::vector<FdSocket> Assembler::WaitedFromPoll(int32_t tgid, std::string_view list) {
  std::vector<FdSocket> waited;
  list = WithoutComment(list);
  if (list.size() < 2 || list.front() != '[') return waited;
  const size_t close = FindClosing(list, 1);
  std::string_view inner =
      list.substr(1, (close == std::string_view::npos ? list.size() : close) - 1);
  std::vector<std::string_view> elems;
  SplitArgs(inner, elems, 4096);
  for (std::string_view e : elems) {
    const FdArg fd = ParseFdArg(FindField(e, "fd"));
    if (FdState* s = Observe(tgid, fd, false); s != nullptr) {
      waited.push_back(FdSocket{fd.fd, s->identity});
    }
  }
  return waited;
}

std::vector<FdSocket> Assembler::WaitedFromSelect(int32_t tgid,
                                                  const std::vector<std::string_view>& a) {
  std::vector<FdSocket> waited;
  absl::flat_hash_set<int> seen;
  for (size_t k = 1; k <= 3 && k < a.size(); ++k) {
    std::string_view set = a[k];
    if (set.size() < 2 || set.front() != '[') continue;
    // "[4<TCP:[...]> 7 9</dev/null<char 1:3>>]": numbers separated by blanks, each maybe
    // followed by a decoration (which may itself contain blanks and '<' '>').
    size_t i = 1;
    const size_t end = set.size() - 1;
    while (i < end) {
      while (i < end && set[i] == ' ') ++i;
      const size_t b = i;
      while (i < end && set[i] >= '0' && set[i] <= '9') ++i;
      if (i == b) break;
      if (i < end && set[i] == '<') {
        const size_t past = SkipDecoration(set.substr(0, end), i);
        i = past == std::string_view::npos ? end : past;
      }
      const FdArg fd = ParseFdArg(set.substr(b, i - b));
      if (FdState* s = Observe(tgid, fd, false); s != nullptr && seen.insert(fd.fd).second) {
        waited.push_back(FdSocket{fd.fd, s->identity});
      }
    }
  }
  std::sort(waited.begin(), waited.end(),
            [](const FdSocket& x, const FdSocket& y) { return x.fd < y.fd; });
  return waited;
}

void Assembler::ProcessBookkeeping(CallClass cls, int32_t tid, std::string_view args,
                                   TimeNs exit_ns, const Outcome& o) {
  const bool ok = o.finished && o.error == 0;
  switch (cls) {
    case CallClass::kSelfPid:
      if (ok && tid == kAnonymousTid) LearnAnonymousTid(static_cast<int32_t>(o.result));
      break;
    case CallClass::kClone: {
      if (!ok || o.result <= 0 || o.result > INT32_MAX) break;
      const int32_t child = static_cast<int32_t>(o.result);
      const size_t flags_at = args.find("flags=");
      std::string_view flags;
      if (flags_at != std::string_view::npos) {
        flags = args.substr(flags_at + 6);
        const size_t end = flags.find_first_of(",}");
        flags = flags.substr(0, end);
      }
      const int32_t parent = TgidOf(tid);
      if (!flags.empty() && HasFlag(flags, "CLONE_THREAD", kCloneThread)) {
        tgid_of_[child] = parent;
        break;
      }
      tgid_of_.erase(child);
      started_pids_.insert(child);
      ProcessEvent p;
      p.kind = ProcessEvent::Kind::kStarted;
      p.pid = child;
      p.parent_pid = parent;
      p.time_ns = exit_ns;
      result_.processes.push_back(std::move(p));
      // fork: the child starts with copies of the parent's descriptors.
      std::vector<std::pair<int, FdState>> copies;
      for (const auto& [key, state] : fds_) {
        if (KeyTgid(key) == parent) copies.emplace_back(KeyFd(key), state);
      }
      for (auto& [fd, state] : copies) {
        FdState& c = fds_[FdKey(child, fd)];
        c = state;
        c.pending_connect.reset();
      }
      break;
    }
    case CallClass::kExecve: {
      if (!ok) break;
      std::vector<std::string_view> a;
      SplitArgs(args, a, 3);
      ProcessEvent p;
      const int32_t pid = TgidOf(tid);
      const bool first = !started_pids_.contains(pid);
      p.kind = first ? ProcessEvent::Kind::kStarted : ProcessEvent::Kind::kExec;
      p.pid = pid;
      p.time_ns = exit_ns;
      // execve("path", ...) or execveat(dirfd, "path", ...): the first string is the program.
      for (std::string_view x : a) {
        if (!x.empty() && x.front() == '"') {
          p.detail = UnquoteString(x);
          break;
        }
      }
      started_pids_.insert(pid);
      result_.processes.push_back(std::move(p));
      break;
    }
    default:
      break;
  }
}

void Assembler::Complete(int32_t tid, std::string_view name, std::string_view args, TimeNs entry_ns,
                         TimeNs exit_ns, const Outcome& o) {
  const CallClass cls = Classify(name);
  ProcessBookkeeping(cls, tid, args, exit_ns, o);
  if (cls == CallClass::kIgnored || cls == CallClass::kSelfPid || cls == CallClass::kClone ||
      cls == CallClass::kExecve || cls == CallClass::kSigreturn ||
      cls == CallClass::kRestartSyscall) {
    return;
  }
  const int32_t tgid = TgidOf(tid);
  const bool ok = o.finished && o.error == 0;
  SplitArgs(args, args_);
  const auto arg = [&](size_t i) -> std::string_view {
    return i < args_.size() ? args_[i] : std::string_view();
  };
  // The displayed arguments leave out the fd, as the tracer's do.
  const auto args_after_fd = [&]() -> std::string {
    if (args_.size() < 2) return std::string();
    return std::string(args.substr(static_cast<size_t>(args_[1].data() - args.data())));
  };

  SyscallEvent ev;
  ev.pid = tgid;
  ev.tid = tid;
  ev.name = std::string(name);
  ev.entry_ns = entry_ns;
  // A resumed line stamped before its entry (clock step, edited log): never a negative duration.
  ev.exit_ns = std::max(exit_ns, entry_ns);
  ev.finished = o.finished;
  if (o.finished) {
    ev.error = o.error;
    if (o.error == 0) ev.result = o.result;
  }

  const FdArg fd0 = ParseFdArg(arg(0));
  const auto on_socket = [&](bool intrinsically_socket) -> FdState* {
    FdState* s = Observe(tgid, fd0, intrinsically_socket);
    if (s == nullptr && intrinsically_socket && !fd0.valid) {
      // A resumed call whose entry (with the fd) is not in the log: still a socket call.
      orphan_ = FdState();
      orphan_.instance = SIZE_MAX;
      ev.args = std::string(args);
      return &orphan_;
    }
    if (s == nullptr) return nullptr;
    ev.fd = fd0.fd;
    ev.nonblocking = s->nonblocking;
    ev.args = args_after_fd();
    return s;
  };

  switch (cls) {
    case CallClass::kSocket: {
      ev.args = std::string(args);
      const int family = ParseAddressFamily(arg(0)).value_or(0);
      const int type = SocketTypeFromText(arg(1));
      ev.nonblocking = HasFlag(arg(1), "SOCK_NONBLOCK", SOCK_NONBLOCK);
      FdState* s = nullptr;
      if (ok && o.result >= 0 && o.result <= INT32_MAX) {
        const int nfd = static_cast<int>(o.result);
        s = &NewState(tgid, nfd);
        s->kind = FdKind::kSocket;
        s->nonblocking = ev.nonblocking;
        SocketIdentity id;
        id.family = family;
        id.type = type;
        id.transport = TransportFor(family, type, arg(2));
        MergeIdentity(*s, id);
        const FdDecoration d = ParseFdDecoration(o.decoration);
        if (d.kind == FdKind::kSocket) {
          if (d.protocol_decoded) result_.has_socket_decoding = true;
          MergeIdentity(*s, d.identity);
        }
        ev.socket = s->identity;
      }
      Record(std::move(ev), s, false);
      return;
    }
    case CallClass::kSocketpair: {
      ev.args = std::string(args);
      FdState* first = nullptr;
      std::string_view pair = WithoutComment(arg(3));
      if (ok && pair.size() > 2 && pair.front() == '[') {
        std::vector<std::string_view> fds;
        SplitArgs(pair.substr(1, pair.size() - 2), fds, 2);
        const int family = ParseAddressFamily(arg(0)).value_or(0);
        const int type = SocketTypeFromText(arg(1));
        for (std::string_view f : fds) {
          const FdArg a = ParseFdArg(f);
          if (!a.valid || a.fd < 0) continue;
          FdState& s = NewState(tgid, a.fd);
          s.kind = FdKind::kSocket;
          s.nonblocking = HasFlag(arg(1), "SOCK_NONBLOCK", SOCK_NONBLOCK);
          SocketIdentity id;
          id.family = family;
          id.type = type;
          MergeIdentity(s, id);
          const FdDecoration d = ParseFdDecoration(a.decoration);
          if (d.kind == FdKind::kSocket) MergeIdentity(s, d.identity);
          if (first == nullptr) first = &s;
        }
      }
      // Both NewState calls may rehash: look the first one up again.
      if (first != nullptr) {
        const FdArg a = ParseFdArg(pair.substr(
            1, pair.find(',') == std::string_view::npos ? pair.size() - 2 : pair.find(',') - 1));
        first = FindState(tgid, a.fd);
        if (first != nullptr) ev.socket = first->identity;
      }
      Record(std::move(ev), first, false);
      return;
    }
    case CallClass::kConnect: {
      FdState* s = on_socket(true);
      if (s == nullptr) return;
      std::optional<DecodedSockaddr> sa = ParseSockaddr(arg(1));
      if (sa) {
        ev.address = sa->endpoint;
        if (sa->family == AF_UNIX && s->identity.unix_path.empty()) {
          s->identity.unix_path = sa->unix_path;
        }
        if (s->identity.family == 0) s->identity.family = sa->family;
      }
      ResolvePending(*s, ev, cls, std::nullopt);
      if (!s->identity.remote && ev.address) {
        SocketIdentity seen;
        seen.remote = ev.address;
        MergeIdentity(*s, seen);
      }
      ev.socket = s->identity;
      const bool pending = o.finished && ev.error == EINPROGRESS;
      const size_t index = Record(std::move(ev), s, true);
      if (pending) s->pending_connect = index;
      return;
    }
    case CallClass::kBind: {
      FdState* s = on_socket(true);
      if (s == nullptr) return;
      std::optional<DecodedSockaddr> sa = ParseSockaddr(arg(1));
      if (sa) {
        ev.address = sa->endpoint;
        if (sa->family == AF_UNIX && s->identity.unix_path.empty()) {
          s->identity.unix_path = sa->unix_path;
        }
        if (s->identity.family == 0) s->identity.family = sa->family;
        // Port 0 asks the kernel to choose: the real port shows up in a later decoration.
        if (ok && sa->endpoint && sa->endpoint->port != 0 && !s->identity.local) {
          SocketIdentity seen;
          seen.local = sa->endpoint;
          MergeIdentity(*s, seen);
        }
      }
      ev.socket = s->identity;
      Record(std::move(ev), s, true);
      return;
    }
    case CallClass::kListen:
    case CallClass::kShutdown:
    case CallClass::kSetsockopt: {
      FdState* s = on_socket(true);
      if (s == nullptr) return;
      ev.socket = s->identity;
      Record(std::move(ev), s, false);
      return;
    }
    case CallClass::kAccept: {
      FdState* s = on_socket(true);
      if (s == nullptr) return;
      ev.socket = s->identity;
      if (ok && o.result >= 0 && o.result <= INT32_MAX) {
        const SocketIdentity listening = s->identity;
        const int nfd = static_cast<int>(o.result);
        FdState& n = NewState(tgid, nfd);
        n.kind = FdKind::kSocket;
        n.nonblocking = HasFlag(arg(3), "SOCK_NONBLOCK", SOCK_NONBLOCK);
        SocketIdentity id;
        id.family = listening.family;
        id.type = listening.type;
        id.transport = listening.transport;
        id.unix_path = listening.unix_path;
        if (std::optional<DecodedSockaddr> sa = ParseSockaddr(arg(1))) id.remote = sa->endpoint;
        if (listening.local && !listening.local->addr.is_unspecified()) id.local = listening.local;
        MergeIdentity(n, id);
        const FdDecoration d = ParseFdDecoration(o.decoration);
        if (d.kind == FdKind::kSocket) MergeIdentity(n, d.identity);
        ev.socket = n.identity;
        ev.address = n.identity.remote;
        Record(std::move(ev), &n, true);
        return;
      }
      Record(std::move(ev), s, false);
      return;
    }
    case CallClass::kClose: {
      FdState* s = on_socket(false);
      if (s == nullptr) {
        if (fd0.valid) EraseState(tgid, fd0.fd);
        return;
      }
      ev.socket = s->identity;
      ev.args.clear();
      Record(std::move(ev), s, false);
      // The fd is released even when close() reports an error.
      EraseState(tgid, fd0.fd);
      return;
    }
    case CallClass::kCloseRange: {
      const std::optional<int64_t> first = ParseInteger(WithoutComment(arg(0)));
      const std::optional<int64_t> last = ParseInteger(WithoutComment(arg(1)));
      if (!ok || !first || !last || HasFlag(arg(2), "CLOSE_RANGE_CLOEXEC", 4)) return;
      std::vector<uint64_t> doomed;
      for (const auto& [key, state] : fds_) {
        if (KeyTgid(key) == tgid && KeyFd(key) >= *first && KeyFd(key) <= *last) {
          doomed.push_back(key);
        }
      }
      for (uint64_t key : doomed) fds_.erase(key);
      return;
    }
    case CallClass::kGetsockopt: {
      if (!SymbolIs(arg(1), "SOL_SOCKET", SOL_SOCKET) || !SymbolIs(arg(2), "SO_ERROR", SO_ERROR)) {
        Observe(tgid, fd0, true);  // learn the decoration all the same
        return;
      }
      FdState* s = on_socket(true);
      if (s == nullptr) return;
      ResolvePending(*s, ev, cls, BracketedValue(arg(3)));
      ev.socket = s->identity;
      Record(std::move(ev), s, false);
      return;
    }
    case CallClass::kSend:
    case CallClass::kSendmsg:
    case CallClass::kRecv:
    case CallClass::kRecvmsg:
    case CallClass::kIo: {
      const bool socket_call = cls != CallClass::kIo;
      FdState* s = on_socket(socket_call);
      if (s == nullptr) return;
      std::optional<DecodedSockaddr> sa;
      if (cls == CallClass::kSend || cls == CallClass::kRecv) {
        sa = ParseSockaddr(arg(4));
      } else if (cls == CallClass::kSendmsg || cls == CallClass::kRecvmsg) {
        std::string_view m = arg(1);
        if (const size_t at = m.find("msg_name="); at != std::string_view::npos) {
          sa = ParseSockaddr(m.substr(at + 9));
        }
      }
      if (sa && sa->endpoint) ev.address = sa->endpoint;
      if (!ev.address && s->identity.remote && cls != CallClass::kIo) {
        ev.address = s->identity.remote;
      }
      ResolvePending(*s, ev, cls, std::nullopt);
      ev.socket = s->identity;
      const bool sends = cls == CallClass::kSend || cls == CallClass::kSendmsg;
      Record(std::move(ev), s, sends && sa && sa->endpoint);
      return;
    }
    case CallClass::kPoll: {
      ev.waited = WaitedFromPoll(tgid, arg(0));
      if (ev.waited.empty()) return;
      ev.args = std::string(args);
      Record(std::move(ev), nullptr, false);
      return;
    }
    case CallClass::kSelect: {
      ev.waited = WaitedFromSelect(tgid, args_);
      if (ev.waited.empty()) return;
      ev.args = std::string(args);
      Record(std::move(ev), nullptr, false);
      return;
    }
    case CallClass::kEpollWait: {
      if (!fd0.valid) return;
      auto it = epoll_sets_.find(FdKey(tgid, fd0.fd));
      if (it == epoll_sets_.end() || it->second.empty()) return;
      std::vector<int> fds(it->second.begin(), it->second.end());
      std::sort(fds.begin(), fds.end());
      for (int f : fds) {
        if (FdState* s = FindState(tgid, f); s != nullptr && s->kind == FdKind::kSocket) {
          ev.waited.push_back(FdSocket{f, s->identity});
        }
      }
      if (ev.waited.empty()) return;
      ev.args = std::string(args);
      Record(std::move(ev), nullptr, false);
      return;
    }
    case CallClass::kEpollCtl: {
      if (!ok || !fd0.valid) return;
      const FdArg target = ParseFdArg(arg(2));
      FdState* s = Observe(tgid, target, false);
      if (s == nullptr) return;
      auto& set = epoll_sets_[FdKey(tgid, fd0.fd)];
      if (SymbolIs(arg(1), "EPOLL_CTL_ADD", 1)) set.insert(target.fd);
      if (SymbolIs(arg(1), "EPOLL_CTL_DEL", 2)) set.erase(target.fd);
      return;
    }
    case CallClass::kDup: {
      if (!ok || !fd0.valid || o.result < 0 || o.result > INT32_MAX) return;
      const int nfd = static_cast<int>(o.result);
      if (nfd == fd0.fd) return;
      FdState* s = Observe(tgid, fd0, false);
      if (s == nullptr) {
        EraseState(tgid, nfd);
        return;
      }
      FdState copy = *s;
      copy.pending_connect.reset();
      fds_[FdKey(tgid, nfd)] = std::move(copy);
      return;
    }
    case CallClass::kFcntl: {
      if (!ok || !fd0.valid) return;
      std::string_view cmd = SymbolicPart(arg(1));
      if (cmd == "F_SETFL" || SymbolIs(arg(1), "F_SETFL", F_SETFL)) {
        if (FdState* s = Observe(tgid, fd0, false); s != nullptr) {
          s->nonblocking = HasFlag(arg(2), "O_NONBLOCK", O_NONBLOCK);
        }
      } else if (SymbolIs(arg(1), "F_GETFL", F_GETFL)) {
        if (FdState* s = Observe(tgid, fd0, false); s != nullptr) {
          s->nonblocking = o.comment.find("O_NONBLOCK") != std::string_view::npos ||
                           (o.result & O_NONBLOCK) != 0;
        }
      } else if (SymbolIs(arg(1), "F_DUPFD", F_DUPFD) ||
                 SymbolIs(arg(1), "F_DUPFD_CLOEXEC", F_DUPFD_CLOEXEC)) {
        if (o.result < 0 || o.result > INT32_MAX) return;
        if (FdState* s = Observe(tgid, fd0, false); s != nullptr) {
          FdState copy = *s;
          copy.pending_connect.reset();
          fds_[FdKey(tgid, static_cast<int>(o.result))] = std::move(copy);
        }
      } else {
        Observe(tgid, fd0, false);
      }
      return;
    }
    case CallClass::kIoctl: {
      if (!ok || !fd0.valid) return;
      if (!SymbolIs(arg(1), "FIONBIO", FIONBIO)) return;
      if (FdState* s = Observe(tgid, fd0, false); s != nullptr) {
        if (std::optional<int> v = BracketedValue(arg(2))) s->nonblocking = *v != 0;
      }
      return;
    }
    case CallClass::kGetsockname:
    case CallClass::kGetpeername: {
      FdState* s = Observe(tgid, fd0, true);
      if (s == nullptr || !ok) return;
      std::optional<DecodedSockaddr> sa = ParseSockaddr(arg(1));
      if (!sa || !sa->endpoint) return;
      SocketIdentity seen;
      if (cls == CallClass::kGetsockname) {
        if (!s->identity.local) seen.local = sa->endpoint;
      } else if (!s->identity.remote) {
        seen.remote = sa->endpoint;
      }
      MergeIdentity(*s, seen);
      return;
    }
    default:
      return;
  }
}

void Assembler::FinishInterrupted(int32_t tid, Interrupted& in, int error, TimeNs exit_ns,
                                  bool finished) {
  Outcome o;
  o.finished = finished;
  o.error = error;
  o.result = error != 0 ? -1 : 0;
  Complete(tid, in.name, in.args, in.entry_ns, exit_ns, o);
}

// Decides what a call line means for an interrupted call of the same thread. Returns true when
// the line was the interrupted call's own continuation (and has been consumed).
bool Assembler::ContinueInterrupted(int32_t tid, std::string_view name, std::string_view args,
                                    TimeNs exit_ns, const Outcome& o) {
  auto it = interrupted_.find(tid);
  if (it == interrupted_.end()) return false;
  Interrupted& in = it->second;
  const CallClass cls = Classify(name);
  if (cls == CallClass::kSigreturn) {
    // The handler returned: EINTR now, or a restart that shows up as the next call.
    if (o.error == EINTR) {
      Interrupted done = std::move(in);
      interrupted_.erase(it);
      FinishInterrupted(tid, done, EINTR, exit_ns, true);
    }
    return false;
  }
  Interrupted done = std::move(in);
  interrupted_.erase(it);
  if (cls == CallClass::kRestartSyscall || name == done.name) {
    if (IsRestartErrno(o.error)) {
      // Interrupted again: keep the original entry.
      done.interrupted_ns = exit_ns;
      if (name == done.name) done.args = std::string(args);
      interrupted_[tid] = std::move(done);
      return true;
    }
    Complete(tid, done.name, name == done.name ? args : std::string_view(done.args), done.entry_ns,
             exit_ns, o);
    return true;
  }
  FinishInterrupted(tid, done, EINTR, done.interrupted_ns, true);
  return false;
}

void Assembler::FlushTid(int32_t tid, TimeNs when) {
  if (auto it = unfinished_.find(tid); it != unfinished_.end()) {
    Unfinished u = std::move(it->second);
    unfinished_.erase(it);
    Outcome o;
    o.finished = false;
    Complete(tid, u.name, u.args, u.entry_ns, std::max(when, u.entry_ns), o);
  }
  if (auto it = interrupted_.find(tid); it != interrupted_.end()) {
    Interrupted in = std::move(it->second);
    interrupted_.erase(it);
    // Interrupted by a signal that then ended the thread (or tracing): it never completed.
    FinishInterrupted(tid, in, 0, in.interrupted_ns, false);
  }
}

void Assembler::Consume(const StraceLine& l, int32_t source_tid, std::string_view raw) {
  if (l.kind == StraceLineKind::kUnknown) {
    CountUnknown(raw);
    return;
  }
  ++recognized_;
  int32_t tid = l.has_pid ? l.pid : source_tid;
  if (!l.has_pid && source_tid == kAnonymousTid) tid = anonymous_tid_;
  NoteNewTid(tid);
  if (l.time_form != StraceTimeForm::kNone) {
    result_.has_timestamps = true;
    if (l.time_form == StraceTimeForm::kTimeOfDay) result_.time_of_day_only = true;
    result_.timestamp_precision_digits =
        std::max(result_.timestamp_precision_digits, l.time_digits);
  }
  if (l.has_duration) result_.has_durations = true;
  const TimeNs t = l.time_form != StraceTimeForm::kNone ? l.time_ns : 0;
  NoteTime(t);

  Outcome o;
  o.finished = l.has_result && !l.result_unknown;
  o.result = l.result;
  o.error = l.error;
  if (o.finished && o.error == 0 && l.result < 0 && l.result >= -4095 && !l.error_name.empty()) {
    o.error = static_cast<int>(-l.result);  // an errno name this C library does not know
  }
  o.decoration = l.result_decoration;
  o.comment = l.result_comment;
  if (l.result_unknown && l.error != 0) {
    o.error = l.error;  // "= ? ERESTARTSYS": the kernel's restart codes
  }

  switch (l.kind) {
    case StraceLineKind::kCall: {
      const TimeNs exit_ns = l.has_duration ? AddTime(t, l.duration_ns) : t;
      NoteTime(exit_ns);
      if (ContinueInterrupted(tid, l.name, l.args, exit_ns, o)) return;
      if (IsRestartErrno(o.error)) {
        interrupted_[tid] = Interrupted{std::string(l.name), std::string(l.args), t, exit_ns};
        return;
      }
      Complete(tid, l.name, l.args, t, exit_ns, o);
      return;
    }
    case StraceLineKind::kUnfinished: {
      // A second entry on the same thread: the first never resumed in the log.
      if (unfinished_.contains(tid)) FlushTid(tid, t);
      if (auto it = interrupted_.find(tid); it != interrupted_.end()) {
        const CallClass cls = Classify(l.name);
        if (cls != CallClass::kRestartSyscall && l.name != it->second.name &&
            cls != CallClass::kSigreturn) {
          Interrupted done = std::move(it->second);
          interrupted_.erase(it);
          FinishInterrupted(tid, done, EINTR, done.interrupted_ns, true);
        }
      }
      unfinished_[tid] = Unfinished{std::string(l.name), std::string(l.args), t};
      return;
    }
    case StraceLineKind::kResumed: {
      auto it = unfinished_.find(tid);
      TimeNs entry = t;
      std::string_view args = l.args;
      if (it != unfinished_.end() && it->second.name == l.name) {
        entry = it->second.entry_ns;
        joined_ = std::move(it->second.args);
        unfinished_.erase(it);
        if (!joined_.empty() && !l.args.empty() && joined_.back() == ',') joined_.push_back(' ');
        joined_.append(l.args);
        args = joined_;
      } else if (l.has_duration && t >= l.duration_ns) {
        // The entry is not in the log (it began before tracing did): -T still gives it.
        entry = t - l.duration_ns;
      }
      TimeNs exit_ns = l.has_duration ? AddTime(entry, l.duration_ns) : t;
      if (!l.has_duration && t == 0) exit_ns = entry;
      NoteTime(exit_ns);
      if (!l.has_result) o.finished = false;
      if (!o.finished && !IsRestartErrno(o.error)) {
        Complete(tid, l.name, args, entry, exit_ns, o);
        return;
      }
      if (ContinueInterrupted(tid, l.name, args, exit_ns, o)) return;
      if (IsRestartErrno(o.error)) {
        interrupted_[tid] = Interrupted{std::string(l.name), std::string(args), entry, exit_ns};
        return;
      }
      Complete(tid, l.name, args, entry, exit_ns, o);
      return;
    }
    case StraceLineKind::kExited:
    case StraceLineKind::kKilled: {
      FlushTid(tid, t);
      const int32_t tgid = TgidOf(tid);
      if (tgid != tid) return;  // a thread of a process that goes on
      ProcessEvent p;
      p.pid = tid;
      p.time_ns = t;
      if (l.kind == StraceLineKind::kExited) {
        p.kind = ProcessEvent::Kind::kExited;
        p.status = l.status;
      } else {
        p.kind = ProcessEvent::Kind::kKilled;
        p.status = SignalFromName(l.name).value_or(0);
        p.detail = l.core_dumped ? absl::StrCat(std::string(l.name), " (core dumped)")
                                 : std::string(l.name);
      }
      result_.processes.push_back(std::move(p));
      return;
    }
    case StraceLineKind::kSignal: {
      StraceSignal s;
      s.pid = TgidOf(tid);
      s.tid = tid;
      s.time_ns = t;
      s.name = std::string(l.name);
      s.signo = SignalFromName(l.name).value_or(0);
      s.detail = std::string(l.args);
      result_.signals.push_back(std::move(s));
      return;
    }
    case StraceLineKind::kAttached:
    case StraceLineKind::kDetached: {
      ProcessEvent p;
      p.kind = l.kind == StraceLineKind::kAttached ? ProcessEvent::Kind::kAttached
                                                   : ProcessEvent::Kind::kDetached;
      p.pid = TgidOf(l.status);
      p.time_ns = t;
      if (l.kind == StraceLineKind::kDetached) FlushTid(l.status, t);
      result_.processes.push_back(std::move(p));
      return;
    }
    case StraceLineKind::kSuperseded:
    case StraceLineKind::kUnknown:
      return;
  }
}

StraceParseResult Assembler::Finish() {
  // Calls still in progress when the log ends were blocked when strace stopped.
  std::vector<int32_t> open;
  for (const auto& [tid, u] : unfinished_) open.push_back(tid);
  for (const auto& [tid, in] : interrupted_) open.push_back(tid);
  std::sort(open.begin(), open.end());
  open.erase(std::unique(open.begin(), open.end()), open.end());
  for (int32_t tid : open) FlushTid(tid, result_.last_time_ns);

  // The placeholder pid gets the one the log revealed.
  for (SyscallEvent& ev : events_) {
    if (ev.tid == kAnonymousTid) ev.tid = anonymous_tid_;
    ev.pid = TgidOf(ev.tid);
  }
  for (ProcessEvent& p : result_.processes) {
    if (p.pid == kAnonymousTid) p.pid = anonymous_tid_;
  }
  for (StraceSignal& s : result_.signals) {
    if (s.tid == kAnonymousTid) s.tid = anonymous_tid_;
    s.pid = TgidOf(s.tid);
  }

  // Entry order, ids from 1; links between calls follow.
  std::vector<size_t> order(events_.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return events_[a].entry_ns < events_[b].entry_ns; });
  std::vector<uint64_t> id_of(events_.size());
  for (size_t k = 0; k < order.size(); ++k) id_of[order[k]] = k + 1;
  result_.calls.reserve(events_.size());
  for (size_t k = 0; k < order.size(); ++k) {
    SyscallEvent& ev = events_[order[k]];
    ev.id = k + 1;
    if (ev.resolves_call) ev.resolves_call = id_of[*ev.resolves_call];
    result_.calls.push_back(std::move(ev));
  }
  events_.clear();
  std::stable_sort(
      result_.processes.begin(), result_.processes.end(),
      [](const ProcessEvent& a, const ProcessEvent& b) { return a.time_ns < b.time_ns; });
  return std::move(result_);
}

// True when the probe looks like binary data rather than text: strace escapes every
// non-printable byte, so a NUL or a run of control bytes means this is no strace log.
bool LooksBinary(std::string_view probe) {
  size_t odd = 0;
  for (char c : probe) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u == 0) return true;
    if ((u < 0x20 && c != '\n' && c != '\r' && c != '\t') || u >= 0x80) ++odd;
  }
  return probe.size() >= 64 && odd * 10 > probe.size();
}

struct Source {
  Source(LineReader r, std::string n, int32_t t)
      : reader(std::move(r)), tid(t), name(std::move(n)) {}

  LineReader reader;
  int32_t tid = kAnonymousTid;
  TimeNormalizer times;
  StraceLine line;
  std::string_view raw;
  bool has_line = false;
  std::string name;    // for messages
  std::string joined;  // a call broken over two lines, put back together
  std::string held;    // a line read ahead that turned out not to continue the previous one
  bool has_held = false;
};

// The next non-blank line of the source, counted; false at its end.
bool NextRaw(Source& s, Assembler& a, size_t max_line, std::string_view& raw) {
  if (s.has_held) {
    s.has_held = false;
    raw = s.held;
    return true;
  }
  for (;;) {
    bool overlong = false;
    if (!s.reader.Next(raw, overlong)) return false;
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    if (raw.find_first_not_of(" \t") == std::string_view::npos) continue;
    a.CountLine();
    if (overlong || raw.size() > max_line) {
      a.CountUnknown(raw);
      continue;
    }
    return true;
  }
}

// Reads and parses the next line of a source. Returns false at the end of the source.
bool Advance(Source& s, Assembler& a, size_t max_line) {
  std::string_view raw;
  if (!NextRaw(s, a, max_line, raw)) {
    s.has_line = false;
    return false;
  }
  StraceLine line = ParseStraceLine(raw);
  if (line.truncated_call) {
    // Maybe the rest of the call is on the next line ("-f" output to a shared stream).
    std::string first(raw);
    std::string_view next;
    if (NextRaw(s, a, max_line, next)) {
      s.joined = first;
      s.joined.append(next);
      StraceLine whole = ParseStraceLine(s.joined);
      if (whole.kind != StraceLineKind::kUnknown && !next.empty() && next.front() == ' ') {
        line = whole;
        raw = s.joined;
      } else {
        s.held = std::string(next);
        s.has_held = true;
        s.joined = std::move(first);
        raw = s.joined;
        line = ParseStraceLine(raw);
      }
    } else {
      s.joined = std::move(first);
      raw = s.joined;
      line = ParseStraceLine(raw);
    }
  }
  s.line = line;
  s.times.Apply(s.line);
  s.raw = raw;
  s.has_line = true;
  return true;
}

absl::StatusOr<StraceParseResult> ParseSources(std::vector<Source>& sources,
                                               const StraceParseOptions& options) {
  Assembler a(options);
  for (Source& s : sources) {
    std::string_view probe = s.reader.Peek(kBinaryProbeBytes);
    if (LooksBinary(probe)) {
      return absl::InvalidArgumentError(absl::StrCat(s.name, ": binary data, not an strace log"));
    }
  }
  const size_t max_line = options.max_line_bytes;
  // Lines without a time (unknown lines, logs without -t) go first: they cannot be ordered.
  using Key = std::pair<TimeNs, size_t>;
  std::priority_queue<Key, std::vector<Key>, std::greater<Key>> heap;
  const auto key_of = [](const Source& s) {
    return s.line.time_form == StraceTimeForm::kNone ? std::numeric_limits<TimeNs>::min()
                                                     : s.line.time_ns;
  };
  for (size_t i = 0; i < sources.size(); ++i) {
    if (Advance(sources[i], a, max_line)) heap.emplace(key_of(sources[i]), i);
  }
  while (!heap.empty()) {
    const size_t i = heap.top().second;
    heap.pop();
    Source& s = sources[i];
    a.Consume(s.line, s.tid, s.raw);
    if (Advance(s, a, max_line)) heap.emplace(key_of(s), i);
  }
  for (Source& s : sources) {
    if (!s.reader.status().ok()) return s.reader.status();
  }
  const uint64_t recognized = a.recognized();
  StraceParseResult r = a.Finish();
  if (r.lines > 0 && recognized == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(sources.size() == 1 ? sources[0].name : std::string("the strace logs"),
                     ": not an strace log (none of its ", r.lines, " lines is an strace line)"));
  }
  return r;
}

// "app.strace.1234" -> 1234; 0 when the name has no numeric suffix.
int32_t TidFromSuffix(const std::string& path) {
  const size_t dot = path.rfind('.');
  if (dot == std::string::npos || dot + 1 >= path.size() || path.size() - dot - 1 > 9) return 0;
  int32_t v = 0;
  for (size_t i = dot + 1; i < path.size(); ++i) {
    if (path[i] < '0' || path[i] > '9') return 0;
    v = v * 10 + (path[i] - '0');
  }
  return v;
}

absl::Status OpenError(const std::string& path, int err) {
  const std::string msg = absl::StrCat("cannot read strace log ", path, ": ", std::strerror(err));
  return err == ENOENT ? absl::NotFoundError(msg) : absl::InvalidArgumentError(msg);
}

absl::Status CheckRegularFile(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return OpenError(path, errno);
  if (S_ISDIR(st.st_mode)) return OpenError(path, EISDIR);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<StraceParseResult> ParseStraceLog(std::istream& in,
                                                 const StraceParseOptions& options) {
  std::vector<Source> sources;
  sources.emplace_back(LineReader(in, "strace log"), "strace log",
                       options.default_pid != 0 ? options.default_pid : kAnonymousTid);
  return ParseSources(sources, options);
}

absl::StatusOr<StraceParseResult> ParseStraceText(std::string_view text,
                                                  const StraceParseOptions& options) {
  std::vector<Source> sources;
  sources.emplace_back(LineReader(text), "strace log",
                       options.default_pid != 0 ? options.default_pid : kAnonymousTid);
  return ParseSources(sources, options);
}

absl::StatusOr<StraceParseResult> ParseStraceFile(const std::string& path,
                                                  const StraceParseOptions& options) {
  return ParseStraceFiles({path}, options);
}

absl::StatusOr<StraceParseResult> ParseStraceFiles(const std::vector<std::string>& paths,
                                                   const StraceParseOptions& options) {
  if (paths.empty()) return absl::InvalidArgumentError("no strace log given");
  std::vector<std::ifstream> files(paths.size());
  std::vector<Source> sources;
  sources.reserve(paths.size());
  for (size_t i = 0; i < paths.size(); ++i) {
    if (absl::Status st = CheckRegularFile(paths[i]); !st.ok()) return st;
    files[i].open(paths[i], std::ios::binary);
    if (!files[i].is_open()) return OpenError(paths[i], errno != 0 ? errno : EIO);
    // With one file, a numeric suffix is only a name ("trace.1" from -o trace.1): the pid
    // comes from the lines or the options. Several files are -ff output.
    const int32_t suffix = paths.size() > 1 ? TidFromSuffix(paths[i]) : 0;
    sources.emplace_back(
        LineReader(files[i], paths[i]), paths[i],
        suffix != 0 ? suffix : (options.default_pid != 0 ? options.default_pid : kAnonymousTid));
  }
  return ParseSources(sources, options);
}

absl::StatusOr<std::vector<std::string>> FindStraceFfFiles(const std::string& prefix) {
  const size_t slash = prefix.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : prefix.substr(0, slash + 1);
  const std::string base = slash == std::string::npos ? prefix : prefix.substr(slash + 1);
  if (base.empty()) return absl::InvalidArgumentError(absl::StrCat("no file name in ", prefix));
  std::unique_ptr<DIR, int (*)(DIR*)> d(opendir(dir.c_str()), &closedir);
  if (d == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("cannot list ", dir, " for ", prefix, ".*: ", std::strerror(errno)));
  }
  std::vector<std::pair<int32_t, std::string>> found;
  while (dirent* e = readdir(d.get())) {
    const std::string name = e->d_name;
    if (name.size() <= base.size() + 1 || name.compare(0, base.size(), base) != 0 ||
        name[base.size()] != '.') {
      continue;
    }
    const std::string full = slash == std::string::npos ? name : dir + name;
    const int32_t tid = TidFromSuffix(name);
    if (tid == 0 || name.size() != base.size() + 1 + std::to_string(tid).size()) continue;
    found.emplace_back(tid, full);
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> paths;
  paths.reserve(found.size());
  for (auto& [tid, path] : found) paths.push_back(std::move(path));
  return paths;
}

}  // namespace netcorr::analyze
