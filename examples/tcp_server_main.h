#pragma once

// The main() of the one-connection-at-a-time TCP servers of the test world:
//
//   NAME --port P [--lifetime-s S]
//
// Listens on [::]:P (dual-stack, so one server answers IPv4 and IPv6), hands each accepted
// connection to `handle` (which closes it, or keeps it for a bounded while), and exits after
// --lifetime-s (default 3600) so a forgotten server cannot live forever. `receive_buffer` > 0
// sets SO_RCVBUF on the listener before listen(), so accepted connections inherit it and
// announce a window scale that fits it (tcp(7): set it before listen to take effect on the
// window). Header-only, libc only.

#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "examples/example_util.h"

namespace netcorr::examples {

inline int ServeEachConnection(const char* name, int argc, char** argv, void (*handle)(int fd),
                               int receive_buffer = 0) {
  int port = 0;
  long lifetime_s = 3600;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--port" && i + 1 < argc) {
      port = std::atoi(argv[++i]);
    } else if (a == "--lifetime-s" && i + 1 < argc) {
      lifetime_s = std::atol(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: %s --port P [--lifetime-s S]\n", name);
      return 2;
    }
  }
  if (port <= 0 || port > 65535) {
    std::fprintf(stderr, "%s: --port 1..65535 required\n", name);
    return 2;
  }
  auto die = [name](const char* what) {
    std::fprintf(stderr, "%s: %s: %s\n", name, what, strerror(errno));
    return 1;
  };
  const int fd = ::netcorr::examples::BindDualStack(SOCK_STREAM, port);
  if (fd < 0) return die("bind");
  // Accepted connections inherit the listener's receive buffer (and the window it allows).
  if (receive_buffer > 0 &&
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof(receive_buffer)) != 0) {
    return die("setsockopt(SO_RCVBUF)");
  }
  if (listen(fd, 128) != 0) return die("listen");
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(lifetime_s);
  while (std::chrono::steady_clock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    const int c = accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (c >= 0) handle(c);
  }
  return 0;
}

}  // namespace netcorr::examples
