#include "src/model/time.h"

#include <time.h>

#include "absl/strings/str_format.h"

namespace netcorr {

TimeNs NowRealtimeNs() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<TimeNs>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::string FormatTimeOfDay(TimeNs t) {
  const int64_t kNsPerSec = 1'000'000'000;
  int64_t secs = t / kNsPerSec;
  int64_t nanos = t % kNsPerSec;
  if (nanos < 0) {
    nanos += kNsPerSec;
    --secs;
  }
  const int64_t of_day = ((secs % 86400) + 86400) % 86400;
  return absl::StrFormat("%02d:%02d:%02d.%09d", of_day / 3600, (of_day / 60) % 60, of_day % 60,
                         nanos);
}

std::string FormatDurationSeconds(TimeNs d) {
  const bool negative = d < 0;
  const uint64_t magnitude = negative ? -static_cast<uint64_t>(d) : static_cast<uint64_t>(d);
  const uint64_t micros = (magnitude + 500) / 1000;
  return absl::StrFormat("%s%d.%06d", negative ? "-" : "", micros / 1'000'000, micros % 1'000'000);
}

}  // namespace netcorr
