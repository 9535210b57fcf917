// demo_app: an application having a bad day — the program the README demo traces.
//
//   demo_app [--host H] [--timeout MS]
//
// Against the server H (default 10.71.2.2, the test world's server; an IPv6 address works
// too) it tries, in order, with every wait bounded by --timeout (default 1500 ms):
//   1. connect to port 7001, where nothing listens        -> ECONNREFUSED (SYN answered by RST)
//   2. non-blocking connect to port 7002, SYNs dropped    -> poll timeout (SYN unanswered)
//   3. connect to port 7003, rejected by the router       -> EHOSTUNREACH (ICMP from 10.71.1.1)
//   4. HTTP request to port 7004, server resets           -> recv ECONNRESET
//   5. DNS query to port 53, dropped                      -> recv EAGAIN (no response)
// examples/demo_world.sh sets up exactly these faults. One "step N: ..." line and one
// "result: ..." line per step (same format as tcp_client and dns_query); exit status 1 when
// any step failed, which in the demo world is every step.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "examples/example_util.h"

namespace {

int g_timeout_ms = 1500;

using ::netcorr::examples::ErrnoName;

struct Address {
  sockaddr_storage storage{};
  socklen_t len = 0;
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

Address Parse(const std::string& host, int port) {
  Address a;
  a.len = ::netcorr::examples::NumericAddress(host, port, &a.storage);
  return a;
}

// A blocking connect, as most programs write it; the send timeout bounds it.
int BlockingConnect(const Address& a) {
  int fd = socket(a.storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  timeval tv{g_timeout_ms / 1000, (g_timeout_ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  if (connect(fd, a.get(), a.len) != 0) {
    int err = errno;
    close(fd);
    return -err;
  }
  return fd;
}

bool StepConnect(const Address& a) {
  int fd = BlockingConnect(a);
  if (fd < 0) {
    std::printf("result: connect %s\n", ErrnoName(-fd));
    return false;
  }
  close(fd);
  std::printf("result: ok\n");
  return true;
}

bool StepNonBlockingConnect(const Address& a) {
  int fd = socket(a.storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    std::printf("result: socket %s\n", ErrnoName(errno));
    return false;
  }
  bool ok = false;
  if (connect(fd, a.get(), a.len) == 0) {
    ok = true;
  } else if (errno != EINPROGRESS) {
    std::printf("result: connect %s\n", ErrnoName(errno));
  } else {
    pollfd p{fd, POLLOUT, 0};
    int r = poll(&p, 1, g_timeout_ms);
    int err = 0;
    socklen_t len = sizeof(err);
    if (r == 0) {
      std::printf("result: connect timeout\n");  // the app gives up; the kernel never did
    } else if (r < 0) {
      std::printf("result: poll %s\n", ErrnoName(errno));
    } else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err != 0) {
      std::printf("result: connect %s\n", ErrnoName(err));
    } else {
      ok = true;
    }
  }
  if (ok) std::printf("result: ok\n");
  close(fd);
  return ok;
}

bool StepRequest(const Address& a) {
  int fd = BlockingConnect(a);
  if (fd < 0) {
    std::printf("result: connect %s\n", ErrnoName(-fd));
    return false;
  }
  static constexpr char kRequest[] = "GET /orders HTTP/1.0\r\nHost: demo\r\n\r\n";
  char buf[4096];
  bool ok = false;
  if (send(fd, kRequest, sizeof(kRequest) - 1, MSG_NOSIGNAL) < 0) {
    std::printf("result: send %s\n", ErrnoName(errno));
  } else {
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n < 0) {
      std::printf("result: recv %s\n", ErrnoName(errno));
    } else if (n == 0) {
      std::printf("result: recv eof bytes=0\n");
    } else {
      std::printf("result: ok bytes=%zd\n", n);
      ok = true;
    }
  }
  close(fd);
  return ok;
}

bool StepDns(const Address& a) {
  // A query for demo.test, type A, RD set (RFC 1035 4.1).
  static constexpr uint8_t kQuery[] = {0x4e, 0x43, 0x01, 0x00, 0,   1,   0,   0,   0,
                                       0,    0,    0,    4,    'd', 'e', 'm', 'o', 4,
                                       't',  'e',  's',  't',  0,   0,   1,   0,   1};
  int fd = socket(a.storage.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    std::printf("result: socket %s\n", ErrnoName(errno));
    return false;
  }
  timeval tv{g_timeout_ms / 1000, (g_timeout_ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  uint8_t reply[512];
  bool ok = false;
  if (connect(fd, a.get(), a.len) != 0) {
    std::printf("result: connect %s\n", ErrnoName(errno));
  } else if (send(fd, kQuery, sizeof(kQuery), 0) < 0) {
    std::printf("result: send %s\n", ErrnoName(errno));
  } else {
    ssize_t n = recv(fd, reply, sizeof(reply), 0);
    if (n < 0) {
      std::printf("result: recv %s\n", ErrnoName(errno));
    } else if (n >= 12 && (reply[3] & 0x0f) != 0) {
      std::printf("result: dns rcode=%d\n", reply[3] & 0x0f);
    } else {
      std::printf("result: ok bytes=%zd\n", n);
      ok = true;
    }
  }
  close(fd);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "10.71.2.2";
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--host" && i + 1 < argc) {
      host = argv[++i];
    } else if (a == "--timeout" && i + 1 < argc) {
      g_timeout_ms = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: demo_app [--host H] [--timeout MS]\n");
      return 2;
    }
  }
  if (Parse(host, 1).len == 0 || g_timeout_ms < 1 || g_timeout_ms > 60000) {
    std::fprintf(stderr, "demo_app: --host must be a numeric address, --timeout 1..60000\n");
    return 2;
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  int failed = 0;
  std::printf("step 1: connect to %s port 7001 (nothing listens)\n", host.c_str());
  failed += !StepConnect(Parse(host, 7001));
  std::printf("step 2: non-blocking connect to %s port 7002 (SYNs dropped)\n", host.c_str());
  failed += !StepNonBlockingConnect(Parse(host, 7002));
  std::printf("step 3: connect to %s port 7003 (rejected by the router)\n", host.c_str());
  failed += !StepConnect(Parse(host, 7003));
  std::printf("step 4: HTTP request to %s port 7004 (server resets)\n", host.c_str());
  failed += !StepRequest(Parse(host, 7004));
  std::printf("step 5: DNS query to %s port 53 (dropped)\n", host.c_str());
  failed += !StepDns(Parse(host, 53));
  std::printf("result: done failed=%d\n", failed);
  return failed == 0 ? 0 : 1;
}
