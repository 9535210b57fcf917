#include "src/socket_model/connect_outcome.h"

#include <cerrno>

#include "gtest/gtest.h"

namespace netcorr::socket_model {
namespace {

TEST(ConnectOutcome, SoErrorValueIsTheOutcome) {
  EXPECT_EQ(ConnectOutcome(CallKind::kGetsockopt, 0, ETIMEDOUT, std::nullopt), ETIMEDOUT);
  EXPECT_EQ(ConnectOutcome(CallKind::kGetsockopt, EBADF, ETIMEDOUT, std::nullopt), std::nullopt);
}

TEST(ConnectOutcome, SoErrorZeroIsConnectedOnlyWhenThePeerIsKnown) {
  EXPECT_EQ(ConnectOutcome(CallKind::kGetsockopt, 0, 0, false), std::nullopt);
  EXPECT_EQ(ConnectOutcome(CallKind::kGetsockopt, 0, 0, true), 0);
  EXPECT_EQ(ConnectOutcome(CallKind::kGetsockopt, 0, 0, std::nullopt), 0);
}

TEST(ConnectOutcome, ConnectAgainSaysConnectedPendingOrItsError) {
  EXPECT_EQ(ConnectOutcome(CallKind::kConnect, EISCONN, {}, {}), 0);
  EXPECT_EQ(ConnectOutcome(CallKind::kConnect, EALREADY, {}, {}), std::nullopt);
  EXPECT_EQ(ConnectOutcome(CallKind::kConnect, ECONNREFUSED, {}, {}), ECONNREFUSED);
}

TEST(ConnectOutcome, ReadinessSaysNothingAndIoSaysAll) {
  EXPECT_EQ(ConnectOutcome(CallKind::kWait, 0, {}, {}), std::nullopt);
  EXPECT_EQ(ConnectOutcome(CallKind::kSend, EAGAIN, {}, {}), std::nullopt);
  EXPECT_EQ(ConnectOutcome(CallKind::kSend, EPIPE, {}, {}), EPIPE);
  EXPECT_EQ(ConnectOutcome(CallKind::kRecv, 0, {}, {}), 0);
  EXPECT_EQ(ConnectOutcome(CallKind::kClose, 0, {}, {}), std::nullopt);
}

}  // namespace
}  // namespace netcorr::socket_model
