#include "correlate/zero_window_rules.h"

#include <cerrno>
#include <optional>

#include "correlate/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace netcorr::correlate {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::Call;
using testing::kMs;
using testing::kSec;
using testing::kT0;
using testing::TcpPacket;
using testing::WindowPacket;

// c -> s, our ISN 100, theirs 900. The server takes 8000 bytes, then stops reading: from 4 ms
// its window is zero, and the client's kernel probes it (SEG.SEQ = SND.UNA - 1 = 8100) with the
// RTO back-off, each probe answered by the zero window again.
class ZeroWindowRuleTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    testing::AddEstablished(table, c, s, 8000);
    table.Add(WindowPacket(5, kT0 + 4 * kMs, s, c, 901, 8101, 0));
  }
  // Probes at +200 ms, +600 ms, +1.4 s, +3 s (ids 6, 8, 10, 12), each answered (7, 9, 11, 13).
  void Probes() {
    uint64_t id = 6;
    for (TimeNs at : {200 * kMs, 600 * kMs, 1400 * kMs, 3000 * kMs}) {
      table.Add(TcpPacket(id++, kT0 + at, c, s, kTcpAck, 8100, 901));
      table.Add(WindowPacket(id++, kT0 + at + kMs, s, c, 901, 8101, 0));
    }
  }
  const TcpConnection& Conn() const { return table.Find(NormalizedFlowKey::From(flow))->tcp[0]; }
  std::optional<Finding> Decide(const SyscallEvent& call) {
    return DecideZeroWindow(call, flow, Conn(), ctx.get());
  }
  SyscallEvent StillBlocked(std::string_view name, TimeNs entry, TimeNs stop) {
    SyscallEvent e = Call(20, name, 3, entry, stop);
    e.finished = false;
    return e;
  }

  testing::World w = testing::World::Make(GetParam());
  Endpoint c = w.Client(40000);
  Endpoint s = w.Server(7010);
  FlowKey flow{Transport::kTcp, c, s};
  FlowTable table;
  testing::TestContext ctx;
};

TEST_P(ZeroWindowRuleTest, SendStillBlockedWhenTracingStopped) {
  Probes();
  std::optional<Finding> f = Decide(StillBlocked("write", kT0 + 3 * kMs, kT0 + 3100 * kMs));
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->kind, FindingKind::kZeroWindow);
  EXPECT_EQ(f->severity, FindingSeverity::kFailure);
  EXPECT_EQ(f->outcome_error, 0);  // netcorr stopped it: no errno the program ever got
  EXPECT_THAT(f->evidence, ElementsAre(5, 6, 7, 8, 9, 10, 11, 12, 13));
  ASSERT_TRUE(f->zero_window.has_value());
  EXPECT_EQ(f->zero_window->first_ns, kT0 + 4 * kMs);
  EXPECT_EQ(f->zero_window->last_ns, kT0 + 3001 * kMs);
  EXPECT_EQ(f->zero_window->zero_window_acks, 5u);
  EXPECT_EQ(f->zero_window->probes, 4u);
  EXPECT_FALSE(f->zero_window->reopened);
  EXPECT_EQ(f->zero_window->bytes_in_flight, 0u);  // all acknowledged; the rest is unsent
  EXPECT_THAT(f->summary, HasSubstr("write() on TCP "));
  EXPECT_THAT(f->summary, HasSubstr("was still blocked after 3.10 s"));
  EXPECT_THAT(f->summary, HasSubstr(s.ToString() + " stopped reading: its receive window has "
                                                   "been zero for 3.10 s (4 window probes, the "
                                                   "window stayed zero)"));
  EXPECT_THAT(f->hint, HasSubstr("is not reading its socket"));
}

TEST_P(ZeroWindowRuleTest, PollForPolloutThatTimedOut) {
  Probes();
  const SyscallEvent poll = Call(20, "poll", -1, kT0 + 5 * kMs, kT0 + 3005 * kMs, 0, 0);
  std::optional<Finding> f = Decide(poll);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->severity, FindingSeverity::kFailure);
  EXPECT_THAT(f->summary, HasSubstr("poll() on TCP "));
  EXPECT_THAT(f->summary, HasSubstr("timed out after 3.00 s"));
  EXPECT_EQ(f->zero_window->probes, 4u);
}

TEST_P(ZeroWindowRuleTest, SendThatFailedWithEagainAfterItsSendTimeout) {
  Probes();
  std::optional<Finding> f =
      Decide(Call(20, "sendto", 3, kT0 + 3 * kMs, kT0 + 3003 * kMs, EAGAIN));
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->severity, FindingSeverity::kFailure);
  EXPECT_EQ(f->outcome_error, EAGAIN);
  EXPECT_THAT(f->summary, HasSubstr("failed with EAGAIN after 3.00 s"));
}

// Counts and evidence stop at the call: the probes after it belong to what came next.
TEST_P(ZeroWindowRuleTest, OnlyWhatHappenedUntilTheCallEnded) {
  Probes();
  std::optional<Finding> f = Decide(Call(20, "poll", -1, kT0 + 5 * kMs, kT0 + 1500 * kMs, 0, 0));
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->zero_window->probes, 3u);
  EXPECT_EQ(f->zero_window->zero_window_acks, 4u);
  EXPECT_EQ(f->zero_window->last_ns, kT0 + 1401 * kMs);
  EXPECT_THAT(f->evidence, ElementsAre(5, 6, 7, 8, 9, 10, 11));
}

// A wait on input with nothing of ours held back: the peer's zero window is not why it waited.
TEST_P(ZeroWindowRuleTest, WaitWithNothingWaitingForTheWindowIsNotExplained) {
  EXPECT_FALSE(Decide(Call(20, "poll", -1, kT0 + 5 * kMs, kT0 + 150 * kMs, 0, 0)).has_value());
}

TEST_P(ZeroWindowRuleTest, SendThatWaitedForTheWindowToReopenIsSlow) {
  Probes();
  table.Add(WindowPacket(14, kT0 + 3200 * kMs, s, c, 901, 8101, 64));
  table.Add(TcpPacket(15, kT0 + 3201 * kMs, c, s, kTcpAck, 8101, 901, 1448));
  std::optional<Finding> f = Decide(Call(20, "write", 3, kT0 + 3 * kMs, kT0 + 3201 * kMs, 0, 9448));
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->severity, FindingSeverity::kSlow);
  EXPECT_TRUE(f->zero_window->reopened);
  EXPECT_EQ(f->zero_window->bytes_in_flight, 1448u);
  EXPECT_THAT(f->evidence, ElementsAre(5, 6, 7, 8, 9, 10, 11, 12, 13, 14));
  EXPECT_THAT(f->summary, HasSubstr("took 3.20 s: the receive window of " + s.ToString() +
                                    " was zero for 3.20 s before it opened again (4 window "
                                    "probes)"));
  EXPECT_THAT(f->hint, HasSubstr("reads more slowly"));
}

// A blocking send cut short by a signal (or SO_SNDTIMEO) returns what it had taken: it
// returned, late, while the window was still zero.
TEST_P(ZeroWindowRuleTest, SendThatReturnedPartOfItsDataWhileTheWindowWasZeroIsSlow) {
  Probes();
  std::optional<Finding> f =
      Decide(Call(20, "sendto", 3, kT0 + 3 * kMs, kT0 + 2930 * kMs, 0, 69504));
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->severity, FindingSeverity::kSlow);
  EXPECT_FALSE(f->zero_window->reopened);
  EXPECT_EQ(f->zero_window->probes, 3u);
  EXPECT_THAT(f->summary, HasSubstr("took 2.93 s: the receive window of " + s.ToString() +
                                    " was zero for 2.93 s and had not opened again when it "
                                    "returned (3 window probes)"));
}

TEST_P(ZeroWindowRuleTest, ShortStallOfASuccessfulSendIsNoFinding) {
  table.Add(WindowPacket(6, kT0 + 50 * kMs, s, c, 901, 8101, 64));
  EXPECT_FALSE(Decide(Call(20, "write", 3, kT0 + 3 * kMs, kT0 + 51 * kMs, 0, 100)).has_value());
  // Slow for another reason: the window was zero for only 46 ms of it.
  EXPECT_FALSE(Decide(Call(21, "write", 3, kT0 + 3 * kMs, kT0 + 900 * kMs, 0, 100)).has_value());
}

// The window had opened before the send gave up: something else held it back.
TEST_P(ZeroWindowRuleTest, WindowOpenAtTheEndIsNotTheCause) {
  Probes();
  table.Add(WindowPacket(14, kT0 + 3200 * kMs, s, c, 901, 8101, 64));
  EXPECT_FALSE(Decide(StillBlocked("write", kT0 + 3 * kMs, kT0 + 5000 * kMs)).has_value());
}

// Neither receives nor successful quick sends are about the window.
TEST_P(ZeroWindowRuleTest, OtherCallsAreNotAboutTheWindow) {
  Probes();
  EXPECT_FALSE(Decide(StillBlocked("read", kT0 + 3 * kMs, kT0 + 3100 * kMs)).has_value());
  EXPECT_FALSE(Decide(Call(20, "write", 3, kT0 + 3 * kMs, kT0 + 4 * kMs, 0, 8000)).has_value());
  EXPECT_FALSE(Decide(Call(21, "poll", -1, kT0 + 5 * kMs, kT0 + 6 * kMs, 0, 1)).has_value());
}

INSTANTIATE_TEST_SUITE_P(V4AndV6, ZeroWindowRuleTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "IPv6" : "IPv4"; });

}  // namespace
}  // namespace netcorr::correlate
