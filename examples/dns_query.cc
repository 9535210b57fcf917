// dns_query: a stub resolver asking one question over UDP, like getaddrinfo's would.
//
//   dns_query --server H --port P --name example.test [--type A|AAAA] [--timeout MS]
//             [--tries N] [--unconnected]
//
// The UDP socket is connect()ed to the server (as glibc's resolver does), so an ICMP port
// unreachable comes back as ECONNREFUSED on recv(); with --unconnected it uses sendto/recvfrom
// and such errors are never reported to it (they time out). Each try waits --timeout ms
// (SO_RCVTIMEO, so a silent server gives EAGAIN).
//
// Output (one line, stable for scripts):
//   result: ok rcode=NOERROR answers=N
//   result: dns SERVFAIL            any RCODE other than NOERROR, by name
//   result: recv EAGAIN             no reply within the timeout, after every try
//   result: <call> <ERRNO>          e.g. "result: recv ECONNREFUSED"
// Exit status 0 for NOERROR, 1 otherwise, 2 for usage errors.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "examples/example_util.h"

namespace {

using ::netcorr::examples::ErrnoName;

const char* RcodeName(int rcode) {
  static constexpr const char* kNames[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                           "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
                                           "NXRRSET", "NOTAUTH", "NOTZONE"};
  return rcode >= 0 && rcode < static_cast<int>(std::size(kNames)) ? kNames[rcode] : "RCODE?";
}

// RFC 1035 4.1: header, then QNAME as length-prefixed labels, QTYPE, QCLASS IN.
bool BuildQuery(uint16_t id, const std::string& name, uint16_t qtype, std::vector<uint8_t>* out) {
  *out = {static_cast<uint8_t>(id >> 8),
          static_cast<uint8_t>(id),
          0x01,
          0x00,  // RD
          0,
          1,
          0,
          0,
          0,
          0,
          0,
          0};
  size_t start = 0;
  while (start < name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    size_t len = dot - start;
    if (len == 0 || len > 63) return false;
    out->push_back(static_cast<uint8_t>(len));
    out->insert(out->end(), name.begin() + static_cast<long>(start),
                name.begin() + static_cast<long>(dot));
    start = dot + 1;
  }
  out->push_back(0);
  out->insert(out->end(), {static_cast<uint8_t>(qtype >> 8), static_cast<uint8_t>(qtype), 0, 1});
  return out->size() <= 512;
}

int Usage() {
  std::fprintf(stderr,
               "usage: dns_query --server H --port P --name NAME [--type A|AAAA] [--timeout MS]\n"
               "                 [--tries N] [--unconnected]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string server, name;
  int port = 53, timeout_ms = 2000, tries = 1;
  uint16_t qtype = 1;
  bool unconnected = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--server" && has_value) {
      server = argv[++i];
    } else if (a == "--port" && has_value) {
      port = std::atoi(argv[++i]);
    } else if (a == "--name" && has_value) {
      name = argv[++i];
    } else if (a == "--type" && has_value) {
      std::string_view t = argv[++i];
      if (t != "A" && t != "AAAA") return Usage();
      qtype = t == "A" ? 1 : 28;
    } else if (a == "--timeout" && has_value) {
      timeout_ms = std::atoi(argv[++i]);
    } else if (a == "--tries" && has_value) {
      tries = std::atoi(argv[++i]);
    } else if (a == "--unconnected") {
      unconnected = true;
    } else {
      return Usage();
    }
  }
  sockaddr_storage addr{};
  const socklen_t addr_len = ::netcorr::examples::NumericAddress(server, port, &addr);
  const uint16_t id = static_cast<uint16_t>(getpid() * 2654435761u >> 16);
  std::vector<uint8_t> query;
  if (addr_len == 0 || port <= 0 || port > 65535 || timeout_ms < 1 || tries < 1 || tries > 10 ||
      !BuildQuery(id, name, qtype, &query)) {
    return Usage();
  }

  int fd = socket(addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    std::printf("result: socket %s\n", ErrnoName(errno));
    return 1;
  }
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  const auto* sa = reinterpret_cast<const sockaddr*>(&addr);
  if (!unconnected && connect(fd, sa, addr_len) != 0) {
    std::printf("result: connect %s\n", ErrnoName(errno));
    return 1;
  }
  uint8_t reply[4096];
  int last_errno = 0;
  for (int t = 0; t < tries; ++t) {
    ssize_t sent = unconnected ? sendto(fd, query.data(), query.size(), 0, sa, addr_len)
                               : send(fd, query.data(), query.size(), 0);
    if (sent < 0) {
      std::printf("result: send %s\n", ErrnoName(errno));
      return 1;
    }
    // Datagrams that are not our answer (wrong id, too short) are skipped, a bounded number.
    for (int skipped = 0; skipped < 16; ++skipped) {
      ssize_t n = recv(fd, reply, sizeof(reply), 0);
      if (n < 0) {
        last_errno = errno;
        break;
      }
      if (n < 12 || reply[0] != query[0] || reply[1] != query[1] || !(reply[2] & 0x80)) {
        std::fprintf(stderr, "dns_query: ignored a %zd-byte datagram that is not our response\n",
                     n);
        continue;
      }
      const int rcode = reply[3] & 0x0f;
      const int answers = reply[6] << 8 | reply[7];
      if (rcode != 0) {
        std::printf("result: dns %s\n", RcodeName(rcode));
        return 1;
      }
      std::printf("result: ok rcode=NOERROR answers=%d\n", answers);
      return 0;
    }
    if (last_errno != EAGAIN && last_errno != EWOULDBLOCK) break;  // a hard error: no retry
  }
  std::printf("result: recv %s\n", ErrnoName(last_errno ? last_errno : EAGAIN));
  close(fd);
  return 1;
}
