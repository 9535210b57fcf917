#include "correlate/evidence_window.h"

#include "correlate/test_util.h"
#include "gtest/gtest.h"

namespace netcorr::correlate {
namespace {

using testing::kMs;
using testing::kSec;
using testing::kT0;

TEST(EvidenceWindowTest, ReachesSlackBeforeTheEntryAndGraceAfterTheEnd) {
  const EvidenceWindow w{.clock_slack_ns = 20 * kMs, .grace_ns = 200 * kMs};
  const SyscallEvent call = testing::Call(1, "connect", 3, kT0, kT0 + kSec, 0);
  EXPECT_EQ(w.EarliestFor(call), kT0 - 20 * kMs);
  EXPECT_EQ(w.LatestFor(call), kT0 + kSec + 200 * kMs);
  EXPECT_TRUE(w.Contains(call, kT0 - 20 * kMs));
  EXPECT_FALSE(w.Contains(call, kT0 - 20 * kMs - 1));
  EXPECT_TRUE(w.Contains(call, kT0 + kSec + 200 * kMs));
  EXPECT_FALSE(w.Contains(call, kT0 + kSec + 200 * kMs + 1));
}

TEST(EvidenceWindowTest, WhatACallReceivedArrivedBeforeItReturned) {
  const EvidenceWindow w{.clock_slack_ns = 20 * kMs, .grace_ns = 200 * kMs};
  const SyscallEvent recv = testing::Call(1, "recvfrom", 3, kT0, kT0 + kSec, 0, 10);
  EXPECT_EQ(w.LatestReceivedBy(recv), kT0 + kSec + 20 * kMs);
  EXPECT_TRUE(w.ReceivedDuring(recv, kT0 + kSec + 20 * kMs));
  EXPECT_FALSE(w.ReceivedDuring(recv, kT0 + kSec + 21 * kMs));  // late: not what it read
  EXPECT_TRUE(w.Contains(recv, kT0 + kSec + 21 * kMs));         // but still evidence
  EXPECT_FALSE(w.ReceivedDuring(recv, kT0 - 21 * kMs));
}

}  // namespace
}  // namespace netcorr::correlate
