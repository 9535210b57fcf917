#include "src/model/call_kind.h"

#include "gtest/gtest.h"

namespace netcorr {
namespace {

TEST(CallKind, EveryNameOfACallHasItsKind) {
  EXPECT_EQ(CallKindOf("connect"), CallKind::kConnect);
  EXPECT_EQ(CallKindOf("accept4"), CallKind::kAccept);
  EXPECT_EQ(CallKindOf("write"), CallKind::kSend);
  EXPECT_EQ(CallKindOf("sendmmsg"), CallKind::kSend);
  EXPECT_EQ(CallKindOf("readv"), CallKind::kRecv);
  EXPECT_EQ(CallKindOf("recvfrom"), CallKind::kRecv);
  EXPECT_EQ(CallKindOf("epoll_pwait2"), CallKind::kWait);
  EXPECT_EQ(CallKindOf("_newselect"), CallKind::kWait);
  EXPECT_EQ(CallKindOf("io_uring_setup"), CallKind::kIoUring);
  EXPECT_EQ(CallKindOf("io_uring_enter"), CallKind::kIoUring);
  EXPECT_EQ(CallKindOf("io_uring_register"), CallKind::kIoUring);
  EXPECT_EQ(CallKindOf("getsockopt"), CallKind::kGetsockopt);
}

TEST(CallKind, OtherCallsAreOther) {
  EXPECT_EQ(CallKindOf("openat"), CallKind::kOther);
  EXPECT_EQ(CallKindOf("dup2"), CallKind::kOther);
  EXPECT_EQ(CallKindOf(""), CallKind::kOther);
  EXPECT_EQ(CallKindName(CallKind::kWait), "wait");
  EXPECT_EQ(CallKindName(CallKind::kIoUring), "io_uring");
}

}  // namespace
}  // namespace netcorr
