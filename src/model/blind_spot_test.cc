#include "src/model/blind_spot.h"

#include <cerrno>
#include <string_view>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace netcorr {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr TimeNs kT0 = 1'800'000'000'000'000'000;
constexpr TimeNs kMs = 1'000'000;

SyscallEvent Call(uint64_t id, std::string_view name, int32_t pid, TimeNs entry, int error,
                  int64_t result) {
  SyscallEvent e;
  e.id = id;
  e.pid = e.tid = pid;
  e.name = std::string(name);
  e.kind = CallKindOf(name);
  e.entry_ns = entry;
  e.exit_ns = entry + kMs;
  e.error = error;
  e.result = result;
  return e;
}

// The report's blind spots: per process, its rings and what it submitted through them.
TEST(BlindSpotsTest, CountsRingsAndSubmissionsPerProcess) {
  std::vector<SyscallEvent> calls;
  const auto add = [&](int32_t pid, std::string_view name, TimeNs entry, int error,
                       int64_t result) {
    calls.push_back(Call(calls.size() + 1, name, pid, entry, error, result));
  };
  add(7, "io_uring_enter", kT0 + 3 * kMs, 0, 2);  // any order
  add(7, "io_uring_setup", kT0, 0, 5);
  add(7, "io_uring_enter", kT0 + 5 * kMs, EINTR, 0);
  add(7, "io_uring_enter", kT0 + 8 * kMs, 0, 1);
  add(8, "connect", kT0, ECONNREFUSED, 0);
  const std::vector<BlindSpot> spots = BlindSpotsOf(calls);
  ASSERT_THAT(spots, SizeIs(1));
  EXPECT_EQ(spots[0].pid, 7);
  EXPECT_EQ(spots[0].mechanism, "io_uring");
  EXPECT_EQ(spots[0].rings, 1u);
  EXPECT_EQ(spots[0].enter_calls, 3u);
  EXPECT_EQ(spots[0].submissions, 3u);
  EXPECT_EQ(spots[0].first_ns, kT0);
  EXPECT_EQ(spots[0].last_ns, kT0 + 9 * kMs);
  EXPECT_THAT(DescribeBlindSpot(spots[0]),
              HasSubstr("pid 7 submitted 3 operations through io_uring (1 ring, 3 io_uring_enter "
                        "calls) that ptrace cannot see"));
  EXPECT_FALSE(IsIoUringSubmission(calls[2])) << "an interrupted enter submitted nothing";
  EXPECT_TRUE(IsIoUringSubmission(calls[0]));
}

}  // namespace
}  // namespace netcorr
