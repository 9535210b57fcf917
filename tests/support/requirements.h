#pragma once

// What a test needs from the machine (root, a program such as strace or tshark) and the one
// place that decides what happens when it is missing: the test FAILS with a message naming
// what is missing. ctest counts a skipped test as passed, so skipping by default would make an
// unprivileged run green without ever exercising ptrace, capture or the namespace world.
// A developer who knows this may opt in to skipping instead: NETCORR_ALLOW_SKIP=1 (see
// docs/testing.md).
//
//   TEST(X, Y) {
//     NETCORR_REQUIRE(Root("ptrace"), Program("/usr/bin/strace"));
//     ...
//   }
//
// Test-only and header-only; it knows nothing of netcorr's modules, so the tests of tracer/,
// capture/, src/report/ and tests/ can all use it without changing the libraries' layering.
// In SetUp() it stops the test before its body runs, like any fatal failure there.

#include <unistd.h>

#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"

namespace netcorr::testing {

// One thing a test needs, and whether this machine has it.
struct Requirement {
  std::string what;  // named in the failure: "root (ptrace)", "/usr/bin/strace"
  bool met = false;
};

// Running as root; `why` says what for ("ptrace", "network namespaces and iptables").
inline Requirement Root(std::string_view why) {
  return {"root (" + std::string(why) + ")", geteuid() == 0};
}

// An executable at `path`; every program the tests run is installed by scripts/install-deps.sh.
inline Requirement Program(std::string_view path) {
  const std::string p(path);
  return {p + " (scripts/install-deps.sh installs it)", access(p.c_str(), X_OK) == 0};
}

// NETCORR_ALLOW_SKIP=1 in the environment: a missing requirement skips instead of failing.
inline bool SkipAllowed() {
  const char* v = std::getenv("NETCORR_ALLOW_SKIP");
  return v != nullptr && std::string_view(v) == "1";
}

// "" when every requirement is met; otherwise one line naming each missing one and what to do.
inline std::string MissingRequirements(const std::vector<Requirement>& needs) {
  std::string missing;
  for (const Requirement& r : needs) {
    if (r.met) continue;
    missing += missing.empty() ? "" : ", ";
    missing += r.what;
  }
  if (missing.empty()) return missing;
  return "missing: " + missing +
         (SkipAllowed() ? " (skipped: NETCORR_ALLOW_SKIP=1)"
                        : ". Run the tests as root after scripts/install-deps.sh (sudo "
                          "scripts/test.sh does both), or set NETCORR_ALLOW_SKIP=1 to skip "
                          "what needs it");
}

}  // namespace netcorr::testing

// Fails the current test (or skips it, with NETCORR_ALLOW_SKIP=1) unless every requirement is
// met (a list of them, or one std::vector<Requirement>). Like FAIL() and GTEST_SKIP(), it returns
// from the enclosing void function.
#define NETCORR_REQUIRE(...)                                                                     \
  do {                                                                                           \
    const std::string netcorr_missing_ = ::netcorr::testing::MissingRequirements({__VA_ARGS__}); \
    if (!netcorr_missing_.empty()) {                                                             \
      if (::netcorr::testing::SkipAllowed()) {                                                   \
        GTEST_SKIP() << netcorr_missing_;                                                        \
      } else {                                                                                   \
        FAIL() << netcorr_missing_;                                                              \
      }                                                                                          \
    }                                                                                            \
  } while (false)
