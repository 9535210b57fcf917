#include "src/model/finding.h"

#include <array>
#include <utility>

namespace netcorr {

namespace {
constexpr std::array<std::pair<FindingKind, std::string_view>, 14> kKindNames = {{
    {FindingKind::kRefusedByRst, "refused_by_rst"},
    {FindingKind::kSynUnanswered, "syn_unanswered"},
    {FindingKind::kIcmpUnreachable, "icmp_unreachable"},
    {FindingKind::kNoPacketSent, "no_packet_sent"},
    {FindingKind::kResetByPeer, "reset_by_peer"},
    {FindingKind::kClosedByPeer, "closed_by_peer"},
    {FindingKind::kNoResponse, "no_response"},
    {FindingKind::kDnsError, "dns_error"},
    {FindingKind::kTlsAlert, "tls_alert"},
    {FindingKind::kRetransmissions, "retransmissions"},
    {FindingKind::kPmtuBlackhole, "pmtu_blackhole"},
    {FindingKind::kUnexplained, "unexplained"},
    {FindingKind::kNeighbourUnreachable, "neighbour_unreachable"},
    {FindingKind::kZeroWindow, "zero_window"},
}};
}  // namespace

std::string_view FindingKindName(FindingKind kind) {
  for (const auto& [k, name] : kKindNames) {
    if (k == kind) return name;
  }
  return "unexplained";
}

std::string_view FindingSeverityName(FindingSeverity severity) {
  switch (severity) {
    case FindingSeverity::kFailure:
      return "failure";
    case FindingSeverity::kSlow:
      return "slow";
    case FindingSeverity::kInfo:
      return "info";
  }
  return "failure";
}

std::string_view IcmpSenderRoleName(IcmpSenderRole role) {
  switch (role) {
    case IcmpSenderRole::kDestination:
      return "destination";
    case IcmpSenderRole::kHop:
      return "hop";
    case IcmpSenderRole::kThisHost:
      return "this_host";
  }
  return "destination";
}

std::string_view EvidenceBasisName(EvidenceBasis basis) {
  switch (basis) {
    case EvidenceBasis::kSyscallsAndPackets:
      return "syscalls_and_packets";
    case EvidenceBasis::kSyscallsOnly:
      return "syscalls_only";
    case EvidenceBasis::kPacketsOnly:
      return "packets_only";
  }
  return "syscalls_and_packets";
}

std::string_view PathVerdictName(PathVerdictKind kind) {
  switch (kind) {
    case PathVerdictKind::kLostOnPathOut:
      return "lost_on_path_out";
    case PathVerdictKind::kDroppedByPeer:
      return "dropped_by_peer";
    case PathVerdictKind::kLostOnPathBack:
      return "lost_on_path_back";
    case PathVerdictKind::kForgedOnPath:
      return "forged_on_path";
    case PathVerdictKind::kConsistent:
      return "consistent";
    case PathVerdictKind::kNotCovered:
      return "not_covered";
  }
  return "not_covered";
}

std::optional<FindingKind> FindingKindFromName(std::string_view name) {
  for (const auto& [k, n] : kKindNames) {
    if (n == name) return k;
  }
  return std::nullopt;
}

}  // namespace netcorr
