// reset_server: accepts a connection, reads the request, then aborts the connection with a
// TCP RST instead of answering — the "connection reset by peer" every client meets one day.
//
//   reset_server --port P [--lifetime-s S]
//
// SO_LINGER with a zero timeout makes close() discard the connection and send RST
// (see tcp(7), SO_LINGER). The request is read first (up to 2 s) so the RST arrives while
// the client waits for a reply, i.e. on its recv(), not on its connect().
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace {

void Die(const char* what) {
  std::fprintf(stderr, "reset_server: %s: %s\n", what, strerror(errno));
  std::exit(1);
}

void ResetAfterRequest(int fd) {
  pollfd p{fd, POLLIN, 0};
  char buf[4096];
  if (poll(&p, 1, 2000) > 0) {
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    std::fprintf(stderr, "reset_server: read %zd bytes, resetting\n", n);
  }
  linger l{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
  close(fd);
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  long lifetime_s = 3600;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--port" && i + 1 < argc) {
      port = std::atoi(argv[++i]);
    } else if (a == "--lifetime-s" && i + 1 < argc) {
      lifetime_s = std::atol(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: reset_server --port P [--lifetime-s S]\n");
      return 2;
    }
  }
  if (port <= 0 || port > 65535) {
    std::fprintf(stderr, "reset_server: --port 1..65535 required\n");
    return 2;
  }
  int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) Die("socket");
  int off = 0, on = 1;
  setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
  sockaddr_in6 addr{};
  addr.sin6_family = AF_INET6;
  addr.sin6_addr = in6addr_any;
  addr.sin6_port = htons(static_cast<uint16_t>(port));
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) Die("bind");
  if (listen(fd, 128) != 0) Die("listen");
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(lifetime_s);
  while (std::chrono::steady_clock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    int c = accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (c >= 0) ResetAfterRequest(c);
  }
  return 0;
}
