#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace netcorr {

// The host's ephemeral port range (net.ipv4.ip_local_port_range, per network namespace, used by
// IPv6 too): the local ports connect() picks from when the socket was not bound.
struct PortRange {
  uint16_t low = 0;
  uint16_t high = 0;
  uint32_t size() const { return high >= low ? uint32_t{high} - low + 1 : 0; }
  std::string ToString() const;  // "40000-40003"
};

// The text of /proc/sys/net/ipv4/ip_local_port_range: two decimal ports separated by blanks
// ("32768\t60999\n"). nullopt unless both are ports (1-65535) and low <= high.
std::optional<PortRange> ParsePortRange(std::string_view text);

}  // namespace netcorr
