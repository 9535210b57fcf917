#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "src/model/time.h"

namespace netcorr::capture {

// Link-layer header types (pcap LINKTYPE_* / DLT_* values) the decoders understand.
inline constexpr int kLinkNull = 0;  // BSD loopback: 4-byte host-order address family
inline constexpr int kLinkEthernet = 1;
inline constexpr int kLinkRaw = 101;        // LINKTYPE_RAW: starts at the IP header
inline constexpr int kLinkRawDlt = 12;      // DLT_RAW as some platforms number it
inline constexpr int kLinkLoop = 108;       // OpenBSD loopback: 4-byte network-order family
inline constexpr int kLinkLinuxSll = 113;   // Linux cooked v1 (what `any` gives by default)
inline constexpr int kLinkLinuxSll2 = 276;  // Linux cooked v2

// One captured record exactly as libpcap delivered it, before decoding: what the pcapng writer
// stores and what the decoder reads. Owning, so it can cross threads and queues.
struct RawPacket {
  TimeNs ts = 0;               // CLOCK_REALTIME nanoseconds
  int link_type = 0;           // LINKTYPE_* of the handle/file it came from
  uint32_t wire_len = 0;       // length on the wire (>= bytes.size() when cut by the snap length)
  std::vector<uint8_t> bytes;  // the captured bytes
  std::string interface;       // capture interface name ("any", "eth0"); "" when unknown (files)
};

}  // namespace netcorr::capture
