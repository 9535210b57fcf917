#include "tracer/sockaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <array>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "src/model/socket_names.h"

namespace netcorr::tracer {

namespace {
// Copies a field out of the byte span after the caller checked the length, so we never overlay
// a struct on tracee bytes (alignment, strict aliasing).
template <typename T>
T Load(std::span<const uint8_t> bytes, size_t offset) {
  T v;
  std::memcpy(&v, bytes.data() + offset, sizeof(T));
  return v;
}
}  // namespace

DecodedSockaddr DecodeSockaddr(std::span<const uint8_t> bytes) {
  DecodedSockaddr d;
  if (bytes.size() < sizeof(sa_family_t)) {
    d.text = bytes.empty() ? "NULL" : "{sa_family=?}";
    return d;
  }
  d.family = Load<sa_family_t>(bytes, 0);
  const std::string fam = AddressFamilyName(d.family);
  switch (d.family) {
    case AF_INET: {
      if (bytes.size() < sizeof(sockaddr_in)) break;
      const uint16_t port = ntohs(Load<uint16_t>(bytes, offsetof(sockaddr_in, sin_port)));
      std::array<uint8_t, 4> a{};
      std::memcpy(a.data(), bytes.data() + offsetof(sockaddr_in, sin_addr), 4);
      d.endpoint = Endpoint{IpAddress::V4(a), port};
      d.text = absl::StrCat("{sa_family=AF_INET, sin_port=htons(", port, "), sin_addr=inet_addr(\"",
                            d.endpoint->addr.ToString(), "\")}");
      return d;
    }
    case AF_INET6: {
      if (bytes.size() < sizeof(sockaddr_in6)) break;
      const uint16_t port = ntohs(Load<uint16_t>(bytes, offsetof(sockaddr_in6, sin6_port)));
      std::array<uint8_t, 16> a{};
      std::memcpy(a.data(), bytes.data() + offsetof(sockaddr_in6, sin6_addr), 16);
      char text[INET6_ADDRSTRLEN] = {};
      inet_ntop(AF_INET6, a.data(), text, sizeof(text));
      d.endpoint = Endpoint{IpAddress::V6(a), port};
      d.text =
          absl::StrCat("{sa_family=AF_INET6, sin6_port=htons(", port, "), sin6_flowinfo=htonl(",
                       ntohl(Load<uint32_t>(bytes, offsetof(sockaddr_in6, sin6_flowinfo))),
                       "), inet_pton(AF_INET6, \"", text, "\", &sin6_addr), sin6_scope_id=",
                       Load<uint32_t>(bytes, offsetof(sockaddr_in6, sin6_scope_id)), "}");
      return d;
    }
    case AF_UNIX: {
      const size_t off = offsetof(sockaddr_un, sun_path);
      const size_t len = std::min(bytes.size(), sizeof(sockaddr_un)) > off
                             ? std::min(bytes.size(), sizeof(sockaddr_un)) - off
                             : 0;
      const char* p = reinterpret_cast<const char*>(bytes.data() + off);
      if (len > 0 && p[0] == '\0') {
        // Abstract: the name is every byte after the NUL, up to addrlen.
        d.unix_path = absl::StrCat("@", std::string(p + 1, len - 1));
      } else {
        d.unix_path = std::string(p, strnlen(p, len));
      }
      d.text = d.unix_path.empty()
                   ? "{sa_family=AF_UNIX}"
                   : absl::StrCat("{sa_family=AF_UNIX, sun_path=\"", d.unix_path, "\"}");
      return d;
    }
    case AF_UNSPEC:
      d.text = "{sa_family=AF_UNSPEC}";
      return d;
    default:
      d.text = absl::StrCat("{sa_family=", fam, "}");
      return d;
  }
  d.text = absl::StrCat("{sa_family=", fam, ", <truncated: ", bytes.size(), " bytes>}");
  return d;
}

}  // namespace netcorr::tracer
