// not_reading_server: accepts connections and never reads from them — the server whose
// application is stuck (blocked, overloaded, deadlocked) while its kernel still holds the
// connection open.
//
//   not_reading_server --port P [--lifetime-s S]
//
// Its listener has a small receive buffer (SO_RCVBUF 4096, which the kernel doubles), so the
// window it advertises closes after a few kilobytes: the client's kernel then sees a zero
// window, sends zero-window probes, and the client's send()/write() blocks (or its poll for
// POLLOUT times out) — the `zero_window` finding. Never reading also means the server never
// sees the client's FIN, so it never closes on its own: it keeps the last kMaxHeld connections
// open and closes the oldest when a new one comes, and all of them when it exits.
#include <unistd.h>

#include <array>
#include <cstddef>
#include <cstdio>

#include "examples/tcp_server_main.h"

namespace {

constexpr int kReceiveBuffer = 4096;
constexpr size_t kMaxHeld = 16;

std::array<int, kMaxHeld> held = [] {
  std::array<int, kMaxHeld> a{};
  a.fill(-1);
  return a;
}();
size_t next_slot = 0;

void HoldWithoutReading(int fd) {
  int& slot = held[next_slot];
  next_slot = (next_slot + 1) % kMaxHeld;
  if (slot >= 0) close(slot);
  slot = fd;
  std::fprintf(stderr, "not_reading_server: holding connection fd %d, not reading\n", fd);
}

}  // namespace

int main(int argc, char** argv) {
  return netcorr::examples::ServeEachConnection("not_reading_server", argc, argv,
                                                HoldWithoutReading, kReceiveBuffer);
}
