#include "correlate/tcp_seq.h"

#include "gtest/gtest.h"

namespace netcorr::correlate {
namespace {

TEST(TcpSeqTest, OrdersWithinHalfTheSpace) {
  EXPECT_LT(TcpSeq(1), TcpSeq(2));
  EXPECT_GT(TcpSeq(1000), TcpSeq(10));
  EXPECT_LE(TcpSeq(5), TcpSeq(5));
  EXPECT_FALSE(TcpSeq(5) < TcpSeq(5));
}

TEST(TcpSeqTest, WrapsAroundZero) {
  // RFC 1982: 0xfffffff0 + 0x20 wraps to 0x10, which is "after" it.
  const TcpSeq before(0xfffffff0u);
  const TcpSeq after = before + 0x20;
  EXPECT_EQ(after.raw(), 0x10u);
  EXPECT_LT(before, after);
  EXPECT_GT(after, before);
  EXPECT_EQ(after - before, 0x20);
  EXPECT_EQ(before - after, -0x20);
}

TEST(TcpSeqTest, HalfSpaceApartIsBehind) {
  EXPECT_LT(TcpSeq(0x80000001u), TcpSeq(0));  // 0 is 2^31-1 ahead of 0x80000001
  EXPECT_GT(TcpSeq(0x7fffffffu), TcpSeq(0));
}

}  // namespace
}  // namespace netcorr::correlate
