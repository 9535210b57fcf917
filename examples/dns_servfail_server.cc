// dns_servfail_server: a DNS server that is up but broken — every query gets SERVFAIL.
//
//   dns_servfail_server --port P [--lifetime-s S]
//
// The reply echoes the query's id, opcode, RD flag and question (RFC 1035 4.1.1), sets QR and
// RA and RCODE 2 (SERVFAIL), with no answer, authority or additional records, as a resolver
// whose upstream is down would. Datagrams too short or malformed to hold a question are
// answered with FORMERR and an empty question section.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace {

constexpr size_t kHeaderLen = 12;
constexpr uint8_t kRcodeFormErr = 1;
constexpr uint8_t kRcodeServFail = 2;

void Die(const char* what) {
  std::fprintf(stderr, "dns_servfail_server: %s: %s\n", what, strerror(errno));
  std::exit(1);
}

// Length of the first question (QNAME labels + QTYPE + QCLASS) at `off`, or 0 if it does not
// fit in `len` bytes or uses compression (a query's first name never needs it).
size_t QuestionLength(const uint8_t* msg, size_t len, size_t off) {
  size_t p = off;
  for (int labels = 0; labels < 128; ++labels) {
    if (p >= len) return 0;
    uint8_t l = msg[p];
    if (l == 0) {
      p += 1;
      return p + 4 <= len ? p + 4 - off : 0;
    }
    if (l > 63) return 0;
    p += 1 + l;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  long lifetime_s = 3600;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--port" && i + 1 < argc) {
      port = std::atoi(argv[++i]);
    } else if (a == "--lifetime-s" && i + 1 < argc) {
      lifetime_s = std::atol(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: dns_servfail_server --port P [--lifetime-s S]\n");
      return 2;
    }
  }
  if (port <= 0 || port > 65535) {
    std::fprintf(stderr, "dns_servfail_server: --port 1..65535 required\n");
    return 2;
  }
  int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) Die("socket");
  int off = 0;
  setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
  sockaddr_in6 addr{};
  addr.sin6_family = AF_INET6;
  addr.sin6_addr = in6addr_any;
  addr.sin6_port = htons(static_cast<uint16_t>(port));
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) Die("bind");

  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(lifetime_s);
  uint8_t query[512];
  uint8_t reply[512];
  while (std::chrono::steady_clock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    sockaddr_storage peer{};
    socklen_t peer_len = sizeof(peer);
    ssize_t n = recvfrom(fd, query, sizeof(query), MSG_TRUNC, reinterpret_cast<sockaddr*>(&peer),
                         &peer_len);
    if (n < static_cast<ssize_t>(kHeaderLen) || static_cast<size_t>(n) > sizeof(query)) continue;
    const size_t len = static_cast<size_t>(n);
    if (query[2] & 0x80) continue;  // a response, not a query: never answer those
    const uint16_t qdcount = static_cast<uint16_t>(query[4] << 8 | query[5]);
    const size_t qlen = qdcount >= 1 ? QuestionLength(query, len, kHeaderLen) : 0;
    std::memcpy(reply, query, 2);                               // id
    reply[2] = static_cast<uint8_t>(0x80 | (query[2] & 0x79));  // QR, opcode, RD kept
    reply[3] = static_cast<uint8_t>(0x80 | (qlen ? kRcodeServFail : kRcodeFormErr));  // RA
    reply[4] = 0;
    reply[5] = qlen ? 1 : 0;
    std::memset(reply + 6, 0, 6);
    std::memcpy(reply + kHeaderLen, query + kHeaderLen, qlen);
    sendto(fd, reply, kHeaderLen + qlen, 0, reinterpret_cast<sockaddr*>(&peer), peer_len);
  }
  return 0;
}
