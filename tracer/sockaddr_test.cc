#include "tracer/sockaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cstring>
#include <vector>

#include "gtest/gtest.h"

namespace netcorr::tracer {
namespace {

template <typename T>
std::vector<uint8_t> Bytes(const T& v, size_t len = sizeof(T)) {
  std::vector<uint8_t> b(len);
  std::memcpy(b.data(), &v, std::min(len, sizeof(T)));
  return b;
}

TEST(SockaddrTest, Ipv4) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(80);
  inet_pton(AF_INET, "10.0.0.2", &a.sin_addr);
  const DecodedSockaddr d = DecodeSockaddr(Bytes(a));
  EXPECT_EQ(d.family, AF_INET);
  ASSERT_TRUE(d.endpoint);
  EXPECT_EQ(d.endpoint->ToString(), "10.0.0.2:80");
  EXPECT_EQ(d.text, "{sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr(\"10.0.0.2\")}");
}

TEST(SockaddrTest, Ipv6AndV4Mapped) {
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_port = htons(443);
  inet_pton(AF_INET6, "fd71:2::2", &a.sin6_addr);
  DecodedSockaddr d = DecodeSockaddr(Bytes(a));
  ASSERT_TRUE(d.endpoint);
  EXPECT_EQ(d.endpoint->ToString(), "[fd71:2::2]:443");
  EXPECT_NE(d.text.find("inet_pton(AF_INET6, \"fd71:2::2\", &sin6_addr)"), std::string::npos);

  inet_pton(AF_INET6, "::ffff:10.71.2.2", &a.sin6_addr);
  d = DecodeSockaddr(Bytes(a));
  ASSERT_TRUE(d.endpoint);
  EXPECT_TRUE(d.endpoint->addr.is_v4()) << "v4-mapped must match the IPv4 packets on the wire";
  EXPECT_EQ(d.endpoint->ToString(), "10.71.2.2:443");
}

TEST(SockaddrTest, UnixPathAbstractAndUnnamed) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strcpy(a.sun_path, "/run/x.sock");
  DecodedSockaddr d = DecodeSockaddr(Bytes(a, offsetof(sockaddr_un, sun_path) + 12));
  EXPECT_EQ(d.unix_path, "/run/x.sock");
  EXPECT_FALSE(d.endpoint);

  sockaddr_un b{};
  b.sun_family = AF_UNIX;
  std::memcpy(b.sun_path, "\0name", 5);
  d = DecodeSockaddr(Bytes(b, offsetof(sockaddr_un, sun_path) + 5));
  EXPECT_EQ(d.unix_path, "@name");

  d = DecodeSockaddr(Bytes(b, sizeof(sa_family_t)));
  EXPECT_EQ(d.unix_path, "");
  EXPECT_EQ(d.text, "{sa_family=AF_UNIX}");
}

TEST(SockaddrTest, TruncatedAndEmptyNeverReadPastTheEnd) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  // addrlen shorter than sockaddr_in: no endpoint, and the text says it was truncated.
  DecodedSockaddr d = DecodeSockaddr(Bytes(a, 6));
  EXPECT_EQ(d.family, AF_INET);
  EXPECT_FALSE(d.endpoint);
  EXPECT_NE(d.text.find("truncated"), std::string::npos);
  d = DecodeSockaddr({});
  EXPECT_EQ(d.family, -1);
  EXPECT_EQ(d.text, "NULL");
  const uint8_t one = 2;
  d = DecodeSockaddr(std::span<const uint8_t>(&one, 1));
  EXPECT_EQ(d.family, -1);
  sockaddr_in6 v6{};
  v6.sin6_family = AF_INET6;
  EXPECT_FALSE(DecodeSockaddr(Bytes(v6, sizeof(v6) - 1)).endpoint);
}

TEST(SockaddrTest, UnspecAndUnknownFamilies) {
  sa_family_t unspec = AF_UNSPEC;
  EXPECT_EQ(DecodeSockaddr(Bytes(unspec)).text, "{sa_family=AF_UNSPEC}");
  sa_family_t netlink = AF_NETLINK;
  EXPECT_EQ(DecodeSockaddr(Bytes(netlink)).text, "{sa_family=AF_NETLINK}");
}

}  // namespace
}  // namespace netcorr::tracer
