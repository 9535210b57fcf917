#include "src/model/socket_names.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include "gtest/gtest.h"

namespace netcorr {
namespace {

TEST(SocketNames, NamesReadBackAsTheirValues) {
  for (int family : {AF_UNSPEC, AF_UNIX, AF_INET, AF_INET6, AF_NETLINK, AF_PACKET}) {
    EXPECT_EQ(AddressFamilyFromName(AddressFamilyName(family)), family);
  }
  for (int type : {SOCK_STREAM, SOCK_DGRAM, SOCK_RAW, SOCK_SEQPACKET}) {
    EXPECT_EQ(SocketTypeFromName(SocketTypeName(type)), type);
  }
  EXPECT_EQ(ProtocolFromName(ProtocolName(AF_INET, IPPROTO_UDP)), IPPROTO_UDP);
  EXPECT_EQ(AddressFamilyFromName("AF_LOCAL"), AF_UNIX);
}

TEST(SocketNames, UnknownValuesPrintAsNumbersEverywhere) {
  EXPECT_EQ(AddressFamilyName(200), "200");
  EXPECT_EQ(SocketTypeName(9 | SOCK_CLOEXEC), "9|SOCK_CLOEXEC");
  EXPECT_EQ(ProtocolName(AF_INET, 250), "250");
  EXPECT_EQ(AddressFamilyFromName("AF_NOSUCH"), std::nullopt);
}

TEST(SocketNames, TransportFollowsProtocolThenType) {
  EXPECT_EQ(TransportFor(AF_INET, SOCK_STREAM, 0), Transport::kTcp);
  EXPECT_EQ(TransportFor(AF_INET6, SOCK_DGRAM, 0), Transport::kUdp);
  EXPECT_EQ(TransportFor(AF_INET, SOCK_DGRAM, IPPROTO_ICMP), Transport::kIcmp);
  EXPECT_EQ(TransportFor(AF_INET, SOCK_STREAM, IPPROTO_MPTCP), Transport::kTcp);
  EXPECT_EQ(TransportFor(AF_INET, SOCK_STREAM, IPPROTO_SCTP), Transport::kUnknown);
  EXPECT_EQ(TransportFor(AF_UNIX, SOCK_STREAM, 0), Transport::kUnknown);
}

}  // namespace
}  // namespace netcorr
