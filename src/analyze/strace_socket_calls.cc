// What each recorded call does to its process's socket model (src/socket_model), and the
// SyscallEvent it becomes: the strace reader's counterpart of the tracer's call_entry.cc and
// call_exit.cc.

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <climits>

#include "absl/container/flat_hash_set.h"
#include "src/analyze/strace_assembler.h"
#include "src/analyze/strace_names.h"
#include "src/model/socket_names.h"
#include "src/socket_model/observed_identity.h"

namespace netcorr::analyze {
namespace {

using socket_model::FdKind;

int SocketTypeFromText(std::string_view text) {
  // "SOCK_STREAM|SOCK_CLOEXEC", "0x1 /* SOCK_STREAM */|0x80000 /* SOCK_CLOEXEC */", "0x801".
  const size_t bar = text.find('|');
  std::string_view first = text.substr(0, bar);
  if (std::optional<int> type = SocketTypeFromName(SymbolicPart(first))) return *type;
  if (std::optional<int64_t> v = ParseInteger(WithoutComment(first))) {
    return static_cast<int>(*v & 0xf);
  }
  return 0;
}

// socket()'s protocol argument: "IPPROTO_TCP", "0x6 /* IPPROTO_TCP */", "6", "0".
int ProtocolFromText(std::string_view protocol) {
  if (std::optional<int> p = ProtocolFromName(SymbolicPart(protocol))) return *p;
  if (std::optional<int64_t> v = ParseInteger(WithoutComment(protocol)); v && *v >= 0) {
    return static_cast<int>(*v);
  }
  return 0;
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

}  // namespace

Assembler::FdState* Assembler::Observe(int32_t tgid, const FdArg& fd, bool intrinsically_socket) {
  if (!fd.valid || fd.fd < 0) return nullptr;
  const FdDecoration d = ParseFdDecoration(fd.decoration);
  socket_model::FdTable& table = Table(tgid);
  FdState* s = table.Find(fd.fd);
  if (d.kind == FdKind::kOther) {
    if (s != nullptr) {
      if (s->kind == FdKind::kSocket) ReleaseSocket(s->serial);
      table.Close(fd.fd);
    }
    return nullptr;
  }
  if (d.kind == FdKind::kSocket) {
    if (d.protocol_decoded) facts_.has_socket_decoding = true;
    // Another inode under the same number: the old socket was closed where we could not see.
    if (s == nullptr || s->kind != FdKind::kSocket ||
        (d.identity.inode != 0 && s->identity.inode != 0 &&
         d.identity.inode != s->identity.inode)) {
      if (s != nullptr && s->kind == FdKind::kSocket) ReleaseSocket(s->serial);
      s = &table.Learn(fd.fd, FdKind::kSocket);
    }
    MergeIdentity(*s, d.identity);
    return s;
  }
  if (s != nullptr && s->kind == FdKind::kSocket) return s;
  if (!intrinsically_socket) return nullptr;
  // No decoration and nothing known (no -y, the socket predates the log): the call itself says
  // the fd is a socket.
  return &table.Learn(fd.fd, FdKind::kSocket);
}

void Assembler::MergeIdentity(FdState& s, const SocketIdentity& seen) {
  if (socket_model::MergeObserved(s.identity, seen)) Backfill(s);
}

void Assembler::CallReturned(int32_t tgid, int fd, SyscallEvent& ev,
                             std::optional<int> so_error) {
  // The handle of a connect is the id its event is about to get (Record() numbers calls as they
  // complete). strace cannot ask the kernel whether a peer exists: SO_ERROR 0 is "connected".
  std::optional<socket_model::ConnectResolution> r =
      Table(tgid).CallReturned(fd, ev.kind, next_call_id_, ev.error, so_error, std::nullopt);
  if (!r) return;
  ev.resolves_call = r->connect;
  ev.resolved_error = r->error;
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
  ev.kind = CallKindOf(name);
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
      ev.args = std::string(args);
      return &orphan_;
    }
    if (s == nullptr) return nullptr;
    ev.fd = fd0.fd;
    ev.nonblocking = s->nonblocking;
    ev.args = args_after_fd();
    return s;
  };

  // connect/bind: the sockaddr is the call's address, and may tell the AF_UNIX path or the
  // family the log did not show before.
  const auto AddressArgument = [&](FdState& s) -> std::optional<DecodedSockaddr> {
    std::optional<DecodedSockaddr> sa = ParseSockaddr(arg(1));
    if (!sa) return sa;
    ev.address = sa->endpoint;
    if (sa->family == AF_UNIX && s.identity.unix_path.empty()) s.identity.unix_path = sa->unix_path;
    if (s.identity.family == 0) s.identity.family = sa->family;
    return sa;
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
        s = &Table(tgid).OpenSocket(
            nfd, family, type | (ev.nonblocking ? SOCK_NONBLOCK : 0), ProtocolFromText(arg(2)));
        const FdDecoration d = ParseFdDecoration(o.decoration);
        if (d.kind == FdKind::kSocket) {
          if (d.protocol_decoded) facts_.has_socket_decoding = true;
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
          const bool nonblocking = HasFlag(arg(1), "SOCK_NONBLOCK", SOCK_NONBLOCK);
          FdState& s = Table(tgid).OpenSocket(a.fd, family, type | (nonblocking ? SOCK_NONBLOCK : 0),
                                              ProtocolFromText(arg(2)));
          const FdDecoration d = ParseFdDecoration(a.decoration);
          if (d.kind == FdKind::kSocket) MergeIdentity(s, d.identity);
          if (first == nullptr) first = &s;
        }
      }
      // Both OpenSocket calls may rehash: look the first one up again.
      if (first != nullptr) {
        const FdArg a = ParseFdArg(pair.substr(
            1, pair.find(',') == std::string_view::npos ? pair.size() - 2 : pair.find(',') - 1));
        first = Table(tgid).FindSocket(a.fd);
        if (first != nullptr) ev.socket = first->identity;
      }
      Record(std::move(ev), first, false);
      return;
    }
    case CallClass::kConnect: {
      FdState* s = on_socket(true);
      if (s == nullptr) return;
      AddressArgument(*s);
      const bool had_remote = s->identity.remote.has_value();
      Table(tgid).ConnectStarted(fd0.fd, ev.address);
      if (!had_remote && s->identity.remote) Backfill(*s);
      if (ev.finished) CallReturned(tgid, fd0.fd, ev, std::nullopt);
      ev.socket = s->identity;
      Record(std::move(ev), s, true);
      return;
    }
    case CallClass::kBind: {
      FdState* s = on_socket(true);
      if (s == nullptr) return;
      std::optional<DecodedSockaddr> sa = AddressArgument(*s);
      if (sa) {
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
    case CallClass::kIoUring:
      // What the ring carries is invisible to strace too; the call itself tells the report
      // (and the packets-only rules) that the process has such a blind spot.
      ev.args = std::string(args);
      Record(std::move(ev), nullptr, false);
      return;
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
        FdState& n = Table(tgid).OpenAccepted(nfd, listening,
                                              HasFlag(arg(3), "SOCK_NONBLOCK", SOCK_NONBLOCK));
        if (std::optional<DecodedSockaddr> sa = ParseSockaddr(arg(1)); sa && sa->endpoint) {
          SocketIdentity peer;
          peer.remote = sa->endpoint;
          MergeIdentity(n, peer);
        }
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
        if (fd0.valid) Table(tgid).Close(fd0.fd);
        return;
      }
      ev.socket = s->identity;
      ev.args.clear();
      const uint64_t serial = s->serial;
      Record(std::move(ev), s, false);
      ReleaseSocket(serial);  // closed: nothing later shows this socket again
      Table(tgid).Close(fd0.fd);
      return;
    }
    case CallClass::kCloseRange: {
      const std::optional<int64_t> first = ParseInteger(WithoutComment(arg(0)));
      const std::optional<int64_t> last = ParseInteger(WithoutComment(arg(1)));
      if (!ok || !first || !last || *first < 0 || *last < 0) return;
      constexpr uint64_t kCloseRangeCloexec = 4;
      Table(tgid).CloseRange(static_cast<uint64_t>(*first), static_cast<uint64_t>(*last),
                             HasFlag(arg(2), "CLOSE_RANGE_CLOEXEC", kCloseRangeCloexec)
                                 ? kCloseRangeCloexec
                                 : 0);
      return;
    }
    case CallClass::kGetsockopt: {
      if (!SymbolIs(arg(1), "SOL_SOCKET", SOL_SOCKET) || !SymbolIs(arg(2), "SO_ERROR", SO_ERROR)) {
        Observe(tgid, fd0, true);  // learn the decoration all the same
        return;
      }
      FdState* s = on_socket(true);
      if (s == nullptr) return;
      if (ev.finished) CallReturned(tgid, fd0.fd, ev, BracketedValue(arg(3)));
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
      if (ev.finished) CallReturned(tgid, fd0.fd, ev, std::nullopt);
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
      const std::vector<int> members = Table(tgid).EpollMembers(fd0.fd);
      ev.waited = Table(tgid).SocketsAmong(members);
      if (ev.waited.empty()) return;
      ev.args = std::string(args);
      Record(std::move(ev), nullptr, false);
      return;
    }
    case CallClass::kEpollCtl: {
      if (!ok || !fd0.valid) return;
      const FdArg target = ParseFdArg(arg(2));
      if (Observe(tgid, target, false) == nullptr) return;
      int op = 0;
      if (SymbolIs(arg(1), "EPOLL_CTL_ADD", EPOLL_CTL_ADD)) op = EPOLL_CTL_ADD;
      if (SymbolIs(arg(1), "EPOLL_CTL_DEL", EPOLL_CTL_DEL)) op = EPOLL_CTL_DEL;
      Table(tgid).EpollCtl(fd0.fd, op, target.fd);
      return;
    }
    case CallClass::kDup: {
      if (!ok || !fd0.valid || o.result < 0 || o.result > INT32_MAX) return;
      const int nfd = static_cast<int>(o.result);
      if (nfd == fd0.fd) return;
      if (Observe(tgid, fd0, false) == nullptr) {
        Table(tgid).Close(nfd);
        return;
      }
      Table(tgid).Duplicate(fd0.fd, nfd);
      return;
    }
    case CallClass::kFcntl: {
      if (!ok || !fd0.valid) return;
      std::string_view cmd = SymbolicPart(arg(1));
      if (cmd == "F_SETFL" || SymbolIs(arg(1), "F_SETFL", F_SETFL)) {
        if (Observe(tgid, fd0, false) != nullptr) {
          Table(tgid).SetNonblocking(fd0.fd, HasFlag(arg(2), "O_NONBLOCK", O_NONBLOCK));
        }
      } else if (SymbolIs(arg(1), "F_GETFL", F_GETFL)) {
        if (Observe(tgid, fd0, false) != nullptr) {
          Table(tgid).SetNonblocking(fd0.fd, o.comment.find("O_NONBLOCK") != std::string_view::npos ||
                                                 (o.result & O_NONBLOCK) != 0);
        }
      } else if (SymbolIs(arg(1), "F_DUPFD", F_DUPFD) ||
                 SymbolIs(arg(1), "F_DUPFD_CLOEXEC", F_DUPFD_CLOEXEC)) {
        if (o.result < 0 || o.result > INT32_MAX) return;
        if (Observe(tgid, fd0, false) != nullptr) {
          Table(tgid).Duplicate(fd0.fd, static_cast<int>(o.result));
        }
      } else {
        Observe(tgid, fd0, false);
      }
      return;
    }
    case CallClass::kIoctl: {
      if (!ok || !fd0.valid) return;
      if (!SymbolIs(arg(1), "FIONBIO", FIONBIO)) return;
      if (Observe(tgid, fd0, false) != nullptr) {
        if (std::optional<int> v = BracketedValue(arg(2))) Table(tgid).SetNonblocking(fd0.fd, *v != 0);
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

}  // namespace netcorr::analyze
