// The --all timeline streamed from a spill reads exactly as the one built in memory from the
// same events, however they arrived and however many sorted runs they were written in.

#include "src/report/timeline_spill.h"

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "src/report/report.h"
#include "src/report/spilled_rows.h"
#include "src/report/testing/report_test_util.h"
#include "src/report/timeline.h"
#include "src/report/timeline_cells.h"

namespace netcorr::report {
namespace {

using namespace testing;  // NOLINT: the test builders
using Kind = TimelineRow::Kind;

std::string TmpDir() {
  const char* dir = std::getenv("TMPDIR");
  return dir != nullptr && *dir != '\0' ? dir : "/tmp";
}

// What a reader sees of a row: its kind, time, mark and text.
std::string Describe(Kind kind, TimeNs t, const Cell& cell) {
  return absl::StrCat(static_cast<int>(kind), " ", t - kT0, " ", cell.mark, " ", cell.text);
}

std::vector<std::string> BuiltRows(const ReportInput& in) {
  std::vector<std::string> out;
  for (const TimelineRow& r : BuildTimeline(in, /*all=*/true)) {
    out.push_back(Describe(r.kind, r.time_ns, RowCell(r)));
  }
  return out;
}

std::vector<std::string> StreamedRows(const SpilledTimeline& spill,
                                      absl::Span<const Finding> findings) {
  std::vector<std::string> out;
  const absl::Status read = ForEachSpilledRow(spill, findings, [&](const SpilledRow& r) {
    out.push_back(Describe(r.kind, r.time_ns, r.cell()));
  });
  EXPECT_TRUE(read.ok()) << read;
  return out;
}

const FlowKey kFlow = TcpFlow("10.71.1.2", 40000, "10.71.2.2", 7003);

// A session with what makes the timeline's order hard: calls that block across many events (one
// across the whole session), calls and packets at the same nanosecond, two calls entering at
// once, a failed call, a call still blocked, a call revealing a connect's error, findings with
// evidence and with a revealing call.
using Scenario = Events;

Scenario MakeScenario() {
  Scenario s;
  uint64_t rng = 12345;
  const auto next = [&](uint64_t n) {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (rng >> 33) % n;
  };
  SyscallEvent whole = Call(1, "poll", -1, kT0, kT0 + 10 * kSec);  // spans everything
  s.calls.push_back(whole);
  uint64_t frame = 1;
  for (uint64_t i = 0; i < 150; ++i) {
    const TimeNs entry = kT0 + static_cast<TimeNs>(i) * 50 * kMs + static_cast<TimeNs>(next(3));
    // Most calls return at once, some block across several later events.
    const TimeNs length = next(4) == 0 ? static_cast<TimeNs>(next(400)) * kMs
                                        : static_cast<TimeNs>(next(20)) * kUs;
    SyscallEvent c = Call(10 + i, i % 3 == 0 ? "connect" : "recvfrom", 3 + static_cast<int>(i % 5),
                          entry, entry + length, i % 7 == 0 ? ECONNREFUSED : 0, 12);
    c.socket = SocketOf(kFlow);
    s.calls.push_back(c);
    // A packet at the call's very nanosecond, and one a little later.
    s.packets.push_back(Tcp(frame++, entry, kFlow.local, kFlow.remote, kTcpSyn, 10));
    s.packets.push_back(Tcp(frame++, entry + static_cast<TimeNs>(next(30)) * kMs, kFlow.remote,
                            kFlow.local, kTcpRst | kTcpAck, 0, 11));
  }
  // Two calls entering at the same nanosecond as each other.
  s.calls.push_back(Call(500, "close", 4, kT0 + 1 * kSec, kT0 + 1 * kSec + 2 * kUs));
  s.calls.push_back(Call(501, "close", 5, kT0 + 1 * kSec, kT0 + 1 * kSec + 1 * kUs));
  SyscallEvent blocked = Call(502, "connect", 6, kT0 + 3 * kSec, kT0 + 9 * kSec);
  blocked.finished = false;
  s.calls.push_back(blocked);
  SyscallEvent nb = Call(503, "connect", 7, kT0 + 2 * kSec, kT0 + 2 * kSec + 5 * kUs, EINPROGRESS);
  SyscallEvent revealing = Call(504, "getsockopt", 7, kT0 + 2 * kSec + 100 * kMs,
                                kT0 + 2 * kSec + 100 * kMs + 3 * kUs);
  revealing.resolves_call = nb.id;
  revealing.resolved_error = ECONNREFUSED;
  s.calls.push_back(nb);
  s.calls.push_back(revealing);

  Finding refused = MakeFinding(FindingKind::kRefusedByRst, s.calls[1], {1, 2}, "refused", "h");
  Finding later = MakeFinding(FindingKind::kRefusedByRst, nb, {}, "refused later", "h");
  later.resolved_by = revealing;
  Finding stuck = MakeFinding(FindingKind::kSynUnanswered, blocked, {7}, "blocked", "h");
  // Two findings cite frame 2: its tag lists both.
  Finding also = MakeFinding(FindingKind::kRetransmissions, s.calls[20], {2, 40}, "slow", "h");
  s.findings = {refused, later, stuck, also};
  return s;
}

// Adds the events as a live session hands them over: a call when it returns (keyed by its
// entry, possibly long before), a packet when the capture delivers it, up to 150 ms late.
void SpillAsArrived(const Scenario& s, TimelineSpill& spill) {
  struct Arrival {
    TimeNs at;
    const SyscallEvent* call;
    const Packet* packet;
  };
  std::vector<Arrival> arrivals;
  for (const SyscallEvent& c : s.calls) arrivals.push_back({c.exit_ns, &c, nullptr});
  uint64_t n = 0;
  for (const Packet& p : s.packets) {
    arrivals.push_back({p.ts_ns + static_cast<TimeNs>((n++ * 37) % 150) * kMs, nullptr, &p});
  }
  std::stable_sort(arrivals.begin(), arrivals.end(),
                   [](const Arrival& a, const Arrival& b) { return a.at < b.at; });
  for (const Arrival& a : arrivals) {
    if (a.call != nullptr) {
      spill.AddCall(*a.call);
    } else {
      spill.AddPacket(*a.packet);
    }
  }
}

TEST(TimelineSpillTest, StreamedRowsAreTheTimelineBuiltInMemory) {
  const Scenario s = MakeScenario();
  const std::vector<std::string> built = BuiltRows(s.Input());
  // One event per run, a few per run, everything in one run.
  for (const size_t run_bytes : {size_t{1}, size_t{2000}, size_t{1} << 24}) {
    auto spill = TimelineSpill::Create(TmpDir(), run_bytes);
    ASSERT_TRUE(spill.ok()) << spill.status();
    SpillAsArrived(s, **spill);
    const SpilledTimeline sealed = (*spill)->Seal();
    EXPECT_TRUE(sealed.error.ok()) << sealed.error;
    EXPECT_EQ(sealed.calls, s.calls.size());
    EXPECT_EQ(sealed.packets, s.packets.size());
    if (run_bytes == 1) {
      EXPECT_EQ(sealed.runs.size(), s.calls.size() + s.packets.size());
    } else if (run_bytes == 2000) {
      EXPECT_GT(sealed.runs.size(), 20u);
    }
    EXPECT_EQ(StreamedRows(sealed, s.findings), built) << "run_bytes " << run_bytes;
  }
}

TEST(TimelineSpillTest, TheRowsShowSplitCallsTagsAndMarks) {
  const Scenario s = MakeScenario();
  auto spill = TimelineSpill::Create(TmpDir(), 3000);
  ASSERT_TRUE(spill.ok()) << spill.status();
  SpillAsArrived(s, **spill);
  const std::vector<std::string> rows = StreamedRows((*spill)->Seal(), s.findings);
  const std::string all = absl::StrJoin(rows, "\n");
  // The poll across the whole session is split; its exit is the last row but the blocked call.
  EXPECT_EQ(rows.front(), absl::StrCat(static_cast<int>(Kind::kCallEntry),
                                       " 0    [4242] poll() <unfinished ...>"))
      << all;
  EXPECT_TRUE(absl::StrContains(all, "[4242] <... poll resumed> = 0")) << all;
  EXPECT_TRUE(absl::StrContains(all, "still blocked after 6.0 s> [3]")) << all;
  EXPECT_TRUE(absl::StrContains(all, "<-[1,4] #2 ")) << all;
  EXPECT_TRUE(absl::StrContains(all, "<-[3] #7 ")) << all;
  // The call revealing the connect's error: tagged with the connect's finding, marked failed.
  EXPECT_TRUE(absl::StrContains(
      all, "!! [4242] <... getsockopt resumed> = 0 (3.0 us) [connect outcome: ECONNREFUSED] [2]"))
      << all;
}

TEST(TimelineSpillTest, AFindingsCallThatWasNeverSpilledIsShown) {
  Scenario s = MakeScenario();
  SyscallEvent gone = Call(900, "sendto", 9, kT0 + 4 * kSec + 7, kT0 + 4 * kSec + 9, EPIPE);
  s.findings.push_back(MakeFinding(FindingKind::kResetByPeer, gone, {}, "reset", "h"));
  auto spill = TimelineSpill::Create(TmpDir(), 5000);
  ASSERT_TRUE(spill.ok()) << spill.status();
  SpillAsArrived(s, **spill);  // s.calls does not hold it
  const std::vector<std::string> streamed = StreamedRows((*spill)->Seal(), s.findings);
  EXPECT_EQ(streamed, BuiltRows(s.Input()));
  EXPECT_EQ(std::count_if(streamed.begin(), streamed.end(),
                          [](const std::string& r) { return absl::StrContains(r, "sendto(9"); }),
            1);
}

TEST(TimelineSpillTest, TheTextReportIsTheSameStreamedOrBuilt) {
  const Scenario s = MakeScenario();
  auto spill = TimelineSpill::Create(TmpDir(), 4000);
  ASSERT_TRUE(spill.ok()) << spill.status();
  SpillAsArrived(s, **spill);
  const SpilledTimeline sealed = (*spill)->Seal();
  ReportInput in = s.Input();
  TextOptions options;
  options.width = 120;
  options.all = true;
  const std::string built = RenderText(in, options);
  in.spill = &sealed;
  EXPECT_EQ(RenderText(in, options), built);
  // Without --all the spill is not what the timeline shows.
  options.all = false;
  EXPECT_NE(RenderText(in, options), built);
}

TEST(TimelineSpillTest, AnEmptySpillShowsTheFindingsCalls) {
  const Scenario s = MakeScenario();
  auto spill = TimelineSpill::Create(TmpDir(), 100);
  ASSERT_TRUE(spill.ok()) << spill.status();
  Scenario findings_only;
  findings_only.findings = s.findings;
  EXPECT_EQ(StreamedRows((*spill)->Seal(), s.findings), BuiltRows(findings_only.Input()));
}

TEST(TimelineSpillTest, ATruncatedFileEndsTheTimelineWithAnError) {
  const Scenario s = MakeScenario();
  auto spill = TimelineSpill::Create(TmpDir(), 1 << 20);
  ASSERT_TRUE(spill.ok()) << spill.status();
  SpillAsArrived(s, **spill);
  SpilledTimeline sealed = (*spill)->Seal();
  ASSERT_EQ(sealed.runs.size(), 1u);
  sealed.runs[0].bytes += 10;  // claims more than the file holds
  size_t rows = 0;
  const absl::Status read =
      ForEachSpilledRow(sealed, s.findings, [&](const SpilledRow&) { ++rows; });
  EXPECT_FALSE(read.ok());
  EXPECT_GT(rows, 0u);  // what was read is shown
  ReportInput in = s.Input();
  in.spill = &sealed;
  TextOptions options;
  options.all = true;
  EXPECT_TRUE(absl::StrContains(RenderText(in, options), "this --all timeline stops here"));
}

TEST(TimelineSpillTest, AWriteErrorIsSaidNotHidden) {
  // The file may not grow past 64 KB: a later run's write fails with EFBIG.
  rlimit old{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
  const auto previous = std::signal(SIGXFSZ, SIG_IGN);
  rlimit small = old;
  small.rlim_cur = 64 * 1024;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  const Scenario s = MakeScenario();
  auto spill = TimelineSpill::Create(TmpDir(), 2000);
  ASSERT_TRUE(spill.ok()) << spill.status();
  for (int round = 0; round < 20; ++round) SpillAsArrived(s, **spill);
  const SpilledTimeline sealed = (*spill)->Seal();
  setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, previous);
  EXPECT_FALSE(sealed.error.ok());
  EXPECT_GT(sealed.lost, 0u);
  EXPECT_EQ(sealed.events() + sealed.lost, 20 * (s.calls.size() + s.packets.size()));
  ReportInput in = s.Input();
  in.spill = &sealed;
  TextOptions options;
  options.all = true;
  const std::string text = RenderText(in, options);
  EXPECT_TRUE(absl::StrContains(text, "this --all timeline is incomplete")) << text.substr(0, 3000);
  EXPECT_TRUE(absl::StrContains(text, absl::StrCat(sealed.lost, " events from then on")));
}

}  // namespace
}  // namespace netcorr::report
