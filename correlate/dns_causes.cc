#include "correlate/dns_causes.h"

#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"

namespace netcorr::correlate {

namespace {

constexpr uint8_t kRcodeRefused = 5;

}  // namespace

bool SameLookupName(const std::string& a, const std::string& b) {
  std::string x = absl::AsciiStrToLower(absl::StripSuffix(a, "."));
  std::string y = absl::AsciiStrToLower(absl::StripSuffix(b, "."));
  if (x.empty() || y.empty()) return x == y;
  if (x.size() > y.size()) std::swap(x, y);
  // The shorter one is the longer one's first labels.
  return x == y || (absl::StartsWith(y, x) && y[x.size()] == '.');
}

const DnsCauseMemory::Cause* DnsCauseMemory::Find(const IpAddress& server, DnsCauseKind kind,
                                                  uint16_t code, const std::string& name) const {
  for (const Cause& c : causes_) {
    if (c.server != server || c.kind != kind || c.code != code) continue;
    if (kind == DnsCauseKind::kRcode && code == kRcodeRefused) return &c;
    for (const std::string& n : c.names) {
      if (SameLookupName(n, name)) return &c;
    }
  }
  return nullptr;
}

DnsCauseMemory::Cause* DnsCauseMemory::Find(const IpAddress& server, DnsCauseKind kind,
                                            uint16_t code, const std::string& name) {
  return const_cast<Cause*>(
      static_cast<const DnsCauseMemory&>(*this).Find(server, kind, code, name));
}

bool DnsCauseMemory::Reported(const IpAddress& server, DnsCauseKind kind, uint16_t code,
                              const std::string& name) const {
  return Find(server, kind, code, name) != nullptr;
}

void DnsCauseMemory::Remember(const IpAddress& server, DnsCauseKind kind, uint16_t code,
                              const std::string& name) {
  if (Cause* c = Find(server, kind, code, name)) {
    // Later names of the lookup widen it: "db.corp.example" then "db" then "db.lab.example".
    bool known = false;
    for (const std::string& n : c->names) known |= n == name;
    if (!known && c->names.size() < kMaxNamesPerCause) c->names.push_back(name);
    return;
  }
  causes_.push_back(Cause{server, kind, code, {name}});
  if (causes_.size() > kMaxCauses) causes_.pop_front();
}

bool DnsCauseMemory::CheckAndRemember(const IpAddress& server, DnsCauseKind kind, uint16_t code,
                                      const std::string& name) {
  const bool reported = Reported(server, kind, code, name);
  Remember(server, kind, code, name);
  return reported;
}

}  // namespace netcorr::correlate
