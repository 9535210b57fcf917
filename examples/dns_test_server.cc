// dns_test_server: the test world's authoritative DNS server, broken on purpose in one chosen
// way (per name, or for every name).
//
//   dns_test_server --port P [--mode MODE] [--zone ZONE] [--tcp closed|answer]
//                   [--a ADDR] [--aaaa ADDR] [--lifetime-s S]
//
// MODE says how a query is answered (RFC 1035 4.1.1 header, the query's question echoed):
//   answer    NOERROR, authoritative: A -> --a (default 10.71.2.2), AAAA -> --aaaa (default
//             fd71:2::2), any other type: no data
//   nxdomain  RCODE 3, the name does not exist
//   refused   RCODE 5, the server will not answer this client
//   servfail  RCODE 2, the server failed
//   truncate  over UDP: TC=1 and no answer (RFC 1035 4.2.1: retry over TCP); over TCP: answer
//   no-aaaa   A answered, AAAA never answered (a query type lost on the way or by a middlebox)
//   drop      nothing is ever answered
//   by-name   (the default) names under ZONE (default netcorr.test) are answered, unless their
//             first label names a mode (nxdomain.netcorr.test, refused.netcorr.test,
//             servfail., truncate., no-aaaa., drop.); names outside ZONE get NXDOMAIN
//
// --tcp closed (default): nothing listens on TCP port P, so a retry over TCP is refused with RST.
// --tcp answer: TCP port P answers (RFC 7766: two-byte length prefix, several queries per
// connection), truncating nothing.
//
// Datagrams too short or malformed to hold a question are answered with FORMERR and an empty
// question; responses (QR set) are never answered. Every read is bounds-checked.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "examples/dns_test_answer.h"
#include "examples/example_util.h"

namespace {

constexpr size_t kMaxUdp = 512;
constexpr size_t kMaxTcp = 4096;
// A TCP client gets this long to send its queries; the server serves one connection at a time.
constexpr int kTcpClientTimeoutMs = 2000;
constexpr int kMaxQueriesPerConnection = 16;

using ::netcorr::examples::dns_test::Config;
using ::netcorr::examples::dns_test::kHeaderLen;
using ::netcorr::examples::dns_test::Mode;
using ::netcorr::examples::dns_test::ModeFromName;
using ::netcorr::examples::dns_test::Put16;
using ::netcorr::examples::dns_test::Reply;

void Die(const char* what) {
  std::fprintf(stderr, "dns_test_server: %s: %s\n", what, strerror(errno));
  std::exit(1);
}

int Bound(int type, int port) {
  const int fd = ::netcorr::examples::BindDualStack(type, port);
  if (fd < 0) Die("bind");
  return fd;
}

// Reads exactly n bytes within the connection's deadline; false on EOF, error or timeout.
bool ReadFull(int fd, uint8_t* buf, size_t n, std::chrono::steady_clock::time_point deadline) {
  size_t got = 0;
  while (got < n) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    const ssize_t r = read(fd, buf + got, n - got);
    if (r <= 0) return false;
    got += static_cast<size_t>(r);
  }
  return true;
}

// RFC 7766 8: each message is preceded by its two-byte length; a client may send several.
void ServeTcpConnection(const Config& c, int conn) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kTcpClientTimeoutMs);
  uint8_t query[kMaxTcp];
  for (int i = 0; i < kMaxQueriesPerConnection; ++i) {
    uint8_t prefix[2];
    if (!ReadFull(conn, prefix, 2, deadline)) return;
    const size_t len = static_cast<size_t>(prefix[0] << 8 | prefix[1]);
    if (len > sizeof(query) || !ReadFull(conn, query, len, deadline)) return;
    const std::optional<std::vector<uint8_t>> reply = Reply(c, query, len, /*over_tcp=*/true);
    if (!reply) continue;
    std::vector<uint8_t> framed;
    Put16(framed, static_cast<uint32_t>(reply->size()));
    framed.insert(framed.end(), reply->begin(), reply->end());
    if (write(conn, framed.data(), framed.size()) != static_cast<ssize_t>(framed.size())) return;
  }
}

int Usage() {
  std::fprintf(stderr,
               "usage: dns_test_server --port P [--mode "
               "by-name|answer|nxdomain|refused|servfail|truncate|no-aaaa|drop]\n"
               "                       [--zone ZONE] [--tcp closed|answer] [--a ADDR] "
               "[--aaaa ADDR] [--lifetime-s S]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Config c;
  int port = 0;
  bool tcp_answers = false;
  long lifetime_s = 3600;
  inet_pton(AF_INET, "10.71.2.2", &c.a);
  inet_pton(AF_INET6, "fd71:2::2", &c.aaaa);
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (i + 1 >= argc) return Usage();
    const char* v = argv[++i];
    if (a == "--port") {
      port = std::atoi(v);
    } else if (a == "--mode") {
      const std::optional<Mode> m = ModeFromName(v);
      if (!m) return Usage();
      c.mode = *m;
    } else if (a == "--zone") {
      c.zone = v;
      for (char& ch : c.zone) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    } else if (a == "--tcp") {
      if (std::string_view(v) != "closed" && std::string_view(v) != "answer") return Usage();
      tcp_answers = std::string_view(v) == "answer";
    } else if (a == "--a") {
      if (inet_pton(AF_INET, v, &c.a) != 1) return Usage();
    } else if (a == "--aaaa") {
      if (inet_pton(AF_INET6, v, &c.aaaa) != 1) return Usage();
    } else if (a == "--lifetime-s") {
      lifetime_s = std::atol(v);
    } else {
      return Usage();
    }
  }
  if (port <= 0 || port > 65535 || lifetime_s <= 0 || c.zone.empty()) return Usage();

  // TCP first: once the UDP port is seen listening (networld.sh waits for it), both are.
  int tcp = -1;
  if (tcp_answers) {
    tcp = Bound(SOCK_STREAM, port);
    if (listen(tcp, 16) != 0) Die("listen");
  }
  const int udp = Bound(SOCK_DGRAM, port);

  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(lifetime_s);
  uint8_t query[kMaxUdp];
  while (std::chrono::steady_clock::now() < end) {
    pollfd p[2] = {{udp, POLLIN, 0}, {tcp, POLLIN, 0}};
    if (poll(p, tcp >= 0 ? 2 : 1, 200) <= 0) continue;
    if (tcp >= 0 && (p[1].revents & POLLIN)) {
      const int conn = accept4(tcp, nullptr, nullptr, SOCK_CLOEXEC);
      if (conn >= 0) {
        ServeTcpConnection(c, conn);
        close(conn);
      }
    }
    if (!(p[0].revents & POLLIN)) continue;
    sockaddr_storage peer{};
    socklen_t peer_len = sizeof(peer);
    const ssize_t n = recvfrom(udp, query, sizeof(query), MSG_TRUNC,
                               reinterpret_cast<sockaddr*>(&peer), &peer_len);
    // MSG_TRUNC returns the datagram's real length: a longer one is not a query of ours.
    if (n < static_cast<ssize_t>(kHeaderLen) || static_cast<size_t>(n) > sizeof(query)) continue;
    const std::optional<std::vector<uint8_t>> reply =
        Reply(c, query, static_cast<size_t>(n), /*over_tcp=*/false);
    if (!reply) continue;
    sendto(udp, reply->data(), reply->size(), 0, reinterpret_cast<sockaddr*>(&peer), peer_len);
  }
  return 0;
}
