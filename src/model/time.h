#pragma once

#include <cstdint>
#include <string>

namespace netcorr {

// Nanoseconds since the Unix epoch on CLOCK_REALTIME: the clock libpcap stamps packets with,
// so syscall times and packet times compare directly.
using TimeNs = int64_t;

// Reads CLOCK_REALTIME now.
TimeNs NowRealtimeNs();

// "12:00:00.123456789" in UTC: the time of day as strace -tt and tcpdump print it.
std::string FormatTimeOfDay(TimeNs t);

// "0.000061" seconds with microsecond precision, as strace -T prints durations.
std::string FormatDurationSeconds(TimeNs d);

}  // namespace netcorr
