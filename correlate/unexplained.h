#pragma once

#include <optional>
#include <string>

#include "correlate/rule_context.h"
#include "src/model/finding.h"

namespace netcorr::correlate {

// Why the capture may be missing packets that would explain a call, or "" when it has no known
// gap: no capture at all, kernel or interface drops, or a capture limited to one interface.
// A rule that finds no evidence must not turn this absence into a diagnosis.
std::string CaptureGapReason(const RuleContext& ctx);

// The call failed (or hung) and the captured packets do not explain it. `missing` says what a
// rule looked for and did not find ("no RST or ICMP error for this flow was captured"); the
// capture gap, if any, is added as the reason. Never guesses a cause.
Finding Unexplained(const SyscallEvent& call, const std::optional<FlowKey>& flow, int outcome_error,
                    const std::string& missing, const RuleContext& ctx);

// Without any capture (analyze on a strace log alone, or a live session that may not
// capture): `call` failed or hung, and only the syscalls say so. Kind unexplained, basis
// syscalls_only, the reason naming why there are no packets.
Finding WithoutPackets(const SyscallEvent& call, const std::optional<FlowKey>& flow,
                       int outcome_error, const RuleContext& ctx);

}  // namespace netcorr::correlate
