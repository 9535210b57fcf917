#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/model/endpoint.h"
#include "src/model/syscall_event.h"

namespace netcorr {

// The finding kinds of DESIGN.md: the contract of the text report and of --json.
enum class FindingKind : uint8_t {
  kRefusedByRst,
  kSynUnanswered,
  kIcmpUnreachable,
  kNoPacketSent,
  kResetByPeer,
  kClosedByPeer,
  kNoResponse,
  kDnsError,
  kTlsAlert,
  kRetransmissions,
  kPmtuBlackhole,
  kUnexplained,
};

// "refused_by_rst", "syn_unanswered", ... (the --json names).
std::string_view FindingKindName(FindingKind kind);
std::optional<FindingKind> FindingKindFromName(std::string_view name);

struct Finding {
  FindingKind kind = FindingKind::kUnexplained;
  SyscallEvent call;                 // the call this finding explains
  std::optional<FlowKey> flow;       // the flow, as the program saw it
  std::vector<uint64_t> evidence;    // Packet::id of the packets that explain it
  std::string summary;               // one sentence
  std::string hint;                  // where to look next
};

}  // namespace netcorr
