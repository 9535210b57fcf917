#pragma once

#include <string>

#include "src/model/syscall_event.h"

namespace netcorr::tracer {

// One line per call, close to `strace -f -yy -ttt -T` (time of day in UTC with nanoseconds):
//   12:00:00.123456789 [4242] connect(3<TCP:[10.0.0.1:40000->10.0.0.2:80]>, {sa_family=AF_INET,
//   sin_port=htons(80), sin_addr=inet_addr("10.0.0.2")}, 16) = -1 ECONNREFUSED (Connection
//   refused) <0.000061>
// [tid] is shown as [pid/tid] when the call came from a thread other than the main one.
// Unfinished calls end with "<unfinished ...> <duration so far>"; a call that resolves an
// earlier non-blocking connect says so: "[resolves connect #12: ECONNREFUSED]".
// Only needs model types, so it can move to src/ if the CLI wants it there.
std::string FormatEventLine(const SyscallEvent& event);

// "12:00:00.000000000 [4242] +++ exited with 0 +++" and friends, as strace prints them.
std::string FormatProcessLine(const ProcessEvent& event);

}  // namespace netcorr::tracer
