#include <algorithm>

#include "correlate/correlator.h"

namespace netcorr::correlate {

int FindingRank(const Finding& f) {
  switch (f.severity) {
    case FindingSeverity::kFailure:
      // A failure we can explain comes before one we cannot: the reader acts on facts first.
      return f.kind == FindingKind::kUnexplained ? 1 : 0;
    case FindingSeverity::kSlow:
      return 2;
    case FindingSeverity::kInfo:
      return 3;
  }
  return 1;
}

void SortByImportance(std::vector<Finding>& findings) {
  std::stable_sort(findings.begin(), findings.end(), [](const Finding& a, const Finding& b) {
    const int ra = FindingRank(a);
    const int rb = FindingRank(b);
    if (ra != rb) return ra < rb;
    if (a.call.entry_ns != b.call.entry_ns) return a.call.entry_ns < b.call.entry_ns;
    return a.call.id < b.call.id;
  });
}

}  // namespace netcorr::correlate
