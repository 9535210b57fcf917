// tcp_client: connects, sends a request, reads the reply — and says exactly how it failed.
//
//   tcp_client --host H --port P [--nonblocking] [--connect-timeout MS] [--read-timeout MS]
//              [--send BYTES] [--repeat N] [--syn-retries N]
//
// H is a numeric IPv4 or IPv6 address (no name resolution: the test world has no resolver).
// Blocking mode: connect() (bounded by SO_SNDTIMEO when --connect-timeout is given, which
// makes connect fail with EINPROGRESS at the deadline), then recv() bounded by SO_RCVTIMEO
// (EAGAIN at the deadline). Non-blocking mode: connect() -> EINPROGRESS, poll(POLLOUT),
// getsockopt(SO_ERROR); recv after poll(POLLIN). --syn-retries sets TCP_SYNCNT so that an
// unanswered SYN gives the kernel's own ETIMEDOUT in seconds instead of minutes.
// Request: with --send N, N bytes that the echo server returns (all are read back); without,
// an HTTP/1.0 GET whose reply is read to EOF.
//
// One line per attempt on stdout, stable for scripts:
//   result: ok bytes=N
//   result: <call> <ERRNO>          e.g. "result: connect ECONNREFUSED", "result: recv ECONNRESET"
//   result: <call> timeout          a poll() deadline passed (non-blocking mode)
//   result: recv eof bytes=N        the peer closed before the full echo came back
// Exit status 0 when every attempt succeeded, 1 otherwise, 2 for usage errors.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "examples/example_util.h"

namespace {

struct Options {
  std::string host;
  int port = 0;
  bool nonblocking = false;
  int connect_timeout_ms = -1;  // -1: the kernel's own (SYN retries)
  int read_timeout_ms = 5000;
  long send_bytes = -1;  // -1: HTTP GET
  int repeat = 1;
  int syn_retries = -1;
};

using ::netcorr::examples::ErrnoName;

void Report(const char* call, int err) { std::printf("result: %s %s\n", call, ErrnoName(err)); }

timeval Tv(int ms) { return timeval{ms / 1000, (ms % 1000) * 1000}; }

// Waits for `events` in non-blocking mode; false after printing the outcome.
bool Wait(int fd, short events, int timeout_ms, const char* call) {
  pollfd p{fd, events, 0};
  int r = poll(&p, 1, timeout_ms);
  if (r < 0) {
    Report("poll", errno);
    return false;
  }
  if (r == 0) {
    std::printf("result: %s timeout\n", call);
    return false;
  }
  return true;
}

bool Connect(int fd, const Options& o, const sockaddr_storage& addr, socklen_t len) {
  if (!o.nonblocking) {
    if (o.connect_timeout_ms >= 0) {
      timeval tv = Tv(o.connect_timeout_ms);
      setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    }
    if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), len) != 0) {
      Report("connect", errno);
      return false;
    }
    timeval none{0, 0};  // the send timeout was meant for connect only
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &none, sizeof(none));
    return true;
  }
  if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), len) == 0) return true;
  if (errno != EINPROGRESS) {
    Report("connect", errno);
    return false;
  }
  // Without --connect-timeout, wait as long as the kernel keeps retrying SYNs (about 127 s
  // with the default tcp_syn_retries), and never more than 180 s.
  if (!Wait(fd, POLLOUT, o.connect_timeout_ms >= 0 ? o.connect_timeout_ms : 180000, "connect")) {
    return false;
  }
  int err = 0;
  socklen_t err_len = sizeof(err);
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len) != 0) {
    Report("getsockopt", errno);
    return false;
  }
  if (err != 0) {
    Report("connect", err);
    return false;
  }
  return true;
}

bool SendAll(int fd, const Options& o, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {  // each round makes progress, fails, or times out
    if (o.nonblocking && !Wait(fd, POLLOUT, o.read_timeout_ms, "send")) return false;
    ssize_t n = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n < 0) {
      Report("send", errno);
      return false;
    }
    off += static_cast<size_t>(n);
  }
  return true;
}

// Reads until `want` bytes (or EOF when want < 0); returns false after printing the outcome.
bool Receive(int fd, const Options& o, long want, long* got) {
  char buf[65536];
  *got = 0;
  while (want < 0 || *got < want) {
    if (o.nonblocking && !Wait(fd, POLLIN, o.read_timeout_ms, "recv")) return false;
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n < 0) {
      Report("recv", errno);
      return false;
    }
    if (n == 0) {
      if (want < 0 && *got > 0) return true;
      std::printf("result: recv eof bytes=%ld\n", *got);
      return false;
    }
    *got += n;
  }
  return true;
}

bool Attempt(const Options& o, const sockaddr_storage& addr, socklen_t len) {
  int fd =
      socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | (o.nonblocking ? SOCK_NONBLOCK : 0), 0);
  if (fd < 0) {
    Report("socket", errno);
    return false;
  }
  if (o.syn_retries > 0) {
    setsockopt(fd, IPPROTO_TCP, TCP_SYNCNT, &o.syn_retries, sizeof(o.syn_retries));
  }
  if (!o.nonblocking) {
    timeval tv = Tv(o.read_timeout_ms);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  bool ok = false;
  long got = 0;
  std::string request;
  if (o.send_bytes >= 0) {
    request.resize(static_cast<size_t>(o.send_bytes));
    for (size_t i = 0; i < request.size(); ++i) request[i] = static_cast<char>('a' + i % 26);
  } else {
    request = "GET / HTTP/1.0\r\nHost: " + o.host + "\r\nUser-Agent: netcorr-tcp_client\r\n\r\n";
  }
  if (Connect(fd, o, addr, len) && SendAll(fd, o, request) &&
      Receive(fd, o, o.send_bytes >= 0 ? o.send_bytes : -1, &got)) {
    std::printf("result: ok bytes=%ld\n", got);
    ok = true;
  }
  close(fd);
  return ok;
}

int Usage() {
  std::fprintf(stderr,
               "usage: tcp_client --host H --port P [--nonblocking] [--connect-timeout MS]\n"
               "                  [--read-timeout MS] [--send BYTES] [--repeat N] "
               "[--syn-retries N]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--nonblocking") {
      o.nonblocking = true;
    } else if (a == "--host" && has_value) {
      o.host = argv[++i];
    } else if (a == "--port" && has_value) {
      o.port = std::atoi(argv[++i]);
    } else if (a == "--connect-timeout" && has_value) {
      o.connect_timeout_ms = std::atoi(argv[++i]);
    } else if (a == "--read-timeout" && has_value) {
      o.read_timeout_ms = std::atoi(argv[++i]);
    } else if (a == "--send" && has_value) {
      o.send_bytes = std::atol(argv[++i]);
    } else if (a == "--repeat" && has_value) {
      o.repeat = std::atoi(argv[++i]);
    } else if (a == "--syn-retries" && has_value) {
      o.syn_retries = std::atoi(argv[++i]);
    } else {
      return Usage();
    }
  }
  sockaddr_storage addr{};
  socklen_t len = ::netcorr::examples::NumericAddress(o.host, o.port, &addr);
  if (len == 0 || o.port <= 0 || o.port > 65535 || o.repeat < 1 || o.repeat > 100000 ||
      o.send_bytes > (64l << 20) || o.read_timeout_ms < 0) {
    return Usage();
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  int failures = 0;
  for (int i = 0; i < o.repeat; ++i) {
    if (!Attempt(o, addr, len)) ++failures;
  }
  return failures == 0 ? 0 : 1;
}
