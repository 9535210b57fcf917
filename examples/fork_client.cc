// fork_client: a parent forks N children and each child connects on its own — the tracer must
// follow the children (-f) and attribute each failure to the right PID.
//
//   fork_client --host H --port P [--children N] [--connect-timeout MS]
//
// Each child: blocking connect (SO_SNDTIMEO when --connect-timeout is given), send "ping\n",
// read the echo (SO_RCVTIMEO 5 s), print one line and exit 0 on success, 1 on failure:
//   result: ok bytes=5 child=I pid=P
//   result: <call> <ERRNO> child=I pid=P
// The parent waits for all of them (at most 30 s, then SIGKILLs the stragglers by PID) and
// prints "result: done ok=K failed=F". Exit status 0 when every child succeeded.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "examples/example_util.h"

namespace {

using ::netcorr::examples::ErrnoName;

int Child(int index, const sockaddr_storage& addr, socklen_t len, int connect_timeout_ms) {
  const int pid = getpid();
  int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    std::printf("result: socket %s child=%d pid=%d\n", ErrnoName(errno), index, pid);
    return 1;
  }
  if (connect_timeout_ms >= 0) {
    timeval tv{connect_timeout_ms / 1000, (connect_timeout_ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  }
  timeval rtv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &rtv, sizeof(rtv));
  const char* call = "connect";
  char buf[16];
  ssize_t n = -1;
  if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), len) == 0) {
    call = "send";
    if (send(fd, "ping\n", 5, MSG_NOSIGNAL) == 5) {
      call = "recv";
      n = recv(fd, buf, sizeof(buf), 0);
    }
  }
  if (n > 0) {
    std::printf("result: ok bytes=%zd child=%d pid=%d\n", n, index, pid);
  } else if (n == 0) {
    std::printf("result: recv eof child=%d pid=%d\n", index, pid);
  } else {
    std::printf("result: %s %s child=%d pid=%d\n", call, ErrnoName(errno), index, pid);
  }
  close(fd);
  return n > 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string host;
  int port = 0, children = 3, connect_timeout_ms = -1;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--host" && has_value) {
      host = argv[++i];
    } else if (a == "--port" && has_value) {
      port = std::atoi(argv[++i]);
    } else if (a == "--children" && has_value) {
      children = std::atoi(argv[++i]);
    } else if (a == "--connect-timeout" && has_value) {
      connect_timeout_ms = std::atoi(argv[++i]);
    } else {
      port = -1;
      break;
    }
  }
  sockaddr_storage addr{};
  const socklen_t len = ::netcorr::examples::NumericAddress(host, port, &addr);
  if (len == 0 || port <= 0 || port > 65535 || children < 1 || children > 64) {
    std::fprintf(stderr,
                 "usage: fork_client --host H --port P [--children N] [--connect-timeout MS]\n");
    return 2;
  }
  std::fflush(stdout);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::vector<pid_t> pids;
  for (int i = 0; i < children; ++i) {
    pid_t pid = fork();
    if (pid < 0) {
      std::printf("result: fork %s\n", ErrnoName(errno));
      break;
    }
    if (pid == 0) _exit(Child(i, addr, len, connect_timeout_ms) == 0 ? 0 : 1);
    pids.push_back(pid);
  }
  int ok = 0, failed = children - static_cast<int>(pids.size());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  // `pids` holds the children not yet reaped, so a kill never hits a recycled PID.
  while (!pids.empty()) {  // bounded by the deadline: stragglers are killed by PID
    int status = 0;
    pid_t done = waitpid(-1, &status, WNOHANG);
    if (done > 0) {
      std::erase(pids, done);
      (WIFEXITED(status) && WEXITSTATUS(status) == 0) ? ++ok : ++failed;
      continue;
    }
    if (done < 0) break;
    if (std::chrono::steady_clock::now() > deadline) {
      for (pid_t p : pids) kill(p, SIGKILL);
      for (pid_t p : pids) waitpid(p, &status, 0);
      failed += static_cast<int>(pids.size());
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::printf("result: done ok=%d failed=%d\n", ok, failed);
  return failed == 0 ? 0 : 1;
}
