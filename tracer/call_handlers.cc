// The per-call half of TraceLoop: what each traced call means at its entry and exit stops,
// and the fd -> socket bookkeeping that keeps identities right.

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "src/model/errno_name.h"
#include "tracer/sockaddr.h"
#include "src/model/socket_names.h"
#include "tracer/trace_loop.h"
#include "tracer/tracee_memory.h"

namespace netcorr::tracer {
namespace {

constexpr size_t kMaxSockaddr = sizeof(sockaddr_storage);
constexpr uint64_t kMaxPollFds = 4096;
constexpr int kMaxSelectFds = FD_SETSIZE;

// -ERESTARTSYS, -ERESTARTNOINTR, -ERESTARTNOHAND, -ENOIOCTLCMD, -ERESTART_RESTARTBLOCK: the
// kernel-internal codes a tracer sees at the exit stop of an interrupted call. The program
// never sees them: the call is restarted or turned into EINTR (rr's Registers.cc).
bool IsRestartCode(int64_t rval) { return rval <= -512 && rval >= -516; }

DecodedSockaddr ReadSockaddr(pid_t tid, uint64_t addr, uint64_t len) {
  if (addr == 0) return DecodeSockaddr({});
  absl::StatusOr<std::vector<uint8_t>> bytes =
      ReadTracee(tid, RemoteAddr{addr}, std::min<uint64_t>(len, kMaxSockaddr));
  if (!bytes.ok()) {
    DecodedSockaddr d;
    d.text = absl::StrCat("0x", absl::Hex(addr));
    return d;
  }
  return DecodeSockaddr(*bytes);
}

bool IsInet(int family) { return family == AF_INET || family == AF_INET6; }

// Errors that leave a non-blocking connect still pending.
bool StillPending(int err) {
  return err == EAGAIN || err == EINPROGRESS || err == EALREADY || err == EINTR;
}

std::string Accept4FlagsName(uint64_t flags) {
  std::vector<std::string> names;
  if (flags & SOCK_NONBLOCK) names.push_back("SOCK_NONBLOCK");
  if (flags & SOCK_CLOEXEC) names.push_back("SOCK_CLOEXEC");
  return names.empty() ? "0" : absl::StrJoin(names, "|");
}

Transport TransportFor(int family, int type, int protocol) {
  if (family != AF_INET && family != AF_INET6) return Transport::kUnknown;
  switch (protocol) {
    case IPPROTO_TCP:
      return Transport::kTcp;
    case IPPROTO_UDP:
      return Transport::kUdp;
    case IPPROTO_ICMP:
      return Transport::kIcmp;
    case IPPROTO_ICMPV6:
      return Transport::kIcmpV6;
    case 0:
      if (type == SOCK_STREAM) return Transport::kTcp;
      if (type == SOCK_DGRAM) return Transport::kUdp;
      return Transport::kUnknown;
    default:
      return Transport::kUnknown;
  }
}

std::string TimeoutText(int64_t ms) { return ms < 0 ? "-1" : absl::StrCat(ms); }

}  // namespace

FdEntry* TraceLoop::Lookup(Tracee& t, int fd) {
  if (fd < 0) return nullptr;
  auto it = t.table->fds.find(fd);
  if (it != t.table->fds.end()) return &it->second;
  const FdLink link = ReadFdLink(t.tid, fd);
  if (link.kind == FdKind::kNone) return nullptr;  // not open: nothing to cache
  FdEntry entry;
  entry.kind = link.kind;
  if (link.kind == FdKind::kSocket) {
    entry.identity.inode = link.inode;
    FdEntry& stored = t.table->fds[fd] = entry;
    Refresh(t, fd, stored);
    return &stored;
  }
  return &(t.table->fds[fd] = entry);
}

void TraceLoop::Refresh(Tracee& t, int fd, FdEntry& f, bool want_local, bool want_peer) {
  FdTable& table = *t.table;
  if (table.pidfd < 0) table.pidfd = static_cast<int>(syscall(SYS_pidfd_open, table.tgid, 0));
  if (table.pidfd < 0) return;
  absl::StatusOr<ResolvedSocket> r =
      ResolveSocket(table.pidfd, fd, &f.identity, want_local, want_peer);
  if (!r.ok()) return;
  // While a TCP connect is in progress the kernel does not report the peer yet; keep the
  // destination the program asked for, so the flow is known from the first SYN.
  if (!r->identity.remote && f.identity.remote) r->identity.remote = f.identity.remote;
  if (!r->identity.local && f.identity.local) r->identity.local = f.identity.local;
  // A connect that failed makes the kernel forget the source address (the port stays): keep
  // the one known from before.
  if (r->identity.local && f.identity.local && r->identity.local->addr.is_unspecified() &&
      !f.identity.local->addr.is_unspecified() &&
      r->identity.local->port == f.identity.local->port) {
    r->identity.local = f.identity.local;
  }
  f.identity = std::move(r->identity);
  if (r->nonblocking) f.nonblocking = *r->nonblocking;
  if (want_peer) f.connected = r->connected;
}

void TraceLoop::EraseFd(Tracee& t, int fd) {
  t.table->fds.erase(fd);
  t.table->epoll.erase(fd);
  for (auto& [epfd, set] : t.table->epoll) set.erase(fd);
}

void TraceLoop::CopyFd(Tracee& t, int from, int to) {
  if (from == to) return;
  EraseFd(t, to);
  auto it = t.table->fds.find(from);
  if (it == t.table->fds.end()) return;
  FdEntry copy = it->second;
  copy.pending_connect.reset();
  t.table->fds[to] = std::move(copy);
}

std::vector<FdSocket> TraceLoop::WaitedSockets(Tracee& t, const std::vector<int>& fds) {
  std::vector<FdSocket> out;
  for (int fd : fds) {
    FdEntry* f = Lookup(t, fd);
    if (f != nullptr && f->kind == FdKind::kSocket) out.push_back(FdSocket{fd, f->identity});
  }
  return out;
}

void TraceLoop::Intent(Tracee& t, const InFlight& c, FdEntry* f, std::optional<Endpoint> remote,
                       std::optional<Endpoint> local) {
  if (f == nullptr || !IsInet(f->identity.family) || !t.report || stopping_) return;
  TrafficIntent intent;
  intent.pid = t.tgid;
  intent.tid = t.tid;
  intent.syscall = std::string(c.entry->name);
  intent.transport = f->identity.transport;
  intent.remote = remote ? remote : f->identity.remote;
  intent.local = local ? local : f->identity.local;
  // connect/bind/listen always announce; sends only when their flow changed.
  const bool is_send = c.entry->call == Call::kSendto || c.entry->call == Call::kSendmsg ||
                       c.entry->call == Call::kSendmmsg;
  auto flow = std::make_pair(intent.remote, intent.local);
  if (is_send && f->announced == flow) return;
  f->announced = std::move(flow);
  sink_->BeforeTraffic(intent);
}

void TraceLoop::EmitUnfinished(Tracee& t, TimeNs when) {
  if (!t.call) return;
  InFlight c = std::move(*t.call);
  t.call.reset();
  if (!c.record) return;
  if (c.interrupted) {
    // Interrupted by a signal that then ended the thread (or tracing): it never completed.
    c.event.exit_ns = c.interrupted_ns;
  } else {
    c.event.exit_ns = when;
  }
  c.event.finished = false;
  if (t.report) sink_->OnSyscall(c.event);
}

void TraceLoop::Emit(Tracee& t, InFlight& c) {
  if (c.record && t.report && !stopping_) sink_->OnSyscall(c.event);
}

bool TraceLoop::OnEntry(Tracee& t, uint64_t nr, const uint64_t args[6]) {
  const SyscallEntry* e = FindX86_64Syscall(nr);
  if (t.call) {
    if (t.call->interrupted && e != nullptr &&
        (e->call == Call::kRestartSyscall || e == t.call->entry)) {
      t.call->interrupted = false;  // the kernel restarted it: same call, original entry time
      return true;
    }
    if (t.call->interrupted) {
      // Not restarted: the program saw EINTR when the signal handler returned.
      InFlight c = std::move(*t.call);
      t.call.reset();
      c.event.exit_ns = c.interrupted_ns;
      c.event.error = EINTR;
      Emit(t, c);
    } else {
      t.call.reset();  // an exit stop we never saw (attach began mid-call)
    }
  }
  if (e == nullptr || stopping_) return false;

  InFlight c;
  c.entry = e;
  std::copy(args, args + 6, c.args);
  SyscallEvent& ev = c.event;
  ev.pid = t.tgid;
  ev.tid = t.tid;
  ev.name = std::string(e->name);
  ev.entry_ns = NowRealtimeNs();
  const int fd = static_cast<int>(args[0]);

  // Calls on an fd: only sockets matter. Everything else resumes without an exit stop.
  FdEntry* f = nullptr;
  const auto on_socket = [&]() -> bool {
    f = Lookup(t, fd);
    if (f == nullptr || f->kind != FdKind::kSocket) return false;
    ev.fd = fd;
    ev.socket = f->identity;
    ev.nonblocking = f->nonblocking;
    return true;
  };

  switch (e->call) {
    case Call::kRestartSyscall:
      return false;
    case Call::kSocket: {
      const int domain = static_cast<int>(args[0]);
      ev.args =
          absl::StrCat(AddressFamilyName(domain), ", ", SocketTypeName(static_cast<int>(args[1])),
                       ", ", ProtocolName(domain, static_cast<int>(args[2])));
      ev.nonblocking = (args[1] & SOCK_NONBLOCK) != 0;
      break;
    }
    case Call::kSocketpair: {
      const int domain = static_cast<int>(args[0]);
      ev.args =
          absl::StrCat(AddressFamilyName(domain), ", ", SocketTypeName(static_cast<int>(args[1])),
                       ", ", ProtocolName(domain, static_cast<int>(args[2])));
      break;
    }
    case Call::kConnect:
    case Call::kBind: {
      if (!on_socket()) return false;
      DecodedSockaddr d = ReadSockaddr(t.tid, args[1], args[2]);
      ev.address = d.endpoint;
      c.destination = d.endpoint;
      ev.args = absl::StrCat(d.text, ", ", args[2]);
      if (e->call == Call::kConnect) {
        if (d.endpoint) f->identity.remote = d.endpoint;  // the flow this connect starts
        Intent(t, c, f, d.endpoint, std::nullopt);
      } else {
        Intent(t, c, f, std::nullopt, d.endpoint);
      }
      break;
    }
    case Call::kListen:
      if (!on_socket()) return false;
      ev.args = absl::StrCat(static_cast<int>(args[1]));
      Intent(t, c, f, std::nullopt, std::nullopt);
      break;
    case Call::kAccept:
    case Call::kAccept4:
    case Call::kShutdown:
    case Call::kRead:
    case Call::kWrite:
    case Call::kReadv:
    case Call::kWritev:
    case Call::kRecvfrom:
    case Call::kRecvmsg:
    case Call::kRecvmmsg:
      if (!on_socket()) return false;
      if (e->call == Call::kShutdown) {
        static constexpr const char* kHow[] = {"SHUT_RD", "SHUT_WR", "SHUT_RDWR"};
        ev.args = args[1] < 3 ? kHow[args[1]] : absl::StrCat(args[1]);
      }
      break;
    case Call::kClose: {
      f = Lookup(t, fd);
      if (f == nullptr || f->kind != FdKind::kSocket) {
        EraseFd(t, fd);
        return false;
      }
      ev.fd = fd;
      ev.socket = f->identity;
      ev.nonblocking = f->nonblocking;
      // The fd is released even if close() reports an error: forget it now.
      EraseFd(t, fd);
      break;
    }
    case Call::kCloseRange: {
      if ((args[2] & 4 /* CLOSE_RANGE_CLOEXEC */) != 0) return false;  // closed at exec
      const uint64_t first = args[0];
      const uint64_t last = args[1];
      std::vector<int> doomed;
      for (const auto& [open_fd, entry] : t.table->fds) {
        if (static_cast<uint64_t>(open_fd) >= first && static_cast<uint64_t>(open_fd) <= last) {
          doomed.push_back(open_fd);
        }
      }
      for (int d : doomed) EraseFd(t, d);
      return false;
    }
    case Call::kGetsockopt:
      if (static_cast<int>(args[1]) != SOL_SOCKET || static_cast<int>(args[2]) != SO_ERROR) {
        return false;  // attach mode sees every getsockopt; only SO_ERROR resolves anything
      }
      if (!on_socket()) return false;
      break;
    case Call::kSetsockopt: {
      if (!on_socket()) return false;
      const int level = static_cast<int>(args[1]);
      const int name = static_cast<int>(args[2]);
      std::string value = absl::StrCat("0x", absl::Hex(args[3]));
      if (args[4] == sizeof(timeval) && level == SOL_SOCKET &&
          (name == 20 || name == 21 || name == 66 || name == 67)) {
        if (absl::StatusOr<timeval> tv = ReadTraceeValue<timeval>(t.tid, RemoteAddr{args[3]});
            tv.ok()) {
          value = absl::StrCat("{tv_sec=", tv->tv_sec, ", tv_usec=", tv->tv_usec, "}");
        }
      } else if (args[4] == sizeof(int)) {
        if (absl::StatusOr<int> v = ReadTraceeValue<int>(t.tid, RemoteAddr{args[3]}); v.ok()) {
          value = absl::StrCat("[", *v, "]");
        }
      }
      ev.args = absl::StrCat(SockoptLevelName(level), ", ", SockoptName(level, name), ", ", value,
                             ", ", args[4]);
      break;
    }
    case Call::kSendto: {
      if (!on_socket()) return false;
      DecodedSockaddr d = ReadSockaddr(t.tid, args[4], args[5]);
      c.destination = d.endpoint;
      ev.address = d.endpoint ? d.endpoint : f->identity.remote;
      ev.args = absl::StrCat("\"...\", ", args[2], ", ", MsgFlagsName(args[3]), ", ", d.text, ", ",
                             args[5]);
      Intent(t, c, f, d.endpoint, std::nullopt);
      break;
    }
    case Call::kSendmsg:
    case Call::kSendmmsg: {
      if (!on_socket()) return false;
      DecodedSockaddr d = DecodeSockaddr({});
      uint64_t iovlen = 0;
      // sendmmsg's first element starts with a msghdr: its destination is the flow.
      if (absl::StatusOr<msghdr> m = ReadTraceeValue<msghdr>(t.tid, RemoteAddr{args[1]}); m.ok()) {
        d = ReadSockaddr(t.tid, reinterpret_cast<uint64_t>(m->msg_name), m->msg_namelen);
        iovlen = m->msg_iovlen;
      }
      c.destination = d.endpoint;
      ev.address = d.endpoint ? d.endpoint : f->identity.remote;
      if (e->call == Call::kSendmsg) {
        ev.args = absl::StrCat("{msg_name=", d.text, ", msg_iovlen=", iovlen, "}, ",
                               MsgFlagsName(args[2]));
      } else {
        ev.args = absl::StrCat("[{msg_hdr={msg_name=", d.text, ", msg_iovlen=", iovlen,
                               "}}, ...], ", args[2], ", ", MsgFlagsName(args[3]));
      }
      Intent(t, c, f, d.endpoint, std::nullopt);
      break;
    }
    case Call::kPoll:
    case Call::kPpoll: {
      const uint64_t nfds = std::min<uint64_t>(args[1], kMaxPollFds);
      absl::StatusOr<std::vector<uint8_t>> bytes =
          ReadTracee(t.tid, RemoteAddr{args[0]}, nfds * sizeof(pollfd));
      if (!bytes.ok()) return false;
      std::vector<pollfd> pfds(nfds);
      std::memcpy(pfds.data(), bytes->data(), bytes->size());
      std::vector<int> fds;
      for (const pollfd& p : pfds) fds.push_back(p.fd);
      ev.waited = WaitedSockets(t, fds);
      if (ev.waited.empty()) return false;
      std::vector<std::string> parts;
      for (const pollfd& p : pfds) {
        std::string who = absl::StrCat(p.fd);
        for (const FdSocket& w : ev.waited) {
          if (w.fd == p.fd) absl::StrAppend(&who, "<", w.socket.ToString(), ">");
        }
        parts.push_back(absl::StrCat("{fd=", who, ", events=", PollEventsName(p.events), "}"));
      }
      std::string timeout;
      if (e->call == Call::kPoll) {
        timeout = TimeoutText(static_cast<int>(args[2]));
      } else if (args[2] == 0) {
        timeout = "NULL";
      } else if (absl::StatusOr<timespec> ts =
                     ReadTraceeValue<timespec>(t.tid, RemoteAddr{args[2]});
                 ts.ok()) {
        timeout = absl::StrCat("{tv_sec=", ts->tv_sec, ", tv_nsec=", ts->tv_nsec, "}");
      }
      ev.args = absl::StrCat("[", absl::StrJoin(parts, ", "), "], ", args[1], ", ", timeout);
      break;
    }
    case Call::kSelect:
    case Call::kPselect6: {
      const int nfds = std::clamp(static_cast<int>(args[0]), 0, kMaxSelectFds);
      const size_t set_bytes = ((nfds + 63) / 64) * 8;
      std::vector<int> fds;
      std::string sets;
      for (int i = 1; i <= 3; ++i) {
        std::vector<int> in_set;
        if (args[i] != 0 && set_bytes > 0) {
          absl::StatusOr<std::vector<uint8_t>> bytes =
              ReadTracee(t.tid, RemoteAddr{args[i]}, set_bytes);
          if (bytes.ok()) {
            for (int fdn = 0; fdn < nfds; ++fdn) {
              if ((*bytes)[fdn / 8] & (1u << (fdn % 8))) in_set.push_back(fdn);
            }
          }
        }
        fds.insert(fds.end(), in_set.begin(), in_set.end());
        absl::StrAppend(&sets, ", ",
                        args[i] == 0 ? "NULL" : absl::StrCat("[", absl::StrJoin(in_set, " "), "]"));
      }
      std::sort(fds.begin(), fds.end());
      fds.erase(std::unique(fds.begin(), fds.end()), fds.end());
      ev.waited = WaitedSockets(t, fds);
      if (ev.waited.empty()) return false;
      ev.args = absl::StrCat(nfds, sets);
      break;
    }
    case Call::kEpollWait:
    case Call::kEpollPwait:
    case Call::kEpollPwait2: {
      auto it = t.table->epoll.find(fd);
      if (it == t.table->epoll.end() || it->second.empty()) return false;
      std::vector<int> fds(it->second.begin(), it->second.end());
      std::sort(fds.begin(), fds.end());
      ev.waited = WaitedSockets(t, fds);
      if (ev.waited.empty()) return false;
      ev.args = absl::StrCat(fd, ", ", static_cast<int>(args[2]),
                             e->call == Call::kEpollPwait2
                                 ? ""
                                 : absl::StrCat(", ", TimeoutText(static_cast<int>(args[3]))));
      break;
    }
    case Call::kEpollCtl: {
      const int op = static_cast<int>(args[1]);
      const int target = static_cast<int>(args[2]);
      FdEntry* tf = Lookup(t, target);
      if (tf == nullptr || tf->kind != FdKind::kSocket) return false;
      if (op == EPOLL_CTL_ADD) t.table->epoll[fd].insert(target);
      if (op == EPOLL_CTL_DEL) t.table->epoll[fd].erase(target);
      return false;
    }
    case Call::kDup:
    case Call::kDup2:
    case Call::kDup3: {
      if (e->call != Call::kDup && args[0] != args[1]) EraseFd(t, static_cast<int>(args[1]));
      f = Lookup(t, fd);
      if (f == nullptr || f->kind == FdKind::kOther) return false;  // new fd learnt lazily
      c.record = false;  // bookkeeping only: learn the new fd number at exit
      break;
    }
    case Call::kFcntl: {
      const int cmd = static_cast<int>(args[1]);
      if (cmd == F_SETFL) {
        f = Lookup(t, fd);
        if (f != nullptr && f->kind == FdKind::kSocket)
          f->nonblocking = (args[2] & O_NONBLOCK) != 0;
        return false;
      }
      if (cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC) return false;
      f = Lookup(t, fd);
      if (f == nullptr || f->kind == FdKind::kOther) return false;
      c.record = false;
      break;
    }
    case Call::kIoctl: {
      if (args[1] != FIONBIO) return false;
      f = Lookup(t, fd);
      if (f == nullptr || f->kind != FdKind::kSocket) return false;
      if (absl::StatusOr<int> v = ReadTraceeValue<int>(t.tid, RemoteAddr{args[2]}); v.ok()) {
        f->nonblocking = *v != 0;
      }
      return false;
    }
  }
  ev.id = next_id_++;
  t.call = std::move(c);
  return true;
}

void TraceLoop::ResolvePendingConnect(Tracee& t, int fd, InFlight& c) {
  auto it = t.table->fds.find(fd);
  if (it == t.table->fds.end() || !it->second.pending_connect) return;
  FdEntry& f = it->second;
  SyscallEvent& ev = c.event;
  std::optional<int> outcome;
  switch (c.entry->call) {
    case Call::kGetsockopt: {
      if (ev.error != 0) return;
      absl::StatusOr<int> v = ReadTraceeValue<int>(t.tid, RemoteAddr{c.args[3]});
      if (!v.ok()) return;
      if (*v != 0) {
        outcome = *v;
      } else {
        // SO_ERROR 0 means "no error yet": connected only if the kernel now reports a peer.
        Refresh(t, fd, f);
        if (f.connected) outcome = 0;
      }
      break;
    }
    case Call::kConnect:
      if (ev.error == 0 || ev.error == EISCONN) {
        outcome = 0;
      } else if (!StillPending(ev.error)) {
        outcome = ev.error;
      }
      break;
    case Call::kPoll:
    case Call::kPpoll:
    case Call::kSelect:
    case Call::kPselect6:
    case Call::kEpollWait:
    case Call::kEpollPwait:
    case Call::kEpollPwait2:
      return;  // readiness alone does not say success or failure
    default:
      // read/write/send/recv: a hard error is the connect's outcome; data moving means it
      // connected.
      if (ev.error == 0) {
        outcome = 0;
      } else if (!StillPending(ev.error)) {
        outcome = ev.error;
      }
      break;
  }
  if (!outcome) return;
  ev.resolves_call = f.pending_connect;
  ev.resolved_error = *outcome;
  f.pending_connect.reset();
  Refresh(t, fd, f);
  ev.socket = f.identity;
}

void TraceLoop::OnExit(Tracee& t, int64_t rval, bool is_error) {
  if (!t.call || t.call->interrupted) return;
  if (is_error && IsRestartCode(rval)) {
    t.call->interrupted = true;
    t.call->interrupted_ns = NowRealtimeNs();
    return;
  }
  InFlight c = std::move(*t.call);
  t.call.reset();
  SyscallEvent& ev = c.event;
  ev.exit_ns = NowRealtimeNs();
  if (is_error) {
    ev.error = static_cast<int>(-rval);
  } else {
    ev.result = rval;
  }
  const int fd = static_cast<int>(c.args[0]);
  const auto refresh_event = [&](int which) {
    const bool cached = t.table->fds.contains(which);
    FdEntry* f = Lookup(t, which);  // resolves an fd it did not know yet
    if (f == nullptr || f->kind != FdKind::kSocket) return;
    if (cached) Refresh(t, which, *f);
    ev.socket = f->identity;
  };
  switch (c.entry->call) {
    case Call::kSocket:
      if (!is_error) {
        // Everything about a new socket is in socket()'s arguments; only the inode (for
        // display, and to tell sockets apart) needs asking.
        const int nfd = static_cast<int>(rval);
        EraseFd(t, nfd);
        FdEntry f;
        f.kind = FdKind::kSocket;
        f.identity.family = static_cast<int>(c.args[0]);
        f.identity.type = static_cast<int>(c.args[1] & 0xf);
        f.identity.transport =
            TransportFor(f.identity.family, f.identity.type, static_cast<int>(c.args[2]));
        if (t.table->pidfd < 0) {
          t.table->pidfd = static_cast<int>(syscall(SYS_pidfd_open, t.table->tgid, 0));
        }
        if (absl::StatusOr<uint64_t> inode = SocketInode(t.table->pidfd, nfd); inode.ok()) {
          f.identity.inode = *inode;
        }
        f.nonblocking = (c.args[1] & SOCK_NONBLOCK) != 0;
        ev.socket = f.identity;
        t.table->fds[nfd] = std::move(f);
      }
      break;
    case Call::kSocketpair:
      if (!is_error) {
        if (absl::StatusOr<std::array<int, 2>> sv =
                ReadTraceeValue<std::array<int, 2>>(t.tid, RemoteAddr{c.args[3]});
            sv.ok()) {
          EraseFd(t, (*sv)[0]);
          EraseFd(t, (*sv)[1]);
          refresh_event((*sv)[0]);
          Lookup(t, (*sv)[1]);
          ev.args = absl::StrCat(ev.args, ", [", (*sv)[0], ", ", (*sv)[1], "]");
          ev.result = 0;
        }
      }
      break;
    case Call::kConnect: {
      FdEntry* f = Lookup(t, fd);
      if (f == nullptr) break;
      if (f->pending_connect) {
        ResolvePendingConnect(t, fd, c);
      }
      // The peer is the destination when connect succeeded; while it is in progress or after
      // it failed the kernel has none to report. Only the local end needs asking.
      Refresh(t, fd, *f, /*want_local=*/true, /*want_peer=*/false);
      if (c.destination && (f->identity.family == AF_INET || f->identity.family == AF_INET6)) {
        f->identity.remote = c.destination;
      }
      if (!is_error) f->connected = true;
      // After a failed blocking connect the kernel reports 0.0.0.0 with the right port; the
      // SYN left from the routed source address, which is what the capture sees.
      if (is_error && f->identity.local && f->identity.local->addr.is_unspecified() &&
          f->identity.local->port != 0 && f->identity.remote) {
        if (std::optional<IpAddress> src =
                source_addresses_.SourceFor(t.tid, *f->identity.remote)) {
          f->identity.local->addr = *src;
        }
      }
      ev.socket = f->identity;
      if (is_error && ev.error == EINPROGRESS) f->pending_connect = ev.id;
      break;
    }
    case Call::kBind:
    case Call::kListen:
      refresh_event(fd);
      break;
    case Call::kAccept:
    case Call::kAccept4:
      if (!is_error) {
        const int nfd = static_cast<int>(rval);
        EraseFd(t, nfd);
        // The new socket has the listener's family, type and protocol.
        FdEntry nf;
        nf.kind = FdKind::kSocket;
        if (ev.socket) {
          nf.identity.family = ev.socket->family;
          nf.identity.type = ev.socket->type;
          nf.identity.transport = ev.socket->transport;
        }
        nf.nonblocking = c.entry->call == Call::kAccept4 && (c.args[3] & SOCK_NONBLOCK) != 0;
        // A listener bound to a specific address gives its accepted sockets that address.
        const bool local_known =
            ev.socket && ev.socket->local && !ev.socket->local->addr.is_unspecified();
        if (local_known) nf.identity.local = ev.socket->local;
        FdEntry& stored = t.table->fds[nfd] = std::move(nf);
        Refresh(t, nfd, stored, /*want_local=*/!local_known, /*want_peer=*/true);
        ev.socket = stored.identity;
        ev.address = stored.identity.remote;
        std::string peer = "NULL";
        if (c.args[1] != 0 && c.args[2] != 0) {
          if (absl::StatusOr<socklen_t> len =
                  ReadTraceeValue<socklen_t>(t.tid, RemoteAddr{c.args[2]});
              len.ok()) {
            peer = absl::StrCat(ReadSockaddr(t.tid, c.args[1], *len).text, ", [", *len, "]");
          }
        } else {
          peer = "NULL, NULL";
        }
        ev.args = c.entry->call == Call::kAccept4
                      ? absl::StrCat(peer, ", ", Accept4FlagsName(c.args[3]))
                      : peer;
      }
      break;
    case Call::kRecvfrom: {
      std::string peer = "NULL, NULL";
      if (!is_error && c.args[4] != 0 && c.args[5] != 0) {
        if (absl::StatusOr<socklen_t> len =
                ReadTraceeValue<socklen_t>(t.tid, RemoteAddr{c.args[5]});
            len.ok()) {
          DecodedSockaddr d = ReadSockaddr(t.tid, c.args[4], *len);
          ev.address = d.endpoint;
          peer = absl::StrCat(d.text, ", [", *len, "]");
        }
      }
      if (!ev.address && ev.socket) ev.address = ev.socket->remote;
      ev.args = absl::StrCat("\"...\", ", c.args[2], ", ", MsgFlagsName(c.args[3]), ", ", peer);
      ResolvePendingConnect(t, fd, c);
      break;
    }
    case Call::kRecvmsg:
    case Call::kRecvmmsg: {
      std::string name = "NULL";
      if (!is_error) {
        if (absl::StatusOr<msghdr> m = ReadTraceeValue<msghdr>(t.tid, RemoteAddr{c.args[1]});
            m.ok()) {
          if (m->msg_name != nullptr) {
            DecodedSockaddr d =
                ReadSockaddr(t.tid, reinterpret_cast<uint64_t>(m->msg_name), m->msg_namelen);
            ev.address = d.endpoint;
            name = d.text;
          }
        }
      }
      if (!ev.address && ev.socket) ev.address = ev.socket->remote;
      ev.args = c.entry->call == Call::kRecvmsg
                    ? absl::StrCat("{msg_name=", name, "}, ", MsgFlagsName(c.args[2]))
                    : absl::StrCat("[{msg_hdr={msg_name=", name, "}}, ...], ", c.args[2], ", ",
                                   MsgFlagsName(c.args[3]));
      ResolvePendingConnect(t, fd, c);
      break;
    }
    case Call::kSendto:
    case Call::kSendmsg:
    case Call::kSendmmsg: {
      FdEntry* f = Lookup(t, fd);
      // An unbound UDP socket gets its local port from its first send.
      if (f != nullptr && f->kind == FdKind::kSocket && !f->identity.local && !is_error) {
        Refresh(t, fd, *f);
        ev.socket = f->identity;
      }
      ResolvePendingConnect(t, fd, c);
      break;
    }
    case Call::kRead:
    case Call::kWrite:
    case Call::kReadv:
    case Call::kWritev:
      ev.args = c.entry->call == Call::kRead || c.entry->call == Call::kWrite
                    ? absl::StrCat("\"...\", ", c.args[2])
                    : absl::StrCat("[...], ", c.args[2]);
      ResolvePendingConnect(t, fd, c);
      break;
    case Call::kGetsockopt: {
      std::string value = "?";
      if (!is_error) {
        if (absl::StatusOr<int> v = ReadTraceeValue<int>(t.tid, RemoteAddr{c.args[3]}); v.ok()) {
          value = *v == 0 ? "0" : absl::StrCat(*v, " /* ", ErrnoName(*v), " */");
        }
      }
      ev.args = absl::StrCat("SOL_SOCKET, SO_ERROR, [", value, "], [4]");
      ResolvePendingConnect(t, fd, c);
      break;
    }
    case Call::kDup:
    case Call::kDup2:
    case Call::kDup3:
    case Call::kFcntl:
      if (!is_error) CopyFd(t, fd, static_cast<int>(rval));
      break;
    default:
      break;
  }
  Emit(t, c);
}

}  // namespace netcorr::tracer
