#include "src/socket_model/fd_table.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <cerrno>

#include "gtest/gtest.h"

namespace netcorr::socket_model {
namespace {

Endpoint At(const char* addr, uint16_t port) { return Endpoint{*IpAddress::Parse(addr), port}; }

TEST(FdTable, SocketTakesItsIdentityFromItsArguments) {
  FdTable t;
  FdState& s = t.OpenSocket(3, AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  EXPECT_EQ(s.kind, FdKind::kSocket);
  EXPECT_EQ(s.identity.type, SOCK_STREAM);
  EXPECT_EQ(s.identity.transport, Transport::kTcp);
  EXPECT_TRUE(s.nonblocking);
  EXPECT_NE(s.serial, 0u);
  EXPECT_EQ(t.FindSocket(4), nullptr);
}

TEST(FdTable, AcceptedSocketInheritsTheListenersSpecificAddress) {
  FdTable t;
  FdState& l = t.OpenSocket(3, AF_INET6, SOCK_STREAM, IPPROTO_TCP);
  l.identity.local = At("fd00::1", 80);
  const SocketIdentity listener = l.identity;
  FdState& a = t.OpenAccepted(4, listener, /*nonblocking=*/true);
  EXPECT_EQ(a.identity.transport, Transport::kTcp);
  EXPECT_EQ(a.identity.local, At("fd00::1", 80));
  EXPECT_NE(a.serial, t.Find(3)->serial);

  FdState& wildcard = t.OpenSocket(5, AF_INET, SOCK_STREAM, 0);
  wildcard.identity.local = At("0.0.0.0", 80);
  const SocketIdentity any = wildcard.identity;
  EXPECT_FALSE(t.OpenAccepted(6, any, false).identity.local.has_value());
}

TEST(FdTable, CloseForgetsTheFdAndItsEpollMembership) {
  FdTable t;
  t.OpenSocket(3, AF_INET, SOCK_DGRAM, 0);
  t.OpenSocket(5, AF_INET, SOCK_DGRAM, 0);
  t.Learn(4, FdKind::kOther);
  t.EpollCtl(4, EPOLL_CTL_ADD, 5);
  t.EpollCtl(4, EPOLL_CTL_ADD, 3);
  EXPECT_EQ(t.EpollMembers(4), (std::vector<int>{3, 5}));
  t.Close(5);
  EXPECT_EQ(t.EpollMembers(4), (std::vector<int>{3}));
  EXPECT_EQ(t.Find(5), nullptr);
  t.EpollCtl(4, EPOLL_CTL_DEL, 3);
  EXPECT_TRUE(t.EpollMembers(4).empty());
}

TEST(FdTable, EpollRemembersOnlySockets) {
  FdTable t;
  t.Learn(7, FdKind::kOther);
  t.EpollCtl(4, EPOLL_CTL_ADD, 7);
  t.EpollCtl(4, EPOLL_CTL_ADD, 9);  // unknown
  EXPECT_TRUE(t.EpollMembers(4).empty());
}

TEST(FdTable, CloseRangeClosesNowUnlessOnlyMarkedCloexec) {
  FdTable t;
  for (int fd = 3; fd <= 6; ++fd) t.OpenSocket(fd, AF_INET, SOCK_STREAM, 0);
  t.CloseRange(4, 5, /*CLOSE_RANGE_CLOEXEC=*/4);
  EXPECT_EQ(t.size(), 4u);
  t.CloseRange(4, ~0ull, 0);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_NE(t.Find(3), nullptr);
}

TEST(FdTable, DuplicateSharesTheSocketButNotItsPendingConnect) {
  FdTable t;
  t.OpenSocket(3, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  t.ConnectStarted(3, At("10.0.0.2", 80));
  EXPECT_FALSE(t.CallReturned(3, CallKind::kConnect, 17, EINPROGRESS).has_value());
  t.Duplicate(3, 8);
  ASSERT_NE(t.FindSocket(8), nullptr);
  EXPECT_EQ(t.FindSocket(8)->serial, t.FindSocket(3)->serial);
  EXPECT_EQ(t.FindSocket(8)->identity.remote, At("10.0.0.2", 80));
  EXPECT_FALSE(t.FindSocket(8)->pending_connect.has_value());
  EXPECT_EQ(t.FindSocket(3)->pending_connect, 17u);
  // dup2 onto an fd we know nothing of the source of: the target is no longer known.
  t.Duplicate(42, 8);
  EXPECT_EQ(t.Find(8), nullptr);
}

TEST(FdTable, PendingConnectIsResolvedOnceByTheCallThatRevealsIt) {
  FdTable t;
  t.OpenSocket(3, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  t.CallReturned(3, CallKind::kConnect, 5, EINPROGRESS);
  EXPECT_FALSE(t.CallReturned(3, CallKind::kWait, 6, 0).has_value());
  EXPECT_FALSE(t.CallReturned(3, CallKind::kRecv, 7, EAGAIN).has_value());
  std::optional<ConnectResolution> r =
      t.CallReturned(3, CallKind::kGetsockopt, 8, 0, /*so_error=*/ECONNREFUSED);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->connect, 5u);
  EXPECT_EQ(r->error, ECONNREFUSED);
  EXPECT_FALSE(t.CallReturned(3, CallKind::kGetsockopt, 9, 0, ECONNREFUSED).has_value());
}

TEST(FdTable, ForkedCopyKeepsSocketsButNotPendingConnects) {
  FdTable t;
  t.OpenSocket(3, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  t.CallReturned(3, CallKind::kConnect, 5, EINPROGRESS);
  FdTable child = t.ForkedCopy();
  ASSERT_NE(child.FindSocket(3), nullptr);
  EXPECT_FALSE(child.FindSocket(3)->pending_connect.has_value());
  EXPECT_TRUE(t.FindSocket(3)->pending_connect.has_value());
}

TEST(FdTable, SocketsAmongKeepsTheOrderGivenAndSkipsNonSockets) {
  FdTable t;
  t.OpenSocket(5, AF_INET, SOCK_STREAM, 0);
  t.OpenSocket(3, AF_INET, SOCK_DGRAM, 0);
  t.Learn(4, FdKind::kOther);
  const int fds[] = {5, 4, 3, 99};
  std::vector<FdSocket> s = t.SocketsAmong(fds);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].fd, 5);
  EXPECT_EQ(s[1].fd, 3);
}

TEST(FdTable, NonblockingFollowsFcntlAndIoctl) {
  FdTable t;
  t.OpenSocket(3, AF_INET, SOCK_STREAM, 0);
  t.SetNonblocking(3, true);
  EXPECT_TRUE(t.FindSocket(3)->nonblocking);
  t.SetNonblocking(3, false);
  EXPECT_FALSE(t.FindSocket(3)->nonblocking);
}

}  // namespace
}  // namespace netcorr::socket_model
