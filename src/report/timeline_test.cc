// Which events the default timeline keeps around a finding, and how calls are split around the
// packets they caused.

#include "src/report/timeline.h"

#include <cerrno>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "src/report/testing/report_test_util.h"

namespace netcorr::report {
namespace {

using namespace testing;  // NOLINT: the test builders
using Kind = TimelineRow::Kind;

// "C<id>" / "E<id>" (entry) / "X<id>" (exit) / "P<id>" / "...<calls>,<packets>" per row.
// StrCat, not "C" + std::to_string(...): GCC 12 at -O3 raises a false -Wrestrict on the latter.
std::vector<std::string> Shape(const std::vector<TimelineRow>& rows) {
  std::vector<std::string> out;
  for (const TimelineRow& r : rows) {
    switch (r.kind) {
      case Kind::kCall:
        out.push_back(absl::StrCat("C", r.call->id));
        break;
      case Kind::kCallEntry:
        out.push_back(absl::StrCat("E", r.call->id));
        break;
      case Kind::kCallExit:
        out.push_back(absl::StrCat("X", r.call->id));
        break;
      case Kind::kPacket:
        out.push_back(absl::StrCat("P", r.packet->id));
        break;
      case Kind::kOmitted:
        out.push_back(absl::StrCat("...", r.omitted_calls, ",", r.omitted_packets));
        break;
    }
  }
  return out;
}

struct World {
  std::vector<SyscallEvent> calls;
  std::vector<Packet> packets;
  std::vector<Finding> findings;
  ReportInput Input() const {
    ReportInput in;
    in.calls = calls;
    in.packets = packets;
    in.findings = findings;
    return in;
  }
};

const FlowKey kFlow = TcpFlow("10.71.1.2", 40000, "10.71.2.2", 7003);
const FlowKey kOther = TcpFlow("10.71.1.2", 40001, "10.71.2.2", 8080);

// connect(3) to kFlow from +0 to +1 s: SYN, ICMP quoting it (not cited), SYN again, ICMP
// (cited); meanwhile fd 5 talks on another flow and a getsockopt on fd 3 happens inside.
World MakeWorld() {
  World w;
  SyscallEvent connect = Call(1, "connect", 3, kT0, kT0 + 1 * kSec, EHOSTUNREACH);
  connect.socket = SocketOf(kFlow);
  SyscallEvent other = Call(2, "write", 5, kT0 + 100 * kMs, kT0 + 100 * kMs + 10 * kUs, 0, 10);
  other.socket = SocketOf(kOther);
  SyscallEvent same_fd = Call(3, "getsockopt", 3, kT0 + 200 * kMs, kT0 + 200 * kMs + 5 * kUs);
  SyscallEvent later = Call(4, "close", 3, kT0 + 2 * kSec, kT0 + 2 * kSec + 5 * kUs);
  w.calls = {connect, other, same_fd, later};
  w.packets = {
      Tcp(1, kT0 + 1 * kMs, kFlow.local, kFlow.remote, kTcpSyn, 10),
      Icmp(2, kT0 + 2 * kMs, "10.71.1.1", "10.71.1.2", 3, 1, kFlow),
      Tcp(3, kT0 + 100 * kMs + 5 * kUs, kOther.local, kOther.remote, kTcpPsh | kTcpAck, 1, 1, 10),
      Tcp(4, kT0 + 150 * kMs, kOther.remote, kOther.local, kTcpAck, 1, 11),
      Tcp(5, kT0 + 990 * kMs, kFlow.local, kFlow.remote, kTcpSyn, 10),
      Icmp(6, kT0 + 999 * kMs, "10.71.1.1", "10.71.1.2", 3, 1, kFlow),
  };
  w.findings = {MakeFinding(FindingKind::kIcmpUnreachable, connect, {5, 6}, "s", "h")};
  return w;
}

TEST(TimelineTest, DefaultKeepsTheFlowAndTheSocketWithinTheWindow) {
  const World w = MakeWorld();
  const std::vector<TimelineRow> rows = BuildTimeline(w.Input(), false);
  // The ICMP #2 quoting the flow is kept though not cited; fd 5's write and packets go; the
  // getsockopt on fd 3 inside the window stays; the close after the window goes.
  EXPECT_EQ(Shape(rows), (std::vector<std::string>{"E1", "P1", "P2", "...1,2", "C3", "P5", "P6",
                                                   "X1", "...1,0"}));
  EXPECT_EQ(rows[0].findings, std::vector<int>{});   // the entry row carries no tag
  EXPECT_EQ(rows[7].findings, std::vector<int>{1});  // the outcome row does
  EXPECT_EQ(rows[2].findings, std::vector<int>{});   // uncited ICMP
  EXPECT_EQ(rows[6].findings, std::vector<int>{1});  // cited ICMP
}

TEST(TimelineTest, AllKeepsEverythingAndSplitsEveryInterruptedCall) {
  const World w = MakeWorld();
  EXPECT_EQ(Shape(BuildTimeline(w.Input(), true)),
            (std::vector<std::string>{"E1", "P1", "P2", "E2", "P3", "X2", "P4", "C3", "P5", "P6",
                                      "X1", "C4"}));
}

TEST(TimelineTest, UnknownLocalPortStillMatchesTheFlow) {
  World w = MakeWorld();
  FlowKey partial = kFlow;
  partial.local.port = 0;  // connect failed before the kernel reported the source port
  w.findings[0].flow = partial;
  w.findings[0].evidence = {};
  w.calls[0].socket.reset();
  w.findings[0].call.socket.reset();
  const std::vector<TimelineRow> rows = BuildTimeline(w.Input(), false);
  EXPECT_EQ(Shape(rows), (std::vector<std::string>{"E1", "P1", "P2", "...1,2", "C3", "P5", "P6",
                                                   "X1", "...1,0"}));
}

TEST(TimelineTest, TwoFindingsOnOneCallTagItTwice) {
  World w = MakeWorld();
  w.findings.push_back(
      MakeFinding(FindingKind::kRetransmissions, w.calls[0], {1, 5}, "slow", "loss"));
  const std::vector<TimelineRow> rows = BuildTimeline(w.Input(), false);
  EXPECT_EQ(rows[7].kind, Kind::kCallExit);
  EXPECT_EQ(rows[7].findings, (std::vector<int>{1, 2}));
  EXPECT_EQ(rows[6].findings, std::vector<int>{1});       // #6 cited by [1] only
  EXPECT_EQ(rows[5].findings, (std::vector<int>{1, 2}));  // #5 cited by both
}

TEST(TimelineTest, EvidenceThatIsNotInThePacketListIsIgnored) {
  World w = MakeWorld();
  w.findings[0].evidence = {99};
  EXPECT_FALSE(BuildTimeline(w.Input(), false).empty());
}

TEST(TimelineTest, FirstEventTimeIsTheEarliestCallOrPacket) {
  World w = MakeWorld();
  EXPECT_EQ(FirstEventTime(w.Input()), kT0);
  w.packets[0].ts_ns = kT0 - 5;
  EXPECT_EQ(FirstEventTime(w.Input()), kT0 - 5);
  EXPECT_EQ(FirstEventTime(ReportInput{}), 0);
}

}  // namespace
}  // namespace netcorr::report

namespace netcorr::report {
namespace {

using namespace testing;  // NOLINT: the test builders

TEST(TimelineTest, AResetConnectionIsShownFromItsConnect) {
  const FlowKey flow = TcpFlow("10.71.1.2", 40000, "10.71.2.2", 7004);
  SyscallEvent connect = Call(1, "connect", 3, kT0, kT0 + 300 * kUs);
  connect.socket = SocketOf(flow);
  SyscallEvent unrelated = Call(2, "getpid", -1, kT0 + 400 * kUs, kT0 + 401 * kUs, 0, 1);
  SyscallEvent recv = Call(3, "recvfrom", 3, kT0 + 1 * kMs, kT0 + 2 * kMs, ECONNRESET);
  recv.socket = SocketOf(flow);
  const std::vector<SyscallEvent> calls = {connect, unrelated, recv};
  const std::vector<Packet> packets = {
      Tcp(1, kT0 + 100 * kUs, flow.local, flow.remote, kTcpSyn, 1),
      Tcp(2, kT0 + 200 * kUs, flow.remote, flow.local, kTcpSyn | kTcpAck, 9, 2),
      Tcp(3, kT0 + 1500 * kUs, flow.remote, flow.local, kTcpRst, 10)};
  const std::vector<Finding> findings = {
      MakeFinding(FindingKind::kResetByPeer, recv, {3}, "reset", "hint")};
  ReportInput in;
  in.calls = calls;
  in.packets = packets;
  in.findings = findings;
  EXPECT_EQ(Shape(BuildTimeline(in, false)),
            (std::vector<std::string>{"E1", "P1", "P2", "X1", "...1,0", "E3", "P3", "X3"}));
}

TEST(TimelineTest, ALongConnectionHistoryIsNotDraggedIn) {
  const FlowKey flow = TcpFlow("10.71.1.2", 40000, "10.71.2.2", 7004);
  std::vector<SyscallEvent> calls;
  std::vector<Packet> packets;
  SyscallEvent connect = Call(1, "connect", 3, kT0, kT0 + 300 * kUs);
  connect.socket = SocketOf(flow);
  calls.push_back(connect);
  for (uint64_t i = 0; i < 50; ++i) {
    packets.push_back(Tcp(i + 1, kT0 + static_cast<TimeNs>(i + 1) * kMs, flow.local, flow.remote,
                          kTcpAck, 1, 1, 10));
  }
  SyscallEvent recv = Call(2, "recvfrom", 3, kT0 + 100 * kMs, kT0 + 101 * kMs, ECONNRESET);
  recv.socket = SocketOf(flow);
  calls.push_back(recv);
  packets.push_back(Tcp(51, kT0 + 100 * kMs + 500 * kUs, flow.remote, flow.local, kTcpRst, 10));
  const std::vector<Finding> findings = {
      MakeFinding(FindingKind::kResetByPeer, recv, {51}, "reset", "hint")};
  ReportInput in;
  in.calls = calls;
  in.packets = packets;
  in.findings = findings;
  EXPECT_EQ(Shape(BuildTimeline(in, false)),
            (std::vector<std::string>{"...1,50", "E2", "P51", "X2"}));
}

}  // namespace
}  // namespace netcorr::report
