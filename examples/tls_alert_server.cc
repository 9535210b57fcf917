// tls_alert_server: a TLS endpoint that refuses every handshake.
//
//   tls_alert_server --port P [--lifetime-s S]
//
// Reads one TLS record (the ClientHello: content type 22, RFC 8446 5.1), answers with one
// alert record — level fatal (2), description handshake_failure (40) — and closes. A real
// server does the same when no cipher suite or protocol version is shared. Writing the five
// record bytes ourselves is deterministic; openssl s_server's behaviour varies by version.
// The whole ClientHello is read before the alert is written so that close() sends FIN, not
// RST (unread data at close would turn it into a reset and hide the alert).
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

#include "examples/tcp_server_main.h"

namespace {

// Reads exactly `len` bytes, waiting at most until `deadline`.
bool ReadFull(int fd, uint8_t* buf, size_t len, std::chrono::steady_clock::time_point deadline) {
  size_t got = 0;
  while (got < len) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    ssize_t n = recv(fd, buf + got, len - got, 0);
    if (n <= 0) return false;
    got += static_cast<size_t>(n);
  }
  return true;
}

void AlertConnection(int fd) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  uint8_t header[5];
  static uint8_t body[1 << 14];  // a TLSPlaintext fragment is at most 2^14 bytes
  if (!ReadFull(fd, header, sizeof(header), deadline)) {
    close(fd);
    return;
  }
  const size_t len = static_cast<size_t>(header[3] << 8 | header[4]);
  const bool hello = header[0] == 22 && len <= sizeof(body) && ReadFull(fd, body, len, deadline);
  std::fprintf(stderr, "tls_alert_server: record type %d length %zu%s\n", header[0], len,
               hello ? ", sending handshake_failure" : ", not a handshake record");
  if (hello) {
    // ContentType alert(21), legacy version TLS 1.2, length 2, fatal(2), handshake_failure(40).
    static constexpr uint8_t kAlert[] = {21, 3, 3, 0, 2, 2, 40};
    send(fd, kAlert, sizeof(kAlert), MSG_NOSIGNAL);
  }
  shutdown(fd, SHUT_WR);
  // Let the client read the alert and close first (bounded), then drop the socket.
  uint8_t drain[512];
  pollfd p{fd, POLLIN, 0};
  for (int i = 0; i < 10 && poll(&p, 1, 100) > 0; ++i) {
    if (recv(fd, drain, sizeof(drain), 0) <= 0) break;
  }
  close(fd);
}

}  // namespace

int main(int argc, char** argv) {
  return netcorr::examples::ServeEachConnection("tls_alert_server", argc, argv, AlertConnection);
}
