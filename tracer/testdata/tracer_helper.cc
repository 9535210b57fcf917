// A tiny program the tracer tests launch or attach to. Each mode makes a known sequence of
// socket calls on loopback, so a test can assert the exact events. Every wait is bounded.
//   tracer_helper refused HOST PORT         blocking TCP connect to a closed port
//   tracer_helper tcp HOST PORT             connect, send "ping", recv the reply, close
//   tracer_helper udp HOST PORT             sendto "ping", recvfrom the reply (2 s timeout)
//   tracer_helper nonblock HOST PORT        non-blocking connect, poll, getsockopt(SO_ERROR)
//   tracer_helper threads HOST PORT         two threads each do a refused connect
//   tracer_helper fork HOST PORT            the child does a refused connect, parent waits
//   tracer_helper exec HOST PORT            exec itself in `refused` mode
//   tracer_helper server PORT SECONDS       TCP echo server on 127.0.0.1:PORT (one reply per conn),
//                                           with a second, idle thread
//   tracer_helper hang HOST PORT            connect, then recv with no timeout (blocks until
//   killed) tracer_helper sleep SECONDS             no network; exits after SECONDS tracer_helper
//   files N PATH              reads PATH N times in 4 KiB chunks (no network) tracer_helper exit
//   CODE                 exits with CODE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace {

socklen_t MakeAddr(const char* host, int port, sockaddr_storage* ss) {
  std::memset(ss, 0, sizeof(*ss));
  auto* v4 = reinterpret_cast<sockaddr_in*>(ss);
  if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    return sizeof(sockaddr_in);
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(ss);
  if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    return sizeof(sockaddr_in6);
  }
  std::fprintf(stderr, "bad address %s\n", host);
  std::exit(2);
}

int Connect(const char* host, int port, int type) {
  sockaddr_storage ss;
  const socklen_t len = MakeAddr(host, port, &ss);
  const int fd = socket(ss.ss_family, type, 0);
  if (fd < 0) return -1;
  if (connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    const int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

int Refused(const char* host, int port) {
  const int fd = Connect(host, port, SOCK_STREAM);
  if (fd >= 0) {
    close(fd);
    return 1;
  }
  return errno == ECONNREFUSED ? 0 : 3;
}

struct ThreadArgs {
  const char* host;
  int port;
  int result;
};

void* RefusedThread(void* p) {
  auto* a = static_cast<ThreadArgs*>(p);
  a->result = Refused(a->host, a->port);
  return nullptr;
}

void* IdleThread(void*) {
  for (;;) pause();
  return nullptr;
}

int Server(int port, int seconds) {
  pthread_t idle;
  pthread_create(&idle, nullptr, IdleThread, nullptr);
  const int ls = socket(AF_INET, SOCK_STREAM, 0);
  const int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(ls, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 || listen(ls, 16) != 0) return 4;
  std::printf("ready\n");
  std::fflush(stdout);
  const time_t end = time(nullptr) + seconds;
  while (time(nullptr) < end) {
    pollfd p{ls, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    const int c = accept(ls, nullptr, nullptr);
    if (c < 0) continue;
    char buf[64];
    const ssize_t n = recv(c, buf, sizeof(buf), 0);
    if (n > 0) send(c, buf, n, MSG_NOSIGNAL);
    close(c);
  }
  close(ls);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  const char* mode = argv[1];
  const char* host = argc > 2 ? argv[2] : "127.0.0.1";
  const int port = argc > 3 ? std::atoi(argv[3]) : 0;
  if (std::strcmp(mode, "refused") == 0) return Refused(host, port);
  if (std::strcmp(mode, "tcp") == 0) {
    const int fd = Connect(host, port, SOCK_STREAM);
    if (fd < 0) return 3;
    if (send(fd, "ping", 4, 0) != 4) return 4;
    char buf[16];
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    close(fd);
    return n == 4 ? 0 : 5;
  }
  if (std::strcmp(mode, "hang") == 0) {
    const int fd = Connect(host, port, SOCK_STREAM);
    if (fd < 0) return 3;
    char buf[16];
    return recv(fd, buf, sizeof(buf), 0) < 0 ? 4 : 0;
  }
  if (std::strcmp(mode, "udp") == 0) {
    sockaddr_storage ss;
    const socklen_t len = MakeAddr(host, port, &ss);
    const int fd = socket(ss.ss_family, SOCK_DGRAM, 0);
    timeval tv{2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (sendto(fd, "ping", 4, 0, reinterpret_cast<sockaddr*>(&ss), len) != 4) return 4;
    char buf[16];
    sockaddr_storage from;
    socklen_t from_len = sizeof(from);
    const ssize_t n =
        recvfrom(fd, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &from_len);
    close(fd);
    return n == 4 ? 0 : 5;
  }
  if (std::strcmp(mode, "nonblock") == 0) {
    sockaddr_storage ss;
    const socklen_t len = MakeAddr(host, port, &ss);
    const int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (connect(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0) return 1;
    if (errno != EINPROGRESS && errno != ECONNREFUSED) return 3;
    pollfd p{fd, POLLOUT, 0};
    poll(&p, 1, 2000);
    int err = 0;
    socklen_t elen = sizeof(err);
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
    close(fd);
    return err == ECONNREFUSED ? 0 : 6;
  }
  if (std::strcmp(mode, "threads") == 0) {
    ThreadArgs a{host, port, -1};
    ThreadArgs b{host, port, -1};
    pthread_t ta;
    pthread_t tb;
    pthread_create(&ta, nullptr, RefusedThread, &a);
    pthread_create(&tb, nullptr, RefusedThread, &b);
    pthread_join(ta, nullptr);
    pthread_join(tb, nullptr);
    return a.result == 0 && b.result == 0 ? 0 : 7;
  }
  if (std::strcmp(mode, "fork") == 0) {
    const pid_t child = fork();
    if (child == 0) _exit(Refused(host, port));
    int st = 0;
    waitpid(child, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 8;
  }
  if (std::strcmp(mode, "exec") == 0) {
    execl("/proc/self/exe", argv[0], "refused", host, argv[3], static_cast<char*>(nullptr));
    return 9;
  }
  if (std::strcmp(mode, "server") == 0) return Server(std::atoi(argv[2]), std::atoi(argv[3]));
  if (std::strcmp(mode, "restart") == 0 || std::strcmp(mode, "eintr") == 0) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return 3;
    const pid_t child = fork();
    if (child == 0) {
      usleep(300000);
      (void)!write(sv[1], "x", 1);
      _exit(0);
    }
    struct sigaction sa {};
    sa.sa_handler = [](int) {};
    sa.sa_flags = std::strcmp(mode, "restart") == 0 ? SA_RESTART : 0;
    sigaction(SIGALRM, &sa, nullptr);
    itimerval it{};
    it.it_value.tv_usec = 100000;
    setitimer(ITIMER_REAL, &it, nullptr);
    char c;
    const ssize_t n = recv(sv[0], &c, 1, 0);
    const int e = errno;
    waitpid(child, nullptr, 0);
    if (std::strcmp(mode, "restart") == 0) return n == 1 ? 0 : 12;
    return n < 0 && e == EINTR ? 0 : 13;
  }
  if (std::strcmp(mode, "tcpcalls") == 0) {
    // Every fd-level call on one TCP connection; the test's echo server answers once, then
    // closes its end.
    const int fd = Connect(host, port, SOCK_STREAM);
    if (fd < 0) return 3;
    char ping[] = "ping";
    iovec out{ping, 4};
    if (writev(fd, &out, 1) != 4) return 20;
    pollfd p{fd, POLLIN, 0};
    timespec ts{2, 0};
    if (ppoll(&p, 1, &ts, nullptr) != 1) return 21;
    char buf[16];
    iovec in{buf, 4};
    if (readv(fd, &in, 1) != 4) return 22;
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(fd, &rs);
    timeval tv{2, 0};
    if (select(fd + 1, &rs, nullptr, nullptr, &tv) != 1) return 23;
    FD_ZERO(&rs);
    FD_SET(fd, &rs);
    timespec ts2{2, 0};
    if (pselect(fd + 1, &rs, nullptr, nullptr, &ts2, nullptr) != 1) return 24;
    msghdr m{};
    iovec in2{buf, sizeof(buf)};
    m.msg_iov = &in2;
    m.msg_iovlen = 1;
    if (recvmsg(fd, &m, 0) != 0) return 25;  // the server closed: EOF
    if (read(fd, buf, sizeof(buf)) != 0) return 26;
    const int dupfd = dup2(fd, 40);
    if (dupfd != 40) return 27;
    fcntl(dupfd, F_SETFL, O_NONBLOCK);
    close(fd);
    if (shutdown(dupfd, SHUT_WR) != 0) return 28;
    close(dupfd);
    return 0;
  }
  if (std::strcmp(mode, "udpcalls") == 0) {
    // sendmsg/recvmsg with addresses, sendmmsg/recvmmsg, then connected send/recv.
    sockaddr_storage ss;
    const socklen_t len = MakeAddr(host, port, &ss);
    const int fd = socket(ss.ss_family, SOCK_DGRAM, 0);
    timeval tv{2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    char ping[] = "ping";
    iovec out{ping, 4};
    msghdr m{};
    m.msg_name = &ss;
    m.msg_namelen = len;
    m.msg_iov = &out;
    m.msg_iovlen = 1;
    if (sendmsg(fd, &m, 0) != 4) return 30;
    char buf[16];
    sockaddr_storage from{};
    iovec in{buf, sizeof(buf)};
    msghdr r{};
    r.msg_name = &from;
    r.msg_namelen = sizeof(from);
    r.msg_iov = &in;
    r.msg_iovlen = 1;
    if (recvmsg(fd, &r, 0) != 4) return 31;
    mmsghdr mm[2] = {};
    for (auto& h : mm) {
      h.msg_hdr.msg_name = &ss;
      h.msg_hdr.msg_namelen = len;
      h.msg_hdr.msg_iov = &out;
      h.msg_hdr.msg_iovlen = 1;
    }
    if (sendmmsg(fd, mm, 2, 0) != 2) return 32;
    char b1[16];
    char b2[16];
    iovec i1{b1, sizeof(b1)};
    iovec i2{b2, sizeof(b2)};
    mmsghdr rm[2] = {};
    rm[0].msg_hdr.msg_iov = &i1;
    rm[0].msg_hdr.msg_iovlen = 1;
    rm[1].msg_hdr.msg_iov = &i2;
    rm[1].msg_hdr.msg_iovlen = 1;
    // Without MSG_WAITFORONE a blocking recvmmsg waits for both echoes (each within
    // SO_RCVTIMEO): one call whatever the timing, so traced runs can be compared call by call.
    if (recvmmsg(fd, rm, 2, 0, nullptr) != 2) return 33;
    if (connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) return 34;
    if (send(fd, "ping", 4, 0) != 4) return 35;
    if (recv(fd, buf, sizeof(buf), 0) != 4) return 36;
    close(fd);
    return 0;
  }
  if (std::strcmp(mode, "uid") == 0) {
    return getuid() == static_cast<uid_t>(std::atoi(argv[2])) &&
                   geteuid() == static_cast<uid_t>(std::atoi(argv[2])) && getgroups(0, nullptr) <= 1
               ? 0
               : 14;
  }
  if (std::strcmp(mode, "epoll") == 0) {
    sockaddr_storage ss;
    const socklen_t len = MakeAddr(host, port, &ss);
    const int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (connect(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0 || errno != EINPROGRESS) return 3;
    const int ep = epoll_create1(EPOLL_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLOUT;
    ev.data.fd = fd;
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    epoll_event out[4];
    if (epoll_wait(ep, out, 4, 2000) != 1) return 15;
    int err = 0;
    socklen_t elen = sizeof(err);
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
    close(ep);
    close(fd);
    return err == ECONNREFUSED ? 0 : 6;
  }
  if (std::strcmp(mode, "sleep") == 0) {
    sleep(std::atoi(argv[2]));
    return 0;
  }
  if (std::strcmp(mode, "files") == 0) {
    const int n = std::atoi(argv[2]);
    char buf[4096];
    long total = 0;
    for (int i = 0; i < n; ++i) {
      const int fd = open(argv[3], O_RDONLY);
      if (fd < 0) return 10;
      ssize_t r;
      while ((r = read(fd, buf, sizeof(buf))) > 0) total += r;
      close(fd);
    }
    return total > 0 ? 0 : 11;
  }
  if (std::strcmp(mode, "exit") == 0) return std::atoi(argv[2]);
  return 2;
}
