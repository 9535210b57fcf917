/* Workloads for bench/tracer_bench.sh (run as root): each runs a fixed amount of work on loopback (or none)
 * and exits 0. Every loop is bounded by its count; every blocking call has a timeout.
 *   tracer_workload tcp_rr N          N request/response round trips on one loopback TCP connection
 *   tracer_workload connect_storm N   N refused connects + N accepted connects (127.0.0.1)
 *   tracer_workload udp_burst N       N datagrams sent to a loopback UDP socket, each read back
 *   tracer_workload syscalls N        N getppid()+stat() pairs, no network
 *   tracer_workload files N PATH      reads PATH N times in 4 KiB chunks, no network
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int Listen(int type, struct sockaddr_in* a) {
  int fd = socket(AF_INET, type, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  memset(a, 0, sizeof(*a));
  a->sin_family = AF_INET;
  a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(*a);
  if (bind(fd, (struct sockaddr*)a, len) != 0) exit(3);
  getsockname(fd, (struct sockaddr*)a, &len);
  if (type == SOCK_STREAM && listen(fd, 4096) != 0) exit(3);
  return fd;
}

static int TcpRr(long n) {
  struct sockaddr_in a;
  int ls = Listen(SOCK_STREAM, &a);
  pid_t child = fork();
  if (child == 0) {
    int c = accept(ls, NULL, NULL);
    char b[64];
    for (long i = 0; i < n; ++i) {
      if (recv(c, b, 32, MSG_WAITALL) != 32) _exit(1);
      if (send(c, b, 32, 0) != 32) _exit(1);
    }
    _exit(0);
  }
  close(ls);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (connect(fd, (struct sockaddr*)&a, sizeof(a)) != 0) return 4;
  char b[64] = {0};
  for (long i = 0; i < n; ++i) {
    if (send(fd, b, 32, 0) != 32) return 5;
    if (recv(fd, b, 32, MSG_WAITALL) != 32) return 5;
  }
  close(fd);
  int st;
  waitpid(child, &st, 0);
  return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 6;
}

static int ConnectStorm(long n) {
  struct sockaddr_in open_addr;
  int ls = Listen(SOCK_STREAM, &open_addr);
  /* A TCP port bound but not listening: connects are refused, and since it is below the
   * ephemeral range a connect can never pick it as its own source port (a TCP self-connect
   * to an unused ephemeral port succeeds). Needs root, as the whole benchmark does. */
  struct sockaddr_in closed_addr;
  memset(&closed_addr, 0, sizeof(closed_addr));
  closed_addr.sin_family = AF_INET;
  closed_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int tmp = socket(AF_INET, SOCK_STREAM, 0);
  int port = 1000;
  for (; port < 1024; ++port) {
    closed_addr.sin_port = htons(port);
    if (bind(tmp, (struct sockaddr*)&closed_addr, sizeof(closed_addr)) == 0) break;
  }
  if (port == 1024) return 3;
  for (long i = 0; i < n; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(fd, (struct sockaddr*)&closed_addr, sizeof(closed_addr)) == 0 || errno != ECONNREFUSED) {
      fprintf(stderr, "refused connect %ld: %s\n", i, strerror(errno));
      return 4;
    }
    close(fd);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    struct linger lg = {1, 0}; /* RST on close: no TIME_WAIT pile-up across runs */
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    if (connect(fd, (struct sockaddr*)&open_addr, sizeof(open_addr)) != 0) return 5;
    int c = accept(ls, NULL, NULL);
    if (c < 0) return 6;
    close(c);
    close(fd);
  }
  close(tmp);
  close(ls);
  return 0;
}

static int UdpBurst(long n) {
  struct sockaddr_in a;
  int rx = Listen(SOCK_DGRAM, &a);
  int tx = socket(AF_INET, SOCK_DGRAM, 0);
  char b[64] = {0};
  for (long i = 0; i < n; ++i) {
    if (sendto(tx, b, 32, 0, (struct sockaddr*)&a, sizeof(a)) != 32) return 4;
    if (recvfrom(rx, b, sizeof(b), 0, NULL, NULL) != 32) return 5;
  }
  return 0;
}

static int Syscalls(long n) {
  struct stat st;
  long sum = 0;
  for (long i = 0; i < n; ++i) {
    sum += getppid();
    if (stat("/", &st) == 0) sum += st.st_nlink;
  }
  return sum == 0 ? 1 : 0;
}

static int Files(long n, const char* path) {
  char buf[4096];
  long total = 0;
  for (long i = 0; i < n; ++i) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return 4;
    ssize_t r;
    while ((r = read(fd, buf, sizeof(buf))) > 0) total += r;
    close(fd);
  }
  return total > 0 ? 0 : 5;
}

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  long n = atol(argv[2]);
  signal(SIGPIPE, SIG_IGN);
  if (!strcmp(argv[1], "tcp_rr")) return TcpRr(n);
  if (!strcmp(argv[1], "connect_storm")) return ConnectStorm(n);
  if (!strcmp(argv[1], "udp_burst")) return UdpBurst(n);
  if (!strcmp(argv[1], "syscalls")) return Syscalls(n);
  if (!strcmp(argv[1], "files") && argc > 3) return Files(n, argv[3]);
  return 2;
}
