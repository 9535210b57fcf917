#include "correlate/cause_ledger.h"

#include "absl/strings/str_cat.h"

namespace netcorr::correlate {

std::string CauseLedger::DestinationKey(const Finding& f) {
  if (f.call.kind != CallKind::kConnect || !f.flow) return "";
  switch (f.kind) {
    case FindingKind::kRefusedByRst:
    case FindingKind::kSynUnanswered:
    case FindingKind::kIcmpUnreachable:
    case FindingKind::kNoPacketSent:
      break;
    default:
      return "";
  }
  return absl::StrCat(f.call.pid, "|", static_cast<int>(f.kind), "|", f.outcome_error, "|",
                      static_cast<int>(f.severity), "|", f.flow->remote.ToString());
}

uint64_t CauseLedger::RepeatOf(const Finding& f, const FlowRecord* record) const {
  if (record != nullptr && !f.evidence.empty()) {
    const uint64_t first = record->ExplainingCause(f.evidence.front());
    bool all = first != 0;
    for (uint64_t id : f.evidence) all = all && record->ExplainingCause(id) == first;
    if (all) return first;
  }
  const std::string key = DestinationKey(f);
  if (key.empty()) return 0;
  auto it = by_destination_.find(key);
  return it == by_destination_.end() ? 0 : it->second;
}

void CauseLedger::Report(Finding& f, FlowRecord* record) {
  f.cause_id = next_cause_++;
  // An informational finding (end of stream) does not claim its packets: a later failure on
  // the same FIN (EPIPE) is still worth its own finding.
  if (record != nullptr && f.severity != FindingSeverity::kInfo) {
    record->MarkExplained(f.evidence, f.cause_id);
  }
  const std::string key = DestinationKey(f);
  if (key.empty()) return;
  if (by_destination_.try_emplace(key, f.cause_id).second) {
    destination_order_.push_back(key);
    if (destination_order_.size() > kMaxDestinationCauses) {
      by_destination_.erase(destination_order_.front());
      destination_order_.pop_front();
    }
  }
}

void CauseLedger::Fold(uint64_t cause, const SyscallEvent& call) {
  CallSpan& span = folded_[cause];
  if (span.count == 0) span.first = call;
  ++span.count;
  span.last = call;
}

void CauseLedger::UpdateReported(std::vector<Finding>& reported) const {
  for (Finding& f : reported) {
    auto it = folded_.find(f.cause_id);
    if (f.cause_id != 0 && it != folded_.end()) f.later_calls = it->second;
  }
}

}  // namespace netcorr::correlate
