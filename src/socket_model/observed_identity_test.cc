#include "src/socket_model/observed_identity.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include "gtest/gtest.h"

namespace netcorr::socket_model {
namespace {

Endpoint At(const char* addr, uint16_t port) { return Endpoint{*IpAddress::Parse(addr), port}; }

TEST(MergeObserved, KeepsTheDestinationWhileTheKernelReportsNoPeer) {
  SocketIdentity known;
  known.family = AF_INET;
  known.remote = At("10.0.0.2", 80);
  SocketIdentity seen;
  seen.inode = 77;
  seen.local = At("10.0.0.1", 40000);
  EXPECT_TRUE(MergeObserved(known, seen));
  EXPECT_EQ(known.remote, At("10.0.0.2", 80));
  EXPECT_EQ(known.local, At("10.0.0.1", 40000));
  EXPECT_EQ(known.inode, 77u);
  EXPECT_EQ(known.family, AF_INET);
}

TEST(MergeObserved, KeepsTheSourceAddressAFailedConnectForgets) {
  SocketIdentity known;
  known.local = At("10.0.0.1", 40000);
  SocketIdentity seen;
  seen.local = At("0.0.0.0", 40000);
  EXPECT_FALSE(MergeObserved(known, seen));
  EXPECT_EQ(known.local, At("10.0.0.1", 40000));
  seen.local = At("0.0.0.0", 40001);  // another port: really another binding
  MergeObserved(known, seen);
  EXPECT_EQ(known.local, At("0.0.0.0", 40001));
}

}  // namespace
}  // namespace netcorr::socket_model
