#include "src/model/port_range.h"

#include "gtest/gtest.h"

namespace netcorr {
namespace {

TEST(PortRangeTest, ParsesTheProcFile) {
  std::optional<PortRange> r = ParsePortRange("32768\t60999\n");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->low, 32768);
  EXPECT_EQ(r->high, 60999);
  EXPECT_EQ(r->size(), 28232u);
  EXPECT_EQ(r->ToString(), "32768-60999");
  EXPECT_EQ(ParsePortRange("40000 40000")->size(), 1u);
}

TEST(PortRangeTest, RejectsWhatIsNotARange) {
  for (const char* bad : {"", "\n", "40000", "40000 40001 40002", "40001 40000", "0 10", "1 65536",
                          "-1 5", "a b", "4e4 5e4", "99999999999999999999 1"}) {
    EXPECT_FALSE(ParsePortRange(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace netcorr
