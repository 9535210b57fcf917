#include "correlate/unexplained.h"

#include <cerrno>

#include "correlate/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace netcorr::correlate {
namespace {

using ::testing::HasSubstr;
using testing::kMs;
using testing::kT0;
using ::testing::Not;

TEST(UnexplainedTest, NoGapWhenTheCaptureIsWhole) {
  testing::TestContext ctx;
  EXPECT_EQ(CaptureGapReason(ctx.get()), "");
}

TEST(UnexplainedTest, GapReasons) {
  testing::TestContext ctx;
  ctx.capture.available = false;
  ctx.capture.unavailable_reason = "pcap_activate: permission denied";
  EXPECT_THAT(CaptureGapReason(ctx.get()), HasSubstr("permission denied"));
  ctx.capture = CaptureStats{};
  ctx.capture.kernel_dropped = 12;
  ctx.capture.interface_dropped = 3;
  EXPECT_THAT(CaptureGapReason(ctx.get()), HasSubstr("lost 15 packets"));
  ctx.capture = CaptureStats{};
  ctx.options.capture_interface = "lo";
  EXPECT_THAT(CaptureGapReason(ctx.get()), HasSubstr("only interface lo"));
}

TEST(UnexplainedTest, SaysWhatIsMissingAndNeverGuesses) {
  testing::TestContext ctx;
  ctx.capture.kernel_dropped = 2;
  const FlowKey flow{Transport::kTcp, testing::Ep("10.71.1.2", 4000), testing::Ep("10.71.2.2", 80)};
  Finding f = Unexplained(testing::Call(3, "connect", 3, kT0, kT0 + kMs, ECONNREFUSED), flow,
                          ECONNREFUSED, "no RST was captured", ctx.get());
  EXPECT_EQ(f.kind, FindingKind::kUnexplained);
  EXPECT_THAT(f.summary, HasSubstr("ECONNREFUSED"));
  EXPECT_THAT(f.summary, HasSubstr("does not explain it"));
  EXPECT_THAT(f.unexplained_reason, HasSubstr("no RST was captured"));
  EXPECT_THAT(f.unexplained_reason, HasSubstr("lost 2 packets"));
  EXPECT_THAT(f.hint, HasSubstr("buffer"));
  EXPECT_TRUE(f.evidence.empty());
}

TEST(UnexplainedTest, WithoutCaptureSaysOnlyWhyThereAreNoPackets) {
  testing::TestContext ctx;
  ctx.capture.available = false;
  ctx.capture.unavailable_reason = "no permission to capture packets";
  Finding f = Unexplained(testing::Call(3, "connect", 3, kT0, kT0 + kMs, ECONNREFUSED),
                          std::nullopt, ECONNREFUSED, "no RST was captured", ctx.get());
  EXPECT_THAT(f.summary, HasSubstr("no packets to explain it"));
  EXPECT_THAT(f.unexplained_reason, HasSubstr("no permission to capture packets"));
  EXPECT_THAT(f.unexplained_reason, Not(HasSubstr("no RST was captured")));
  EXPECT_THAT(f.hint, HasSubstr("root"));
}

}  // namespace
}  // namespace netcorr::correlate
