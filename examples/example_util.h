#pragma once

// What every example client needs and nothing more: the errno's name for its "result:" line,
// a numeric address, and a dual-stack server socket. Header-only, libc only.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>

namespace netcorr::examples {

// "ECONNREFUSED", as the examples print it.
inline const char* ErrnoName(int err) {
  const char* n = strerrorname_np(err);
  return n ? n : "E?";
}

// Fills `addr` from a numeric IPv4 or IPv6 address and a port; returns its length, or 0 when
// `host` is neither.
inline socklen_t NumericAddress(const std::string& host, int port, sockaddr_storage* addr) {
  *addr = sockaddr_storage{};
  auto* v4 = reinterpret_cast<sockaddr_in*>(addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(addr);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    return sizeof(*v4);
  }
  if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    return sizeof(*v6);
  }
  return 0;
}

// A socket of `type` bound to port `port` on every address of both families (v4 peers appear
// as ::ffff:a.b.c.d), as the world's servers listen; -1 with errno set when it cannot be.
inline int BindDualStack(int type, int port) {
  const int fd = socket(AF_INET6, type | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  const int off = 0, on = 1;
  setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
  sockaddr_in6 addr{};
  addr.sin6_family = AF_INET6;
  addr.sin6_addr = in6addr_any;
  addr.sin6_port = htons(static_cast<uint16_t>(port));
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int err = errno;
    close(fd);
    errno = err;
    return -1;
  }
  return fd;
}

}  // namespace netcorr::examples
