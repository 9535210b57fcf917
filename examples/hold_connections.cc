// hold_connections: opens TCP connections to one server and keeps every one of them open until
// connect() fails — what a program leaking connections (or a pool without a bound) does to the
// host's ephemeral ports.
//
//   hold_connections --host H --port P [--max N]
//
// H is a numeric IPv4 or IPv6 address. Opens at most N connections (default 64): a bound, so
// a host with a wide port range ends the run instead of exhausting it. Then closes them all.
//
// One line on stdout, stable for scripts:
//   result: ok connections=N                  N connections opened, none failed
//   result: connect <ERRNO> connections=N     the (N+1)-th connect failed, e.g. EADDRNOTAVAIL
// Exit status 0 when every connect succeeded, 1 otherwise, 2 for usage errors.
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "examples/example_util.h"

namespace {

int Usage() {
  std::fprintf(stderr, "usage: hold_connections --host H --port P [--max N]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string host;
  int port = 0;
  int max = 64;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--host") {
      host = argv[i + 1];
    } else if (flag == "--port") {
      port = std::atoi(argv[i + 1]);
    } else if (flag == "--max") {
      max = std::atoi(argv[i + 1]);
    } else {
      return Usage();
    }
  }
  if (argc % 2 == 0 || host.empty() || port <= 0 || port > 65535 || max <= 0 || max > 4096) {
    return Usage();
  }
  sockaddr_storage addr;
  const socklen_t len = netcorr::examples::NumericAddress(host, port, &addr);
  if (len == 0) return Usage();

  std::vector<int> open;
  int failure = 0;
  while (static_cast<int>(open.size()) < max) {
    const int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      failure = errno;
      std::printf("result: socket %s connections=%zu\n", netcorr::examples::ErrnoName(failure),
                  open.size());
      break;
    }
    if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), len) != 0) {
      failure = errno;
      std::printf("result: connect %s connections=%zu\n", netcorr::examples::ErrnoName(failure),
                  open.size());
      close(fd);
      break;
    }
    open.push_back(fd);
  }
  if (failure == 0) std::printf("result: ok connections=%zu\n", open.size());
  std::fflush(stdout);
  for (int fd : open) close(fd);
  return failure == 0 ? 0 : 1;
}
