#pragma once

#include <cstdint>
#include <string>

#include "src/model/packet.h"
#include "src/model/protocol_names.h"

namespace netcorr::report {

// A packet as a tcpdump -nn one-liner, so people who read tcpdump read it at once:
//   10.71.1.2.40000 > 10.71.2.2.81: Flags [S], seq 123, win 64240, options [mss 1460], length 0
//   10.71.1.1 > 10.71.1.2: ICMP unreachable admin-prohibited, about TCP 10.71.1.2:40000 -> ...
//   10.71.1.2.41000 > 10.71.2.2.53: DNS query id 0x1a2b A? example.test
//   10.71.2.2.443 > 10.71.1.2.40000: Flags [P.], seq 1:8, ..., length 7: TLS alert fatal ...
// Strings from the wire (DNS names, SNI) are copied as they are; the caller escapes for display.
std::string FormatPacket(const Packet& packet);

// tcpdump's flag letters: "S", "S.", "R.", "P.", "F.", "." ("none" when no flag is set).
std::string TcpFlagLetters(uint8_t flags);

// "warning", "fatal", "level_N".
std::string TlsAlertLevelName(uint8_t level);

}  // namespace netcorr::report
