#include "src/cli/offline_alignment.h"

#include <sys/socket.h>

#include "gtest/gtest.h"

namespace netcorr::cli {
namespace {

constexpr TimeNs kSec = 1'000'000'000;

Endpoint Ep(const char* ip, uint16_t port) { return Endpoint{*IpAddress::Parse(ip), port}; }

Packet Syn(uint64_t id, TimeNs ts, Endpoint src, Endpoint dst) {
  Packet p;
  p.id = id;
  p.ts_ns = ts;
  p.ip = src.addr.family();
  p.transport = Transport::kTcp;
  p.src = src;
  p.dst = dst;
  p.tcp = TcpSegment{};
  p.tcp->flags = kTcpSyn;
  return p;
}

SyscallEvent Connect(uint64_t id, int fd, TimeNs entry, TimeNs exit, Endpoint dst) {
  SyscallEvent c;
  c.id = id;
  c.pid = c.tid = 100;
  c.name = "connect";
  c.kind = CallKind::kConnect;
  c.fd = fd;
  c.entry_ns = entry;
  c.exit_ns = exit;
  c.address = dst;
  return c;
}

TEST(ClockOffsetTest, NoOffsetWhenTheLogAlreadyBracketsTheSyn) {
  const Endpoint server = Ep("10.71.2.2", 80);
  std::vector<SyscallEvent> calls = {Connect(1, 3, 100 * kSec, 100 * kSec + 5'000'000, server)};
  std::vector<Packet> packets = {Syn(1, 100 * kSec + 1'000'000, Ep("10.71.1.2", 40000), server)};
  auto offset = EstimateClockOffset(calls, packets);
  ASSERT_TRUE(offset.has_value());
  EXPECT_EQ(offset->offset_ns, 0);
}

TEST(ClockOffsetTest, MedianOfConnectToSynDelaysWhenClocksDisagree) {
  const Endpoint a = Ep("10.71.2.2", 80), b = Ep("10.71.2.2", 81), c = Ep("fd71:2::2", 82);
  std::vector<SyscallEvent> calls = {Connect(1, 3, 10 * kSec, 10 * kSec + 1000, a),
                                     Connect(2, 4, 20 * kSec, 20 * kSec + 1000, b),
                                     Connect(3, 5, 30 * kSec, 30 * kSec + 1000, c)};
  // The capture's clock runs 3 s ahead (one outlier at 3.5 s).
  std::vector<Packet> packets = {Syn(1, 13 * kSec + 100, Ep("10.71.1.2", 1), a),
                                 Syn(2, 23 * kSec + 500'000'000, Ep("10.71.1.2", 2), b),
                                 Syn(3, 33 * kSec + 200, Ep("fd71:1::2", 3), c)};
  auto offset = EstimateClockOffset(calls, packets);
  ASSERT_TRUE(offset.has_value());
  EXPECT_EQ(offset->samples, 3u);
  EXPECT_EQ(offset->offset_ns, 3 * kSec + 200);
}

TEST(ClockOffsetTest, NothingToEstimateWithoutMatchingSyns) {
  std::vector<SyscallEvent> calls = {Connect(1, 3, kSec, kSec + 10, Ep("10.71.2.2", 80))};
  std::vector<Packet> packets = {Syn(1, kSec, Ep("10.71.1.2", 1), Ep("10.71.2.2", 443))};
  EXPECT_FALSE(EstimateClockOffset(calls, packets).has_value());
}

TEST(InferSocketIdentitiesTest, ConnectLearnsItsLocalEndFromTheSynAndLaterCallsInheritIt) {
  const Endpoint server = Ep("10.71.2.2", 80), client = Ep("10.71.1.2", 40123);
  std::vector<SyscallEvent> calls = {Connect(1, 3, kSec, kSec + 1'000'000, server)};
  SyscallEvent read;
  read.id = 2;
  read.pid = 100;
  read.name = "read";
  read.kind = CallKind::kRecv;
  read.fd = 3;
  read.entry_ns = 2 * kSec;
  read.exit_ns = 2 * kSec + 10;
  calls.push_back(read);
  SyscallEvent other_fd = read;
  other_fd.id = 3;
  other_fd.fd = 4;
  calls.push_back(other_fd);
  std::vector<Packet> packets = {Syn(1, kSec + 10, client, server)};

  EXPECT_EQ(InferSocketIdentities(calls, packets, correlate::EvidenceWindow{}), 2u);
  ASSERT_TRUE(calls[0].socket.has_value());
  EXPECT_EQ(calls[0].socket->local, client);
  EXPECT_EQ(calls[0].socket->remote, server);
  EXPECT_EQ(calls[0].socket->family, AF_INET);
  ASSERT_TRUE(calls[1].socket.has_value());
  EXPECT_EQ(calls[1].socket->local, client);
  EXPECT_FALSE(calls[2].socket.has_value()) << "fd 4 was never connected";
}

TEST(InferSocketIdentitiesTest, AReusedFdGetsItsNewConnectionsIdentity) {
  const Endpoint first_server = Ep("10.71.2.2", 7001), second_server = Ep("10.71.2.2", 7002);
  const Endpoint first_client = Ep("10.71.1.2", 40001), second_client = Ep("10.71.1.2", 40002);
  std::vector<SyscallEvent> calls = {Connect(1, 3, kSec, kSec + 1'000'000, first_server)};
  SyscallEvent close = calls[0];
  close.id = 2;
  close.name = "close";
  close.kind = CallKind::kClose;
  close.address.reset();
  close.entry_ns = close.exit_ns = 2 * kSec;
  calls.push_back(close);
  calls.push_back(Connect(3, 3, 3 * kSec, 3 * kSec + 1'000'000, second_server));
  std::vector<Packet> packets = {Syn(1, kSec + 10, first_client, first_server),
                                 Syn(2, 3 * kSec + 10, second_client, second_server)};
  InferSocketIdentities(calls, packets, correlate::EvidenceWindow{});
  ASSERT_TRUE(calls[2].socket.has_value());
  EXPECT_EQ(calls[2].socket->local, second_client);
  EXPECT_EQ(calls[2].socket->remote, second_server);
}

// Dense traffic: a refused connect shows no ends (strace -yy prints only TCP:[inode]), and an
// earlier connection's SYN to the same server lies within the clock slack before it. The SYN
// inside the call is its own; the RST that refused it answers that one.
TEST(InferSocketIdentitiesTest, ARefusedConnectTakesTheSynInsideItNotAnEarlierOne) {
  const Endpoint server = Ep("10.71.2.2", 443);
  const Endpoint earlier_client = Ep("10.71.1.2", 40001), own_client = Ep("10.71.1.2", 40002);
  std::vector<SyscallEvent> calls = {Connect(1, 3, kSec, kSec + 100'000, server)};
  std::vector<Packet> packets = {Syn(1, kSec - 5'000'000, earlier_client, server),
                                 Syn(2, kSec + 2'000, own_client, server)};
  EXPECT_EQ(InferSocketIdentities(calls, packets, correlate::EvidenceWindow{}), 1u);
  ASSERT_TRUE(calls[0].socket.has_value());
  EXPECT_EQ(calls[0].socket->local, own_client);
}

// Two connects to one server whose SYNs the log's clock places a little outside the calls:
// each SYN explains one connect, so the second is not paired with the first one's SYN.
TEST(InferSocketIdentitiesTest, EachSynExplainsOneConnect) {
  const Endpoint server = Ep("10.71.2.2", 443);
  const Endpoint first_client = Ep("10.71.1.2", 40001), second_client = Ep("10.71.1.2", 40002);
  std::vector<SyscallEvent> calls = {
      Connect(1, 3, kSec, kSec + 1'000'000, server),
      Connect(2, 4, kSec + 2'000'000, kSec + 3'000'000, server)};
  std::vector<Packet> packets = {Syn(1, kSec + 1'500'000, first_client, server),
                                 Syn(2, kSec + 6'000'000, second_client, server)};
  EXPECT_EQ(InferSocketIdentities(calls, packets, correlate::EvidenceWindow{}), 2u);
  ASSERT_TRUE(calls[0].socket.has_value());
  ASSERT_TRUE(calls[1].socket.has_value());
  EXPECT_EQ(calls[0].socket->local, first_client);
  EXPECT_EQ(calls[1].socket->local, second_client);
}

TEST(ClockOffsetTest, OnlyTheFirstConnectToADestinationIsPairedWithItsFirstSyn) {
  const Endpoint server = Ep("10.71.2.2", 80);
  // Ten connects a second apart to one server; the capture runs 2 s ahead.
  std::vector<SyscallEvent> calls;
  std::vector<Packet> packets;
  for (int i = 0; i < 10; ++i) {
    calls.push_back(Connect(i + 1, 3, i * kSec, i * kSec + 1000, server));
    packets.push_back(Syn(i + 1, (i + 2) * kSec, Ep("10.71.1.2", 40000 + i), server));
  }
  auto offset = EstimateClockOffset(calls, packets);
  ASSERT_TRUE(offset.has_value());
  EXPECT_EQ(offset->offset_ns, 2 * kSec);
}

TEST(IsSocketCallTest, SocketCallsByKindOrByTheSocketsTheyWaitOn) {
  SyscallEvent c;
  c.name = "connect";
  c.kind = CallKindOf(c.name);
  EXPECT_TRUE(IsSocketCall(c));
  c.name = "openat";
  c.kind = CallKindOf(c.name);
  EXPECT_FALSE(IsSocketCall(c));
  c.waited.push_back(FdSocket{3, SocketIdentity{}});
  EXPECT_TRUE(IsSocketCall(c));
}

}  // namespace
}  // namespace netcorr::cli
