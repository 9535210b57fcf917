#include "tracer/socket_resolver.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <span>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tracer/sockaddr.h"

namespace netcorr::tracer {

uint64_t ParseSocketLink(const char* link) {
  static constexpr char kPrefix[] = "socket:[";
  if (std::strncmp(link, kPrefix, sizeof(kPrefix) - 1) != 0) return 0;
  uint64_t inode = 0;
  const char* p = link + sizeof(kPrefix) - 1;
  int digits = 0;
  for (; *p >= '0' && *p <= '9' && digits < 20; ++p, ++digits) inode = inode * 10 + (*p - '0');
  return (*p == ']' && digits > 0) ? inode : 0;
}

FdLink ReadFdLink(pid_t tid, int fd) {
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/%d/fd/%d", tid, fd);
  char link[128];
  const ssize_t n = readlink(path, link, sizeof(link) - 1);
  if (n < 0) return FdLink{};
  link[n] = '\0';
  if (const uint64_t inode = ParseSocketLink(link); inode != 0) {
    return FdLink{FdLinkKind::kSocket, inode};
  }
  if (std::strcmp(link, "anon_inode:[eventpoll]") == 0) return FdLink{FdLinkKind::kEpoll, 0};
  return FdLink{FdLinkKind::kOther, 0};
}

namespace {

class ScopedFd {
 public:
  explicit ScopedFd(int fd) : fd_(fd) {}
  ~ScopedFd() {
    if (fd_ >= 0) close(fd_);
  }
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

int GetIntOpt(int fd, int level, int name) {
  int v = 0;
  socklen_t len = sizeof(v);
  if (getsockopt(fd, level, name, &v, &len) != 0) return -1;
  return v;
}

Transport TransportOf(int protocol) {
  switch (protocol) {
    case IPPROTO_TCP:
      return Transport::kTcp;
    case IPPROTO_UDP:
      return Transport::kUdp;
    case IPPROTO_ICMP:
      return Transport::kIcmp;
    case IPPROTO_ICMPV6:
      return Transport::kIcmpV6;
    default:
      return Transport::kUnknown;
  }
}

}  // namespace

absl::StatusOr<uint64_t> SocketInode(int pidfd, int fd) {
  const int dup = static_cast<int>(syscall(SYS_pidfd_getfd, pidfd, fd, 0));
  if (dup < 0) return absl::ErrnoToStatus(errno, absl::StrCat("pidfd_getfd(fd=", fd, ")"));
  ScopedFd own(dup);
  struct stat st {};
  if (fstat(dup, &st) != 0) return absl::ErrnoToStatus(errno, "fstat");
  return static_cast<uint64_t>(st.st_ino);
}

absl::StatusOr<ResolvedSocket> ResolveSocket(int pidfd, int fd, const SocketIdentity* known,
                                             bool want_local, bool want_peer) {
  const int dup = static_cast<int>(syscall(SYS_pidfd_getfd, pidfd, fd, 0));
  if (dup < 0) return absl::ErrnoToStatus(errno, absl::StrCat("pidfd_getfd(fd=", fd, ")"));
  ScopedFd own(dup);
  ResolvedSocket r;
  if (known != nullptr && known->family != 0) {
    r.identity.family = known->family;
    r.identity.type = known->type;
    r.identity.transport = known->transport;
    r.identity.inode = known->inode;
  }
  if (r.identity.inode == 0) {
    struct stat st {};
    if (fstat(dup, &st) != 0) return absl::ErrnoToStatus(errno, "fstat");
    if (!S_ISSOCK(st.st_mode)) {
      return absl::FailedPreconditionError(absl::StrCat("fd ", fd, " is not a socket"));
    }
    r.identity.inode = st.st_ino;
  }
  if (r.identity.family == 0) {
    r.identity.family = GetIntOpt(dup, SOL_SOCKET, SO_DOMAIN);
    r.identity.type = GetIntOpt(dup, SOL_SOCKET, SO_TYPE);
    r.identity.transport = TransportOf(GetIntOpt(dup, SOL_SOCKET, SO_PROTOCOL));
    const int fl = fcntl(dup, F_GETFL);
    r.nonblocking = fl >= 0 && (fl & O_NONBLOCK) != 0;
    linger lg{};
    socklen_t lg_len = sizeof(lg);
    // Unknown counts as blocking: the close then keeps its exit stop.
    r.close_may_block = getsockopt(dup, SOL_SOCKET, SO_LINGER, &lg, &lg_len) != 0 ||
                        (lg.l_onoff != 0 && lg.l_linger > 0);
  }

  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  const auto as_span = [&](socklen_t l) {
    return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&ss),
                                    std::min<size_t>(l, sizeof(ss)));
  };
  if (r.identity.family == AF_INET || r.identity.family == AF_INET6) {
    if (want_local && getsockname(dup, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
      DecodedSockaddr d = DecodeSockaddr(as_span(len));
      // An unbound socket reports 0.0.0.0:0: nothing is known about its local end yet.
      if (d.endpoint && !(d.endpoint->port == 0 && d.endpoint->addr.is_unspecified())) {
        r.identity.local = d.endpoint;
      }
    }
    len = sizeof(ss);
    // ENOTCONN while unconnected, and for TCP also while the SYN is unanswered (SYN_SENT):
    // so `remote` set means connected (or, for UDP, a default destination).
    if (want_peer && getpeername(dup, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
      r.identity.remote = DecodeSockaddr(as_span(len)).endpoint;
      r.connected = true;
    }
  } else if (r.identity.family == AF_UNIX) {
    if (getsockname(dup, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
      r.identity.unix_path = DecodeSockaddr(as_span(len)).unix_path;
    }
    len = sizeof(ss);
    if (r.identity.unix_path.empty() &&
        getpeername(dup, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
      r.identity.unix_path = DecodeSockaddr(as_span(len)).unix_path;
    }
    len = sizeof(ss);
    r.connected = getpeername(dup, reinterpret_cast<sockaddr*>(&ss), &len) == 0;
  }
  return r;
}

}  // namespace netcorr::tracer
