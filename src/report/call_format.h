#pragma once

#include <cstdint>
#include <string>

#include "src/model/syscall_event.h"
#include "src/model/time.h"

namespace netcorr::report {

// A duration for people: "850 ns", "12.5 us", "0.3 ms", "21.3 s". Negative values print as 0.
std::string FormatHumanDuration(TimeNs d);

// "[4242]" for the main thread, "[4242/4243]" for another thread of process 4242.
std::string FormatTask(int32_t pid, int32_t tid);

// The call as the program made it, strace-like and compact: "[4242] connect(3, 10.71.2.2:81)".
// Uses SyscallEvent::args when set (an inet sockaddr in them shown as "addr:port", fd
// decorations "3<TCP:[...]>" as "3"), else the address the call carried, else the fds waited on.
std::string FormatCallHead(const SyscallEvent& call);

// How it ended: "= -1 ECONNREFUSED (0.3 ms)", "= 0 (12.0 us)", or "... still blocked after
// 21.3 s" for a call that had not returned when tracing stopped. A call that revealed an earlier
// non-blocking connect's outcome says so: "= 0 (5.0 us) [connect outcome: ECONNREFUSED]".
std::string FormatCallOutcome(const SyscallEvent& call);

// FormatCallHead + " " + FormatCallOutcome: the one-line form of a call.
std::string FormatCall(const SyscallEvent& call);

// "ECONNREFUSED", "still blocked", "= 0": the result alone, for sentences.
std::string FormatCallResultShort(const SyscallEvent& call);

}  // namespace netcorr::report
