// Fuzzes the decoder of socket addresses the tracer copies out of tracee memory (at most
// addrlen bytes, which the traced program chooses).
#include <cstddef>
#include <cstdint>

#include "tracer/sockaddr.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const netcorr::tracer::DecodedSockaddr d = netcorr::tracer::DecodeSockaddr({data, size});
  // A unix path comes from at most sun_path's 108 bytes, escaped to at most 4 characters each.
  if (d.unix_path.size() > 4 * 108 + 1) __builtin_trap();
  if (d.endpoint && d.family != 2 && d.family != 10) __builtin_trap();
  return 0;
}
