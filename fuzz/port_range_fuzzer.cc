// Fuzzes the parser of /proc/sys/net/ipv4/ip_local_port_range netcorr reads at start.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "src/model/port_range.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::optional<netcorr::PortRange> r =
      netcorr::ParsePortRange(std::string_view(reinterpret_cast<const char*>(data), size));
  if (r && (r->low == 0 || r->low > r->high || r->size() == 0)) __builtin_trap();
  return 0;
}
