// The exit half of TraceLoop's per-call work: the result, the socket model told what the call
// did, the socket's identity refreshed where the call changed it, and the event emitted.

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "src/model/errno_name.h"
#include "src/model/socket_names.h"
#include "src/socket_model/interrupted_call.h"
#include "tracer/trace_loop.h"

namespace netcorr::tracer {
namespace {

std::string Accept4FlagsName(uint64_t flags) {
  std::vector<std::string> names;
  if (flags & SOCK_NONBLOCK) names.push_back("SOCK_NONBLOCK");
  if (flags & SOCK_CLOEXEC) names.push_back("SOCK_CLOEXEC");
  return names.empty() ? "0" : absl::StrJoin(names, "|");
}

}  // namespace

using socket_model::FdKind;
using socket_model::FdState;

void TraceLoop::OnExit(Tracee& t, int64_t rval, bool is_error) {
  if (!t.call || t.call->interrupted) return;
  if (is_error && socket_model::IsRestartReturn(rval)) {
    t.call->interrupted = true;
    t.call->interrupted_ns = os_->Now();
    return;
  }
  InFlight c = std::move(*t.call);
  t.call.reset();
  SyscallEvent& ev = c.event;
  ev.exit_ns = os_->Now();
  if (is_error) {
    ev.error = static_cast<int>(-rval);
  } else {
    ev.result = rval;
  }
  const int fd = static_cast<int>(c.args[0]);
  const auto refresh_event = [&](int which) {
    const bool cached = t.fds->table.Find(which) != nullptr;
    FdState* f = Lookup(t, which);  // resolves an fd it did not know yet
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
        FdState& f = t.fds->table.OpenSocket(nfd, static_cast<int>(c.args[0]),
                                             static_cast<int>(c.args[1]),
                                             static_cast<int>(c.args[2]));
        if (absl::StatusOr<uint64_t> inode = os_->SocketInode(t.tgid, nfd); inode.ok()) {
          f.identity.inode = *inode;
        }
        ev.socket = f.identity;
      }
      break;
    case Call::kSocketpair:
      if (!is_error) {
        if (absl::StatusOr<std::array<int, 2>> sv =
                ReadValue<std::array<int, 2>>(t.tid, c.args[3]);
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
      if (Lookup(t, fd) == nullptr) break;
      CallReturned(t, fd, c);
      FdState* f = t.fds->table.FindSocket(fd);
      if (f == nullptr) break;
      // The peer is the destination when connect succeeded; while it is in progress or after
      // it failed the kernel has none to report. Only the local end needs asking.
      Refresh(t, fd, *f, /*want_local=*/true, /*want_peer=*/false);
      t.fds->table.ConnectStarted(fd, c.destination);
      // After a failed blocking connect the kernel reports 0.0.0.0 with the right port; the
      // SYN left from the routed source address, which is what the capture sees.
      if (is_error && f->identity.local && f->identity.local->addr.is_unspecified() &&
          f->identity.local->port != 0 && f->identity.remote) {
        if (std::optional<IpAddress> src = os_->SourceFor(t.tid, *f->identity.remote)) {
          f->identity.local->addr = *src;
        }
      }
      ev.socket = f->identity;
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
        const bool nonblocking =
            c.entry->call == Call::kAccept4 && (c.args[3] & SOCK_NONBLOCK) != 0;
        FdState& stored =
            t.fds->table.OpenAccepted(nfd, ev.socket.value_or(SocketIdentity{}), nonblocking);
        const bool local_known = stored.identity.local.has_value();
        Refresh(t, nfd, stored, /*want_local=*/!local_known, /*want_peer=*/true);
        ev.socket = stored.identity;
        ev.address = stored.identity.remote;
        std::string peer = "NULL";
        if (c.args[1] != 0 && c.args[2] != 0) {
          if (absl::StatusOr<socklen_t> len =
                  ReadValue<socklen_t>(t.tid, c.args[2]);
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
                ReadValue<socklen_t>(t.tid, c.args[5]);
            len.ok()) {
          DecodedSockaddr d = ReadSockaddr(t.tid, c.args[4], *len);
          ev.address = d.endpoint;
          peer = absl::StrCat(d.text, ", [", *len, "]");
        }
      }
      if (!ev.address && ev.socket) ev.address = ev.socket->remote;
      ev.args = absl::StrCat("\"...\", ", c.args[2], ", ", MsgFlagsName(c.args[3]), ", ", peer);
      CallReturned(t, fd, c);
      break;
    }
    case Call::kRecvmsg:
    case Call::kRecvmmsg: {
      std::string name = "NULL";
      if (!is_error) {
        if (absl::StatusOr<msghdr> m = ReadValue<msghdr>(t.tid, c.args[1]);
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
      CallReturned(t, fd, c);
      break;
    }
    case Call::kSendto:
    case Call::kSendmsg:
    case Call::kSendmmsg: {
      FdState* f = Lookup(t, fd);
      // An unbound UDP socket gets its local port from its first send.
      if (f != nullptr && f->kind == FdKind::kSocket && !f->identity.local && !is_error) {
        Refresh(t, fd, *f);
        ev.socket = f->identity;
      }
      CallReturned(t, fd, c);
      break;
    }
    case Call::kRead:
    case Call::kWrite:
    case Call::kReadv:
    case Call::kWritev:
      ev.args = c.entry->call == Call::kRead || c.entry->call == Call::kWrite
                    ? absl::StrCat("\"...\", ", c.args[2])
                    : absl::StrCat("[...], ", c.args[2]);
      CallReturned(t, fd, c);
      break;
    case Call::kGetsockopt: {
      std::string value = "?";
      std::optional<int> so_error;
      if (!is_error) {
        if (absl::StatusOr<int> v = ReadValue<int>(t.tid, c.args[3]); v.ok()) {
          so_error = *v;
          value = *v == 0 ? "0" : absl::StrCat(*v, " /* ", ErrnoName(*v), " */");
        }
      }
      ev.args = absl::StrCat("SOL_SOCKET, SO_ERROR, [", value, "], [4]");
      CallReturned(t, fd, c, so_error);
      break;
    }
    case Call::kSetsockopt:
      if (!is_error && c.close_may_block) t.fds->table.SetCloseMayBlock(fd, *c.close_may_block);
      break;
    case Call::kDup:
    case Call::kDup2:
    case Call::kDup3:
    case Call::kFcntl:
      if (!is_error) {
        t.fds->announced.erase(static_cast<int>(rval));
        t.fds->table.Duplicate(fd, static_cast<int>(rval));
      }
      break;
    default:
      break;
  }
  Emit(t, c);
}

}  // namespace netcorr::tracer
