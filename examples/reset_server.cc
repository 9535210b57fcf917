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

#include "examples/tcp_server_main.h"

namespace {

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
  return netcorr::examples::ServeEachConnection("reset_server", argc, argv, ResetAfterRequest);
}
