#pragma once

#include <optional>
#include <string>
#include <vector>

#include "correlate/flow_state.h"
#include "src/model/finding.h"
#include "src/model/syscall_event.h"

namespace netcorr::correlate {

// Shared wording and bookkeeping for the rules, so every finding reads the same way.

// A finding about `call` on `flow` with its outcome errno; the rule fills the rest.
Finding NewFinding(FindingKind kind, const SyscallEvent& call, const std::optional<FlowKey>& flow,
                   int outcome_error);

// "connect()".
std::string CallName(const SyscallEvent& call);
// "21.3 s", "3.02 s", "250 ms", "3.5 ms", "838 us".
std::string Seconds(TimeNs d);
// "12:00:01.100, +1.02 s, +3.06 s": the first time of day, then offsets from it.
std::string TimeList(const std::vector<TimeNs>& times);
// How `call` ended, after its name: "was still blocked after 3.00 s", "timed out after 2.96 s"
// (a wait that returned 0), "failed with EAGAIN after 3.00 s", "took 4.10 s".
std::string CallEnding(const SyscallEvent& call);
// A wait (poll, select, epoll_wait...) that returned 0: the program's own timeout expired.
bool WaitTimedOut(const SyscallEvent& call);
// "5 times", "once".
std::string Times(uint64_t n);
// " (ECONNREFUSED)" style errno tag: "ECONNREFUSED".
std::string ErrnoTag(int err);

void AddEvidence(Finding& f, const PacketRef& ref);
void AddEvidence(Finding& f, const std::vector<PacketRef>& refs);
// Sorts and de-duplicates the evidence ids; every rule calls it last.
void FinishEvidence(Finding& f);

}  // namespace netcorr::correlate
