#pragma once

// Symbolic names strace prints, turned back into numbers: errno names ("ECONNREFUSED"), the
// kernel-internal restart codes strace shows for interrupted calls ("ERESTARTSYS"), and signal
// names ("SIGPIPE").

#include <optional>
#include <string_view>

namespace netcorr::analyze {

// 111 for "ECONNREFUSED"; also "ERRNO_111" (strace's form for unnamed values), plain "111", and
// the restart codes ERESTARTSYS (512) ... ERESTART_RESTARTBLOCK (516).
std::optional<int> ErrnoFromName(std::string_view name);

// 13 for "SIGPIPE"; "SIGRTMIN", "SIGRT_3" and plain numbers too.
std::optional<int> SignalFromName(std::string_view name);

}  // namespace netcorr::analyze
