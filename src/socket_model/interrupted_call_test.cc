#include "src/socket_model/interrupted_call.h"

#include "gtest/gtest.h"

namespace netcorr::socket_model {
namespace {

TEST(InterruptedCall, OnlyTheKernelsRestartCodes) {
  EXPECT_TRUE(IsRestartReturn(-512));
  EXPECT_TRUE(IsRestartReturn(-516));
  EXPECT_FALSE(IsRestartReturn(-515));  // ENOIOCTLCMD
  EXPECT_FALSE(IsRestartReturn(-4));    // EINTR is final
  EXPECT_FALSE(IsRestartReturn(512));
}

TEST(InterruptedCall, NextCallDecidesRestartOrEintr) {
  EXPECT_EQ(NextCallAfterInterruption("connect", "connect"), AfterInterruption::kRestarted);
  EXPECT_EQ(NextCallAfterInterruption("poll", "restart_syscall"), AfterInterruption::kRestarted);
  EXPECT_EQ(NextCallAfterInterruption("recvfrom", "rt_sigreturn"),
            AfterInterruption::kHandlerReturning);
  EXPECT_EQ(NextCallAfterInterruption("recvfrom", "write"), AfterInterruption::kEintr);
}

}  // namespace
}  // namespace netcorr::socket_model
