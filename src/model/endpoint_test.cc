#include "src/model/endpoint.h"

#include <sys/socket.h>

#include "gtest/gtest.h"
#include "src/model/syscall_event.h"

namespace netcorr {
namespace {

TEST(IpAddressTest, ParsesAndPrintsBothFamilies) {
  auto v4 = IpAddress::Parse("10.0.0.2");
  ASSERT_TRUE(v4.has_value());
  EXPECT_TRUE(v4->is_v4());
  EXPECT_EQ(v4->ToString(), "10.0.0.2");
  auto v6 = IpAddress::Parse("fd00:1::2");
  ASSERT_TRUE(v6.has_value());
  EXPECT_TRUE(v6->is_v6());
  EXPECT_EQ(v6->ToString(), "fd00:1::2");
  EXPECT_FALSE(IpAddress::Parse("not-an-address").has_value());
}

TEST(IpAddressTest, V4MappedIsNormalisedToV4SoItMatchesTheWire) {
  auto mapped = IpAddress::Parse("::ffff:10.0.0.2");
  ASSERT_TRUE(mapped.has_value());
  EXPECT_TRUE(mapped->is_v4());
  EXPECT_EQ(*mapped, *IpAddress::Parse("10.0.0.2"));
}

TEST(EndpointTest, BracketsIpv6) {
  Endpoint e{*IpAddress::Parse("fd00::1"), 80};
  EXPECT_EQ(e.ToString(), "[fd00::1]:80");
  Endpoint f{IpAddress::V4FromHostOrder(0x7f000001), 8080};
  EXPECT_EQ(f.ToString(), "127.0.0.1:8080");
}

TEST(SocketIdentityTest, PrintsLikeStraceYy) {
  SocketIdentity s;
  s.inode = 42;
  s.family = AF_INET;
  s.transport = Transport::kTcp;
  EXPECT_EQ(s.ToString(), "TCP:[42]");
  s.local = Endpoint{*IpAddress::Parse("10.0.0.1"), 40000};
  s.remote = Endpoint{*IpAddress::Parse("10.0.0.2"), 80};
  EXPECT_EQ(s.ToString(), "TCP:[10.0.0.1:40000->10.0.0.2:80]");
  ASSERT_TRUE(s.Flow().has_value());
  EXPECT_EQ(s.Flow()->Reversed().local.port, 80);
}

}  // namespace
}  // namespace netcorr
