#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "src/model/endpoint.h"

namespace netcorr::tracer {

// A socket address read from tracee memory (at most its addrlen bytes), as a value.
struct DecodedSockaddr {
  int family = -1;                   // -1 when nothing could be read
  std::optional<Endpoint> endpoint;  // AF_INET / AF_INET6 (v4-mapped v6 normalised to v4)
  std::string unix_path;             // AF_UNIX: path, "@name" for abstract, "" when unnamed
  std::string text;                  // strace style: {sa_family=AF_INET, sin_port=htons(80), ...}
};

// Decodes `bytes` (exactly what the tracee passed, never more than addrlen). Truncated or
// unknown addresses keep family and get a text that says so; never reads past the span.
DecodedSockaddr DecodeSockaddr(std::span<const uint8_t> bytes);

}  // namespace netcorr::tracer
