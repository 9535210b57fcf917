// A peer that stops reading: the zero window it advertises is why our sends and our waits for
// POLLOUT stall, whatever retransmissions the shrinking window caused on the way.
#include <cerrno>

#include "correlate/correlator_test_fixture.h"
#include "gtest/gtest.h"

namespace netcorr::correlate {
namespace {

using namespace testing;  // NOLINT: the fixture, builders and matchers of these tests

class ZeroWindowStory : public CorrelatorTest {
 protected:
  // After the handshake (ids 1-3) the server takes 5792 bytes (one segment retransmitted on
  // the way), then advertises a zero window and answers our probes with it for 3 s.
  void ServerStopsReading() {
    Handshake(1, kT0);
    corr.AddSyscall(Connect(10, kT0, kT0 + 2 * kMs, 0, c, s));
    corr.AddPacket(TcpPacket(4, kT0 + 20 * kMs, c, s, kTcpAck, 101, 901, 2896));
    corr.AddPacket(TcpPacket(5, kT0 + 21 * kMs, c, s, kTcpAck, 2997, 901, 2896));
    corr.AddPacket(TcpPacket(6, kT0 + 26 * kMs, c, s, kTcpAck, 2997, 901, 2896));  // again
    corr.AddPacket(WindowPacket(7, kT0 + 110 * kMs, s, c, 901, 5893, 0));
    uint64_t id = 8;
    for (TimeNs at : {330 * kMs, 770 * kMs, 1630 * kMs, 3350 * kMs}) {
      corr.AddPacket(TcpPacket(id++, kT0 + at, c, s, kTcpAck, 5892, 901));
      corr.AddPacket(WindowPacket(id++, kT0 + at + kMs, s, c, 901, 5893, 0));
    }
  }
  SyscallEvent Poll(uint64_t id, TimeNs entry, TimeNs exit, int64_t ready) {
    SyscallEvent p = Call(id, "poll", -1, entry, exit, 0, ready);
    p.waited.push_back(FdSocket{3, TcpSocket(1003, c, s)});
    return p;
  }
};

// Python's sock.settimeout(3); sock.sendall(big): non-blocking sends between polls for
// POLLOUT, until a poll times out and the program gives up (TimeoutError) and closes.
TEST_P(ZeroWindowStory, PollForPolloutTimesOutAndTheProgramCloses) {
  ServerStopsReading();
  corr.AddSyscall(Poll(11, kT0 + 19 * kMs, kT0 + 19 * kMs, 1));
  SyscallEvent first = OnTcp(12, "sendto", kT0 + 19 * kMs, kT0 + 20 * kMs, 0, 47784);
  first.nonblocking = true;
  corr.AddSyscall(first);
  corr.AddSyscall(Poll(13, kT0 + 20 * kMs, kT0 + 65 * kMs, 1));
  SyscallEvent second = OnTcp(14, "sendto", kT0 + 65 * kMs, kT0 + 66 * kMs, 0, 21720);
  second.nonblocking = true;
  corr.AddSyscall(second);
  corr.AddSyscall(Poll(15, kT0 + 66 * kMs, kT0 + 3020 * kMs, 0));
  corr.AddSyscall(OnTcp(16, "close", kT0 + 3029 * kMs, kT0 + 3029 * kMs, 0, 0));
  const std::vector<Finding> f = All();
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_EQ(f[0].kind, FindingKind::kZeroWindow);
  EXPECT_EQ(f[0].severity, FindingSeverity::kFailure);
  EXPECT_EQ(f[0].call.id, 15u);
  ASSERT_TRUE(f[0].zero_window.has_value());
  EXPECT_EQ(f[0].zero_window->first_ns, kT0 + 110 * kMs);
  EXPECT_EQ(f[0].zero_window->probes, 3u);  // the fourth came after the poll gave up
  EXPECT_THAT(f[0].evidence, Contains(7u));
  EXPECT_THAT(f[0].evidence, ::testing::Not(Contains(6u)));  // the retransmission is not why
  EXPECT_THAT(f[0].summary, HasSubstr("stopped reading"));
}

// A blocking send() that the peer's window holds until netcorr stops tracing.
TEST_P(ZeroWindowStory, BlockingSendStillBlockedWhenTracingStops) {
  ServerStopsReading();
  SyscallEvent send = OnTcp(11, "send", kT0 + 19 * kMs, kT0 + 3400 * kMs, 0, 0);
  send.finished = false;
  corr.AddSyscall(send);
  const std::vector<Finding> f = All();
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_EQ(f[0].kind, FindingKind::kZeroWindow);
  EXPECT_EQ(f[0].severity, FindingSeverity::kFailure);
  EXPECT_FALSE(f[0].call.finished);
  EXPECT_EQ(f[0].outcome_error, 0);
  EXPECT_EQ(f[0].zero_window->probes, 4u);
  EXPECT_THAT(f[0].summary, HasSubstr("was still blocked after 3.38 s"));
}

// The reader caught up: the send returned 250 ms after the window reopened, quickly enough
// that nothing was slow, and a run that succeeded shows no failure.
TEST_P(ZeroWindowStory, BriefZeroWindowOfASuccessfulRunIsNoFailure) {
  Handshake(1, kT0);
  corr.AddSyscall(Connect(10, kT0, kT0 + 2 * kMs, 0, c, s));
  corr.AddPacket(TcpPacket(4, kT0 + 20 * kMs, c, s, kTcpAck, 101, 901, 2896));
  corr.AddPacket(WindowPacket(5, kT0 + 21 * kMs, s, c, 901, 2997, 0));
  corr.AddPacket(WindowPacket(6, kT0 + 60 * kMs, s, c, 901, 2997, 64));
  corr.AddPacket(TcpPacket(7, kT0 + 61 * kMs, c, s, kTcpAck, 2997, 901, 1000));
  corr.AddSyscall(OnTcp(11, "write", kT0 + 19 * kMs, kT0 + 61 * kMs, 0, 3896));
  corr.AddSyscall(OnTcp(12, "close", kT0 + 70 * kMs, kT0 + 70 * kMs, 0, 0));
  EXPECT_THAT(All(), IsEmpty());
}

INSTANTIATE_TEST_SUITE_P(V4AndV6, ZeroWindowStory, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "IPv6" : "IPv4"; });

}  // namespace
}  // namespace netcorr::correlate
