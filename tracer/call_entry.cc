// The entry half of TraceLoop's per-call work: what each traced call means at its entry stop,
// its arguments decoded for display, and the flows it is about to start announced.

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "src/model/socket_names.h"
#include "src/socket_model/interrupted_call.h"
#include "tracer/trace_loop.h"

namespace netcorr::tracer {
namespace {

constexpr uint64_t kMaxPollFds = 4096;
constexpr int kMaxSelectFds = FD_SETSIZE;

std::string TimeoutText(int64_t ms) { return ms < 0 ? "-1" : absl::StrCat(ms); }

}  // namespace

using socket_model::FdKind;
using socket_model::FdState;

bool TraceLoop::OnEntry(Tracee& t, uint64_t nr, const uint64_t args[6]) {
  const SyscallEntry* e = FindX86_64Syscall(nr);
  if (t.call && t.call->interrupted) {
    switch (socket_model::NextCallAfterInterruption(t.call->entry->name,
                                                    e != nullptr ? e->name : "")) {
      case socket_model::AfterInterruption::kRestarted:
        t.call->interrupted = false;  // same call, original entry time
        return true;
      case socket_model::AfterInterruption::kHandlerReturning:
        return false;
      case socket_model::AfterInterruption::kEintr: {
        InFlight c = std::move(*t.call);
        t.call.reset();
        c.event.exit_ns = c.interrupted_ns;
        c.event.error = EINTR;
        Emit(t, c);
        break;
      }
    }
  }
  t.call.reset();  // an exit stop we never saw (attach began mid-call)
  if (e == nullptr || e->call == Call::kSigreturn || stopping_) return false;

  InFlight c;
  c.entry = e;
  std::copy(args, args + 6, c.args);
  SyscallEvent& ev = c.event;
  ev.pid = t.tgid;
  ev.tid = t.tid;
  ev.name = std::string(e->name);
  ev.kind = CallKindOf(e->name);
  ev.entry_ns = os_->Now();
  const int fd = static_cast<int>(args[0]);

  // Calls on an fd: only sockets matter. Everything else resumes without an exit stop.
  FdState* f = nullptr;
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
    case Call::kSigreturn:
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
        t.fds->table.ConnectStarted(fd, d.endpoint);
        Intent(t, c, fd, d.endpoint, std::nullopt);
      } else {
        Intent(t, c, fd, std::nullopt, d.endpoint);
      }
      break;
    }
    case Call::kListen:
      if (!on_socket()) return false;
      ev.args = absl::StrCat(static_cast<int>(args[1]));
      Intent(t, c, fd, std::nullopt, std::nullopt);
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
      const bool may_block = f->close_may_block;
      // The fd is released even if close() reports an error: forget it now.
      EraseFd(t, fd);
      if (may_block) break;
      // close() of an open socket returns 0 (its release reports no error) and, without a
      // lingering SO_LINGER, returns at once: its exit stop would tell nothing. The call is
      // complete at its entry, one stop instead of two.
      ev.exit_ns = ev.entry_ns;
      ev.result = 0;
      ev.id = next_id_++;
      Emit(t, c);
      return false;
    }
    case Call::kCloseRange:
      t.fds->table.CloseRange(args[0], args[1], args[2]);
      for (auto it = t.fds->announced.begin(); it != t.fds->announced.end();) {
        auto here = it++;
        if (t.fds->table.Find(here->first) == nullptr) t.fds->announced.erase(here);
      }
      return false;
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
        if (absl::StatusOr<timeval> tv = ReadValue<timeval>(t.tid, args[3]);
            tv.ok()) {
          value = absl::StrCat("{tv_sec=", tv->tv_sec, ", tv_usec=", tv->tv_usec, "}");
        }
      } else if (args[4] == sizeof(int)) {
        if (absl::StatusOr<int> v = ReadValue<int>(t.tid, args[3]); v.ok()) {
          value = absl::StrCat("[", *v, "]");
        }
      }
      if (level == SOL_SOCKET && name == SO_LINGER && args[4] >= sizeof(linger)) {
        if (absl::StatusOr<linger> lg = ReadValue<linger>(t.tid, args[3]); lg.ok()) {
          value = absl::StrCat("{l_onoff=", lg->l_onoff, ", l_linger=", lg->l_linger, "}");
          c.close_may_block = lg->l_onoff != 0 && lg->l_linger > 0;
        } else {
          c.close_may_block = true;  // unreadable: keep close()'s exit stop
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
      Intent(t, c, fd, d.endpoint, std::nullopt);
      break;
    }
    case Call::kSendmsg:
    case Call::kSendmmsg: {
      if (!on_socket()) return false;
      DecodedSockaddr d = DecodeSockaddr({});
      uint64_t iovlen = 0;
      // sendmmsg's first element starts with a msghdr: its destination is the flow.
      if (absl::StatusOr<msghdr> m = ReadValue<msghdr>(t.tid, args[1]); m.ok()) {
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
      Intent(t, c, fd, d.endpoint, std::nullopt);
      break;
    }
    case Call::kPoll:
    case Call::kPpoll: {
      const uint64_t nfds = std::min<uint64_t>(args[1], kMaxPollFds);
      absl::StatusOr<std::vector<uint8_t>> bytes =
          os_->ReadMemory(t.tid, RemoteAddr{args[0]}, nfds * sizeof(pollfd));
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
                     ReadValue<timespec>(t.tid, args[2]);
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
              os_->ReadMemory(t.tid, RemoteAddr{args[i]}, set_bytes);
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
      const std::vector<int> members = t.fds->table.EpollMembers(fd);
      if (members.empty()) return false;
      ev.waited = WaitedSockets(t, members);
      if (ev.waited.empty()) return false;
      ev.args = absl::StrCat(fd, ", ", static_cast<int>(args[2]),
                             e->call == Call::kEpollPwait2
                                 ? ""
                                 : absl::StrCat(", ", TimeoutText(static_cast<int>(args[3]))));
      break;
    }
    case Call::kEpollCtl: {
      const int target = static_cast<int>(args[2]);
      Lookup(t, target);
      t.fds->table.EpollCtl(fd, static_cast<int>(args[1]), target);
      return false;
    }
    case Call::kDup:
    case Call::kDup2:
    case Call::kDup3: {
      // Decided at exit: a failed dup2 leaves newfd as it was. The exit stop is needed when the
      // source is a socket, or when dup2/dup3 replaces an fd the table knows; otherwise the
      // new fd is learnt lazily from /proc like any other.
      f = Lookup(t, fd);
      const bool from_socket = f != nullptr && f->kind == FdKind::kSocket;
      const bool replaces_known = e->call != Call::kDup && args[0] != args[1] &&
                                  t.fds->table.Find(static_cast<int>(args[1])) != nullptr;
      if (!from_socket && !replaces_known) return false;
      c.record = false;  // bookkeeping only
      break;
    }
    case Call::kFcntl: {
      const int cmd = static_cast<int>(args[1]);
      if (cmd == F_SETFL) {
        Lookup(t, fd);
        t.fds->table.SetNonblocking(fd, (args[2] & O_NONBLOCK) != 0);
        return false;
      }
      if (cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC) return false;
      f = Lookup(t, fd);
      if (f == nullptr || f->kind == FdKind::kOther) return false;
      c.record = false;
      break;
    }
    case Call::kIoUringSetup:
      ev.args = absl::StrCat(args[0], ", ...");
      // The ring's connects and sends will never stop here: before the ring exists, the
      // capture must take every flow of the namespace, or their packets are lost too.
      UnseenFlowsIntent(t, c);
      break;
    case Call::kIoUringEnter:
      // The ring fd stays in the arguments, not in ev.fd: the call acts on no socket.
      ev.args = absl::StrCat(fd, ", ", args[1], ", ", args[2], ", 0x", absl::Hex(args[3]));
      break;
    case Call::kIoUringRegister:
      ev.args = absl::StrCat(fd, ", ", args[1], ", ...");
      break;
    case Call::kIoctl: {
      if (args[1] != FIONBIO) return false;
      f = Lookup(t, fd);
      if (f == nullptr || f->kind != FdKind::kSocket) return false;
      if (absl::StatusOr<int> v = ReadValue<int>(t.tid, args[2]); v.ok()) {
        t.fds->table.SetNonblocking(fd, *v != 0);
      }
      return false;
    }
  }
  ev.id = next_id_++;
  t.call = std::move(c);
  return true;
}

}  // namespace netcorr::tracer
