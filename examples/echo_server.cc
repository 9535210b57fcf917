// echo_server: the well-behaved server of the test world.
//
//   echo_server --port P [--udp] [--lifetime-s S]
//
// Listens on [::]:P (IPv4 and IPv6). TCP: a request starting with "GET " or "HEAD " gets an
// HTTP/1.0 200 reply and the connection is closed (so curl works); "PUT " or "POST " gets it
// once its Content-Length bytes of body have arrived (an upload); any other bytes are echoed
// back until the client closes. UDP: every datagram is sent back to its sender. Each
// connection is served by its own thread and gives up after 10 s of silence; the server exits
// after --lifetime-s (default 3600) so a forgotten one cannot live forever.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>

#include "examples/example_util.h"

namespace {

constexpr int kIdleTimeoutMs = 10000;
constexpr size_t kMaxHttpHeader = 8192;
constexpr int kMaxConnections = 512;
std::atomic<int> g_live_connections{0};

void Die(const char* what) {
  std::fprintf(stderr, "echo_server: %s: %s\n", what, strerror(errno));
  std::exit(1);
}

int OpenSocket(int type, int port) {
  // One socket for both families: v4 peers appear as ::ffff:a.b.c.d.
  const int fd = ::netcorr::examples::BindDualStack(type, port);
  if (fd < 0) Die("bind");
  if (type == SOCK_STREAM && listen(fd, 128) != 0) Die("listen");
  return fd;
}

bool SendAll(int fd, const char* data, size_t len) {
  // Each send either makes progress or fails (SO_SNDTIMEO bounds a stuck one).
  while (len > 0) {
    ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
    if (n <= 0) return false;
    data += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

// How many body bytes a PUT/POST header announces (0 for other requests or without one).
size_t AnnouncedBody(std::string_view header) {
  if (!header.starts_with("PUT ") && !header.starts_with("POST ")) return 0;
  const size_t at = header.find("Content-Length: ");
  if (at == std::string_view::npos) return 0;
  const long want = std::atol(std::string(header.substr(at + 16, 20)).c_str());
  return want > 0 ? static_cast<size_t>(want) : 0;
}

void ServeConnection(int fd) {
  timeval tv{kIdleTimeoutMs / 1000, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  char buf[65536];
  std::string head;
  size_t header_end = std::string::npos;
  size_t body = 0;  // upload bytes received after the header
  bool http = false;
  bool first = true;
  while (true) {  // ends on EOF, error or idle timeout
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    if (first) {
      std::string_view start(buf, static_cast<size_t>(n));
      http = start.starts_with("GET ") || start.starts_with("HEAD ") ||
             start.starts_with("PUT ") || start.starts_with("POST ");
      first = false;
    }
    if (!http) {
      if (!SendAll(fd, buf, static_cast<size_t>(n))) break;
      continue;
    }
    if (header_end == std::string::npos) {
      head.append(buf, static_cast<size_t>(n));
      header_end = head.find("\r\n\r\n");
      if (header_end == std::string::npos && head.size() <= kMaxHttpHeader) continue;
      if (header_end == std::string::npos) break;  // a header too long: not ours to serve
      // Only the header is kept; the body is counted.
      body += head.size() - (header_end + 4);
      head.resize(header_end + 4);
    } else {
      body += static_cast<size_t>(n);
    }
    if (body < AnnouncedBody(head)) continue;
    {  // the request is complete: answer it
      static constexpr char kBody[] = "hello from the netcorr test world\n";
      std::string reply = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
                          std::to_string(sizeof(kBody) - 1) + "\r\nConnection: close\r\n\r\n" +
                          (head.starts_with("HEAD ") ? "" : kBody);
      SendAll(fd, reply.data(), reply.size());
      break;
    }
  }
  close(fd);
}

void ServeUdp(int fd, std::chrono::steady_clock::time_point end) {
  char buf[65536];
  while (std::chrono::steady_clock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    sockaddr_storage peer{};
    socklen_t len = sizeof(peer);
    ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&peer), &len);
    if (n < 0) continue;
    sendto(fd, buf, static_cast<size_t>(n), 0, reinterpret_cast<sockaddr*>(&peer), len);
  }
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  bool udp = false;
  long lifetime_s = 3600;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--port" && i + 1 < argc) {
      port = std::atoi(argv[++i]);
    } else if (a == "--udp") {
      udp = true;
    } else if (a == "--lifetime-s" && i + 1 < argc) {
      lifetime_s = std::atol(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: echo_server --port P [--udp] [--lifetime-s S]\n");
      return 2;
    }
  }
  if (port <= 0 || port > 65535) {
    std::fprintf(stderr, "echo_server: --port 1..65535 required\n");
    return 2;
  }
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(lifetime_s);
  int fd = OpenSocket(udp ? SOCK_DGRAM : SOCK_STREAM, port);
  std::fprintf(stderr, "echo_server: %s port %d\n", udp ? "udp" : "tcp", port);
  if (udp) {
    ServeUdp(fd, end);
    return 0;
  }
  while (std::chrono::steady_clock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    int c = accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) continue;
    if (g_live_connections.load() >= kMaxConnections) {
      close(c);  // bounded: a flood of clients cannot exhaust threads
      continue;
    }
    g_live_connections.fetch_add(1);
    std::thread([c] {
      ServeConnection(c);
      g_live_connections.fetch_sub(1);
    }).detach();
  }
  return 0;
}
