// threads_client: N threads of one process connect to the same server at the same moment —
// the tracer must keep each thread's syscalls apart (one tid each, fds shared).
//
//   threads_client --host H --port P [--threads N] [--connect-timeout MS]
//
// Each thread does a blocking connect (bounded by SO_SNDTIMEO when --connect-timeout is
// given), sends "ping\n" and reads the echo (SO_RCVTIMEO 5 s). One line per thread:
//   result: ok bytes=5 thread=I
//   result: <call> <ERRNO> thread=I
// then "result: done ok=K failed=F". Exit status 0 when every thread succeeded.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <latch>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "examples/example_util.h"

namespace {

using ::netcorr::examples::ErrnoName;

// Returns true on success; prints exactly one result line.
bool Run(int index, const sockaddr_storage& addr, socklen_t len, int connect_timeout_ms) {
  int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    std::printf("result: socket %s thread=%d\n", ErrnoName(errno), index);
    return false;
  }
  if (connect_timeout_ms >= 0) {
    timeval tv{connect_timeout_ms / 1000, (connect_timeout_ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  }
  timeval rtv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &rtv, sizeof(rtv));
  const char* call = "connect";
  bool ok = false;
  char buf[16];
  ssize_t n = 0;
  if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), len) == 0) {
    call = "send";
    if (send(fd, "ping\n", 5, MSG_NOSIGNAL) == 5) {
      call = "recv";
      n = recv(fd, buf, sizeof(buf), 0);  // the 5 echoed bytes arrive in one segment
      ok = n > 0;
      if (n == 0) errno = 0;
    }
  }
  if (ok) {
    std::printf("result: ok bytes=%zd thread=%d\n", n, index);
  } else if (errno == 0) {
    std::printf("result: %s eof thread=%d\n", call, index);
  } else {
    std::printf("result: %s %s thread=%d\n", call, ErrnoName(errno), index);
  }
  close(fd);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  std::string host;
  int port = 0, threads = 4, connect_timeout_ms = -1;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--host" && has_value) {
      host = argv[++i];
    } else if (a == "--port" && has_value) {
      port = std::atoi(argv[++i]);
    } else if (a == "--threads" && has_value) {
      threads = std::atoi(argv[++i]);
    } else if (a == "--connect-timeout" && has_value) {
      connect_timeout_ms = std::atoi(argv[++i]);
    } else {
      port = -1;
      break;
    }
  }
  sockaddr_storage addr{};
  const socklen_t len = ::netcorr::examples::NumericAddress(host, port, &addr);
  if (len == 0 || port <= 0 || port > 65535 || threads < 1 || threads > 256) {
    std::fprintf(stderr,
                 "usage: threads_client --host H --port P [--threads N] [--connect-timeout MS]\n");
    return 2;
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::latch start(threads);
  std::atomic<int> ok{0};
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i) {
    pool.emplace_back([&, i] {
      start.arrive_and_wait();  // all threads call connect() together
      if (Run(i, addr, len, connect_timeout_ms)) ok.fetch_add(1);
    });
  }
  for (auto& t : pool) t.join();
  std::printf("result: done ok=%d failed=%d\n", ok.load(), threads - ok.load());
  return ok.load() == threads ? 0 : 1;
}
