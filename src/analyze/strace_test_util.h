#pragma once

// Helpers shared by the strace reader's tests.

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "src/analyze/strace_log.h"

namespace netcorr::analyze::testing {

inline const std::string kTestdata = NETCORR_ANALYZE_TESTDATA;

inline Endpoint Ep(const char* addr, uint16_t port) {
  return Endpoint{*IpAddress::Parse(addr), port};
}

inline StraceParseResult Parse(const std::string& text, StraceParseOptions options = {}) {
  absl::StatusOr<StraceParseResult> r = ParseStraceText(text, options);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *std::move(r) : StraceParseResult();
}

inline StraceParseResult ParseFixture(const std::string& name) {
  absl::StatusOr<StraceParseResult> r = ParseStraceFile(kTestdata + "/" + name, {});
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *std::move(r) : StraceParseResult();
}

inline std::vector<const SyscallEvent*> Named(const StraceParseResult& r,
                                              const std::string& name) {
  std::vector<const SyscallEvent*> out;
  for (const SyscallEvent& c : r.calls) {
    if (c.name == name) out.push_back(&c);
  }
  return out;
}

inline const SyscallEvent* ById(const StraceParseResult& r, uint64_t id) {
  for (const SyscallEvent& c : r.calls) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

}  // namespace netcorr::analyze::testing
