#include "src/model/time.h"

#include "gtest/gtest.h"
#include "src/model/errno_name.h"
#include "src/model/finding.h"

namespace netcorr {
namespace {

TEST(TimeTest, FormatsTimeOfDayInUtcWithNanoseconds) {
  // 2026-11-28 12:00:00.123456789 UTC
  const TimeNs t = 1795867200LL * 1'000'000'000 + 123456789;
  EXPECT_EQ(FormatTimeOfDay(t), "12:00:00.123456789");
}

TEST(TimeTest, FormatsDurationsLikeStraceT) {
  EXPECT_EQ(FormatDurationSeconds(61'000), "0.000061");
  EXPECT_EQ(FormatDurationSeconds(21'300'000'000), "21.300000");
}

TEST(ErrnoNameTest, NamesNetworkErrors) {
  EXPECT_EQ(ErrnoName(111), "ECONNREFUSED");
  EXPECT_EQ(ErrnoName(110), "ETIMEDOUT");
  EXPECT_EQ(ErrnoName(113), "EHOSTUNREACH");
}

TEST(FindingKindTest, NamesRoundTrip) {
  for (int k = 0; k <= static_cast<int>(FindingKind::kZeroWindow); ++k) {
    const auto kind = static_cast<FindingKind>(k);
    EXPECT_EQ(FindingKindFromName(FindingKindName(kind)), kind);
  }
  EXPECT_EQ(FindingKindName(FindingKind::kRefusedByRst), "refused_by_rst");
}

}  // namespace
}  // namespace netcorr
