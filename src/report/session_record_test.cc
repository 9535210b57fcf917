#include "src/report/session_record.h"

#include <algorithm>

#include "gtest/gtest.h"
#include "src/report/testing/report_test_util.h"
#include "src/report/timeline.h"

namespace netcorr::report {
namespace {

using testing::Call;
using testing::Ep;
using testing::kMs;
using testing::kSec;
using testing::kT0;
using testing::SocketOf;
using testing::Tcp;
using testing::TcpFlow;

constexpr uint8_t kSyn = kTcpSyn;
constexpr uint8_t kSynAck = kTcpSyn | kTcpAck;
constexpr uint8_t kAck = kTcpAck;
constexpr uint8_t kFinAck = kTcpFin | kTcpAck;
constexpr uint8_t kRstAck = kTcpRst | kTcpAck;

// One short client connection to 10.0.0.2:80 from local port `port`: 5 calls, 8 packets.
struct Churn {
  SessionRecord& record;
  uint64_t call_id = 0;
  uint64_t packet_id = 0;
  TimeNs t = kT0;

  void Connection(uint16_t port) {
    const FlowKey flow = TcpFlow("10.0.0.1", port, "10.0.0.2", 80);
    const Endpoint us = flow.local, them = flow.remote;
    SyscallEvent socket = Call(++call_id, "socket", 3, t, t + 10'000, 0, 3);
    record.AddCall(socket);
    SyscallEvent connect = Call(++call_id, "connect", 3, t + 20'000, t + 200'000);
    connect.socket = SocketOf(flow);
    record.AddPacket(Tcp(++packet_id, t + 30'000, us, them, kSyn, 100));
    record.AddPacket(Tcp(++packet_id, t + 100'000, them, us, kSynAck, 500, 101));
    record.AddPacket(Tcp(++packet_id, t + 110'000, us, them, kAck, 101, 501));
    record.AddCall(connect);
    for (const char* name : {"sendto", "recvfrom"}) {
      SyscallEvent c = Call(++call_id, name, 3, t + 300'000, t + 400'000, 0, 10);
      c.socket = SocketOf(flow);
      record.AddCall(c);
    }
    record.AddPacket(Tcp(++packet_id, t + 310'000, us, them, kAck, 101, 501, 10));
    record.AddPacket(Tcp(++packet_id, t + 350'000, them, us, kAck, 501, 111, 10));
    record.AddPacket(Tcp(++packet_id, t + 500'000, us, them, kFinAck, 111, 511));
    record.AddPacket(Tcp(++packet_id, t + 600'000, them, us, kFinAck, 511, 112));
    record.AddPacket(Tcp(++packet_id, t + 700'000, us, them, kAck, 112, 512));
    SyscallEvent close = Call(++call_id, "close", 3, t + 510'000, t + 520'000);
    record.AddCall(close);
    t += kMs;
  }
};

TEST(SessionRecordTest, AShortSessionKeepsEverything) {
  SessionRecord record;
  Churn churn{record};
  for (uint16_t port = 40000; port < 40010; ++port) churn.Connection(port);
  record.Release(churn.t);
  const SessionRecord::View view = record.Snapshot();
  EXPECT_EQ(view.calls.size(), 50u);
  EXPECT_EQ(view.packets.size(), 80u);
  EXPECT_FALSE(view.totals.let_go());
  ASSERT_EQ(view.totals.by_service.size(), 1u);
  EXPECT_EQ(view.totals.by_service[0].service, Ep("10.0.0.2", 80));
  EXPECT_EQ(view.totals.by_service[0].flows, 10u);
  EXPECT_EQ(view.totals.by_service[0].packets, 80u);
  EXPECT_EQ(view.totals.by_service[0].payload_bytes, 200u);
  EXPECT_FALSE(view.totals.by_service[0].served_by_program);
  EXPECT_EQ(view.totals.calls_by_name.at("connect"), 10u);
  EXPECT_TRUE(std::is_sorted(view.packets.begin(), view.packets.end(),
                             [](const Packet& a, const Packet& b) { return a.id < b.id; }));
}

// What a leak would break: a steady load of short connections keeps memory flat.
TEST(SessionRecordTest, ConnectionChurnStaysBoundedAndIsCounted) {
  SessionRecord record;
  Churn churn{record};
  size_t most_calls = 0, most_packets = 0;
  uint16_t port = 1024;
  for (int i = 0; i < 30'000; ++i) {
    churn.Connection(port);
    port = port == 65535 ? 1024 : port + 1;
    if (i % 100 == 0) {
      record.Release(churn.t);
      most_calls = std::max(most_calls, record.calls_kept());
      most_packets = std::max(most_packets, record.packets_kept());
    }
  }
  // Ended connections linger 2 s of session time: 1 connection per ms, 8 packets each.
  EXPECT_LT(most_packets, 8u * 2'200u);
  EXPECT_LT(most_calls, 5u * 2'200u);
  EXPECT_LT(record.stories_alive(), 2u * 2'200u + 10);
  const SessionRecord::View view = record.Snapshot();
  EXPECT_TRUE(view.totals.let_go());
  EXPECT_EQ(view.totals.calls_seen, 150'000u);
  EXPECT_EQ(view.totals.packets_seen, 240'000u);
  ASSERT_EQ(view.totals.by_service.size(), 1u);
  EXPECT_EQ(view.totals.by_service[0].packets, 240'000u);
  EXPECT_EQ(view.totals.by_service[0].calls, 90'000u);  // connect, sendto, recvfrom
}

TEST(SessionRecordTest, AFindingKeepsItsContextAfterItsFlowIsLetGo) {
  SessionRecord record;
  Churn churn{record};
  for (uint16_t port = 2000; port < 3000; ++port) churn.Connection(port);
  // A refused connect in the middle of the load.
  const FlowKey refused = TcpFlow("10.0.0.1", 5555, "10.0.0.3", 81);
  const TimeNs t = churn.t;
  SyscallEvent connect = Call(900'000, "connect", 7, t, t + 300'000, ECONNREFUSED);
  connect.socket = SocketOf(refused);
  record.AddPacket(Tcp(900'001, t + 10'000, refused.local, refused.remote, kSyn, 1));
  record.AddPacket(Tcp(900'002, t + 200'000, refused.remote, refused.local, kRstAck, 0, 2));
  record.AddCall(connect);
  record.AddCall(Call(900'003, "close", 7, t + 400'000, t + 410'000));
  record.AddFinding(testing::MakeFinding(FindingKind::kRefusedByRst, connect, {900'001, 900'002},
                                         "refused", "start it"));
  churn.t += kMs;
  for (uint16_t port = 3000; port < 12000; ++port) churn.Connection(port);
  record.Release(churn.t + 60 * kSec);

  SessionRecord::View view = record.Snapshot();
  ASSERT_EQ(view.findings.size(), 1u);
  ReportInput input;
  view.Fill(input);
  std::vector<uint64_t> shown_packets, shown_calls;
  for (const TimelineRow& row : BuildTimeline(input, /*all=*/false)) {
    if (row.packet != nullptr) shown_packets.push_back(row.packet->id);
    if (row.call != nullptr) shown_calls.push_back(row.call->id);
  }
  EXPECT_EQ(shown_packets, (std::vector<uint64_t>{900'001, 900'002}));
  EXPECT_NE(std::find(shown_calls.begin(), shown_calls.end(), 900'000u), shown_calls.end());
  // Everything else was let go.
  EXPECT_LT(view.packets.size(), 20u);
}

// A finding is decided after its call's evidence window, by when the program has often closed
// the socket and its fd names the next one: the finding still holds its own socket's story
// (here the connect() the report reaches back to), not the fd's new socket.
TEST(SessionRecordTest, AFindingDecidedAfterItsSocketClosedHoldsThatSocketsCalls) {
  SessionRecord record;
  Churn churn{record};
  const FlowKey flow = TcpFlow("10.0.0.1", 5556, "10.0.0.3", 80);
  const TimeNs t = churn.t;
  SyscallEvent connect = Call(900'000, "connect", 3, t, t + 100'000);
  connect.socket = SocketOf(flow);
  record.AddCall(connect);
  SyscallEvent recv = Call(900'001, "recvfrom", 3, t + 200'000, t + 300'000, ECONNRESET);
  recv.socket = SocketOf(flow);
  record.AddPacket(Tcp(900'002, t + 250'000, flow.remote, flow.local, kRstAck, 9, 9));
  record.AddCall(recv);
  record.AddCall(Call(900'003, "close", 3, t + 400'000, t + 410'000));
  churn.t += kMs;
  churn.Connection(2000);  // fd 3 again: a new socket, a new story
  record.AddFinding(testing::MakeFinding(FindingKind::kResetByPeer, recv, {900'002}, "reset",
                                         "look at the server"));
  for (uint16_t port = 2001; port < 12000; ++port) churn.Connection(port);
  record.Release(churn.t + 60 * kSec);

  const SessionRecord::View view = record.Snapshot();
  std::vector<uint64_t> kept;
  for (const SyscallEvent& c : view.calls) kept.push_back(c.id);
  EXPECT_NE(std::find(kept.begin(), kept.end(), 900'000u), kept.end()) << "its connect()";
  EXPECT_NE(std::find(kept.begin(), kept.end(), 900'003u), kept.end()) << "its close()";
  EXPECT_LT(view.calls.size(), 40u);
}

TEST(SessionRecordTest, ALongFlowKeepsItsStartItsEndAndItsRetransmissions) {
  SessionRecord record;
  const FlowKey flow = TcpFlow("10.0.0.1", 40000, "10.0.0.2", 80);
  uint64_t id = 0;
  TimeNs t = kT0;
  record.AddPacket(Tcp(++id, t, flow.local, flow.remote, kSyn, 0));
  record.AddPacket(Tcp(++id, t + 1, flow.remote, flow.local, kSynAck, 0, 1));
  uint32_t seq = 1;
  uint64_t resent_id = 0;
  for (int i = 0; i < 100'000; ++i) {
    t += 10'000;
    record.AddPacket(Tcp(++id, t, flow.local, flow.remote, kAck, seq, 1, 1000));
    if (i == 5'000) {
      // The same segment again: a retransmission in the middle of the flow.
      record.AddPacket(Tcp(++id, t + 1, flow.local, flow.remote, kAck, seq, 1, 1000));
      resent_id = id;
    }
    seq += 1000;
    if (i % 1000 == 0) record.Release(t);
  }
  const SessionRecord::View view = record.Snapshot();
  EXPECT_LE(view.packets.size(), 16u + 48u + 32u);
  EXPECT_EQ(view.packets.front().id, 1u);  // the SYN
  EXPECT_EQ(view.packets.back().id, id);
  EXPECT_TRUE(std::any_of(view.packets.begin(), view.packets.end(),
                          [&](const Packet& p) { return p.id == resent_id; }));
}

TEST(SessionRecordTest, AServerIsNamedAsTheServiceItServes) {
  SessionRecord record;
  const FlowKey accepted = TcpFlow("10.0.0.2", 8080, "10.0.0.9", 50000);
  SyscallEvent accept = Call(1, "accept4", 3, kT0, kT0 + 1000, 0, 4);
  accept.socket = SocketOf(accepted);
  record.AddPacket(Tcp(1, kT0 - 100, accepted.remote, accepted.local, kSyn, 7));
  record.AddCall(accept);
  const SessionRecord::View view = record.Snapshot();
  ASSERT_EQ(view.totals.by_service.size(), 1u);
  EXPECT_EQ(view.totals.by_service[0].service, Ep("10.0.0.2", 8080));
  EXPECT_TRUE(view.totals.by_service[0].served_by_program);
}

TEST(SessionRecordTest, InformationalFindingsBeyondTheBudgetAreCountedNotKept) {
  RecordLimits limits;
  limits.info_findings_per_kind = 2;
  SessionRecord record(limits);
  for (uint64_t i = 1; i <= 5; ++i) {
    Finding info = testing::MakeFinding(FindingKind::kClosedByPeer,
                                        Call(i, "recvfrom", 3, kT0, kT0 + 1), {}, "closed", "");
    info.severity = FindingSeverity::kInfo;
    EXPECT_EQ(record.Keeps(info), i <= 2);
    record.AddFinding(info);
  }
  Finding failure = testing::MakeFinding(FindingKind::kClosedByPeer,
                                         Call(9, "sendto", 3, kT0, kT0 + 1, EPIPE), {}, "", "");
  failure.severity = FindingSeverity::kFailure;
  EXPECT_TRUE(record.Keeps(failure));
  record.AddFinding(failure);
  const SessionRecord::View view = record.Snapshot();
  EXPECT_EQ(view.findings.size(), 3u);
  EXPECT_EQ(view.totals.findings_let_go.at("closed_by_peer"), 3u);
  EXPECT_TRUE(view.totals.let_go());
}

TEST(SessionRecordTest, ProcessEventsKeepTheFirstAndTheLatest) {
  RecordLimits limits;
  limits.process_events = 3;
  SessionRecord record(limits);
  for (int i = 1; i <= 100; ++i) {
    ProcessEvent e;
    e.pid = i;
    record.AddProcess(e);
  }
  std::vector<int32_t> pids;
  for (const ProcessEvent& e : record.Snapshot().processes) pids.push_back(e.pid);
  EXPECT_EQ(pids, (std::vector<int32_t>{1, 2, 3, 98, 99, 100}));
}

}  // namespace
}  // namespace netcorr::report
