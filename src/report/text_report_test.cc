#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "src/report/report.h"
#include "src/report/testing/report_test_util.h"

namespace netcorr::report {
namespace {

using namespace testing;  // NOLINT: the test builders

constexpr FindingKind kAllKinds[] = {
    FindingKind::kRefusedByRst,         FindingKind::kSynUnanswered, FindingKind::kIcmpUnreachable,
    FindingKind::kNoPacketSent,         FindingKind::kResetByPeer,   FindingKind::kClosedByPeer,
    FindingKind::kNoResponse,           FindingKind::kDnsError,      FindingKind::kTlsAlert,
    FindingKind::kRetransmissions,      FindingKind::kPmtuBlackhole, FindingKind::kUnexplained,
    FindingKind::kNeighbourUnreachable,
    FindingKind::kZeroWindow,
};

// The lines of the timeline (between its column header rule and the PROCESSES section).
std::vector<std::string> TimelineLines(const std::string& report) {
  std::vector<std::string> out;
  bool in = false;
  for (const std::string& line : Lines(report)) {
    if (absl::StartsWith(line, "PROCESSES")) break;
    if (in && !line.empty()) out.push_back(line);
    if (absl::StrContains(line, "-+-")) in = true;
  }
  return out;
}

// The line of the timeline showing packet #id.
std::string PacketRow(const std::string& report, uint64_t id) {
  for (const std::string& line : TimelineLines(report)) {
    if (absl::StrContains(line, absl::StrCat("| #", id, " ")) ||
        absl::StrContains(line, absl::StrCat("] #", id, " "))) {
      return line;
    }
  }
  return "";
}

class EveryKindTest : public ::testing::TestWithParam<FindingKind> {};

TEST_P(EveryKindTest, SummaryTimelineAndEvidenceTagsAreRendered) {
  const KindScenario s = ScenarioFor(GetParam());
  const std::string kind(FindingKindName(s.kind));
  const Finding& f = s.findings[0];
  // Wide enough that no packet line wraps: the width tests cover wrapping.
  const std::string text = RenderText(s.Input(), TextOptions{400, false, false});
  SCOPED_TRACE(text);
  EXPECT_TRUE(absl::StrContains(text, absl::StrCat("[1] ", kind, ": ", f.summary)));
  EXPECT_TRUE(absl::StrContains(text, absl::StrCat("    hint: ", f.hint)));
  EXPECT_TRUE(absl::StrContains(text, absl::StrCat("[4242] ", f.call.name, "(3")));
  for (uint64_t id : f.evidence) {
    EXPECT_TRUE(absl::StrContains(PacketRow(text, id), absl::StrCat("| <-[1] #", id, " ")))
        << "frame " << id;
  }
  if (f.evidence.empty()) {
    EXPECT_TRUE(absl::StrContains(text, "evidence: no packet"));
  }
  if (!s.expected_packet_text.empty()) {
    EXPECT_TRUE(absl::StrContains(text, s.expected_packet_text)) << s.expected_packet_text;
  }
  // The call carrying the finding is tagged, and marked when it failed or hung.
  bool tagged = false;
  for (const std::string& line : TimelineLines(text)) {
    if (absl::StrContains(line, " [1]") && !absl::StrContains(line, "<-[1]")) {
      tagged = true;
      EXPECT_TRUE(absl::StrContains(line, f.call.failed() || !f.call.finished ? " !! " : " >> "))
          << line;
    }
  }
  EXPECT_TRUE(tagged);
}

TEST_P(EveryKindTest, LiveLineIsOneLineNamingCallKindAndFrames) {
  const KindScenario s = ScenarioFor(GetParam());
  const Finding& f = s.findings[0];
  const std::string line = RenderLiveLine(f);
  EXPECT_TRUE(absl::StartsWith(line, absl::StrCat("netcorr: [4242] ", f.call.name, "(3"))) << line;
  EXPECT_TRUE(absl::StrContains(
      line, absl::StrCat(" -- ", std::string(FindingKindName(f.kind)), ": ", f.summary)))
      << line;
  EXPECT_EQ(line.find('\n'), std::string::npos);
  if (!f.evidence.empty()) {
    EXPECT_TRUE(absl::StrContains(line, "(frame")) << line;
  }
}

TEST_P(EveryKindTest, EvidenceCommentNamesTheCall) {
  const KindScenario s = ScenarioFor(GetParam());
  const Finding& f = s.findings[0];
  EXPECT_TRUE(absl::StartsWith(EvidenceComment(f),
                               absl::StrCat("netcorr ", std::string(FindingKindName(f.kind)),
                                            ": explains ", f.call.name, "() ")));
}

INSTANTIATE_TEST_SUITE_P(Kinds, EveryKindTest, ::testing::ValuesIn(kAllKinds),
                         [](const ::testing::TestParamInfo<FindingKind>& info) {
                           return std::string(FindingKindName(info.param));
                         });

// A program that used io_uring: the report says, before the timeline, what ptrace missed.
TEST(TextReportTest, IoUringOperationsAreNamedAsNotSeenByPtrace) {
  KindScenario k = ScenarioFor(FindingKind::kRefusedByRst);
  k.calls.push_back(Call(90, "io_uring_setup", -1, kT0 - 2 * kMs, kT0 - kMs, 0, 5));
  k.calls.push_back(Call(91, "io_uring_enter", -1, kT0, kT0 + 3 * kMs, 0, 2));
  const std::string text = StripAnsi(RenderText(k.Input(), TextOptions{}));
  const size_t section = text.find("NOT SEEN BY PTRACE");
  ASSERT_NE(section, std::string::npos) << text;
  EXPECT_LT(section, text.find("SYSCALLS")) << "before the timeline";
  EXPECT_TRUE(absl::StrContains(text, "pid 4242 submitted 2 operations through io_uring"))
      << text;
  // Without io_uring there is no such section.
  EXPECT_FALSE(absl::StrContains(
      RenderText(ScenarioFor(FindingKind::kRefusedByRst).Input(), TextOptions{}),
      "NOT SEEN BY PTRACE"));
}

TEST(LiveLineTest, MatchesTheDocumentedForm) {
  const KindScenario s = ScenarioFor(FindingKind::kRefusedByRst);
  EXPECT_EQ(RenderLiveLine(s.findings[0]),
            "netcorr: [4242] connect(3, 10.71.2.2:81) = ECONNREFUSED after 300.0 us -- "
            "refused_by_rst: 10.71.2.2 answered our SYN with RST (frames 1,2)");
  const KindScenario b = ScenarioFor(FindingKind::kSynUnanswered);
  EXPECT_TRUE(absl::StrContains(RenderLiveLine(b.findings[0]),
                                "connect(3, 10.71.2.2:81) still blocked after 21.3 s -- "));
}

TEST(LiveLineTest, NonBlockingConnectShowsTheRevealedOutcome) {
  Finding f = ScenarioFor(FindingKind::kRefusedByRst).findings[0];
  f.call.error = EINPROGRESS;
  f.outcome_error = ECONNREFUSED;
  SyscallEvent g = Call(2, "getsockopt", 3, kT0 + 1 * kMs, kT0 + 1 * kMs + 5 * kUs);
  f.resolved_by = g;
  EXPECT_TRUE(absl::StrContains(RenderLiveLine(f),
                                "connect(3, 10.71.2.2:81) = EINPROGRESS, then ECONNREFUSED after "
                                "1.0 ms"))
      << RenderLiveLine(f);
}

TEST(LiveLineTest, ControlCharactersCannotBreakTheLine) {
  Finding f = ScenarioFor(FindingKind::kRefusedByRst).findings[0];
  f.summary = "evil\n\x1b[2Jsummary";
  const std::string line = RenderLiveLine(f);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_EQ(line.find('\x1b'), std::string::npos);
  EXPECT_TRUE(absl::StrContains(line, "evil\\n\\x1b[2Jsummary"));
}

TEST(EvidenceCommentTest, MatchesTheDocumentedForm) {
  const KindScenario s = ScenarioFor(FindingKind::kRefusedByRst);
  EXPECT_EQ(EvidenceComment(s.findings[0]),
            "netcorr refused_by_rst: explains connect() = ECONNREFUSED by pid 4242 at "
            "12:00:00.123456789");
}

class WidthTest : public ::testing::TestWithParam<std::tuple<int, bool, bool>> {};

// Long and hostile strings everywhere a tracee or a packet can put text.
Session HostileSession() {
  Session s = MakeSession();
  s.calls[1].args = std::string(300, 'x') + " \xc3\xa9\n\t\x1b[31m" + std::string(150, 'y');
  s.findings[0].call = s.calls[1];
  s.findings[0].summary = std::string(500, 's');
  s.findings[1].hint = "hint with a\nnewline and " + std::string(120, 'h') + " words after";
  s.packets[2] = Dns(3, s.packets[2].ts_ns, s.packets[2].src, s.packets[2].dst, 1, false, 0,
                     std::string(255, 'q') + ".example");
  return s;
}

TEST_P(WidthTest, EveryLineFitsAndColumnsStayAligned) {
  const auto [width, color, all] = GetParam();
  const Session s = HostileSession();
  const std::string text = RenderText(s.Input(), TextOptions{width, color, all});
  const size_t limit = static_cast<size_t>(std::max(width, 80));
  if (!color) {
    EXPECT_EQ(text.find('\x1b'), std::string::npos);
  }
  if (color) {
    EXPECT_NE(text.find("\x1b[31m"), std::string::npos);
  }
  const std::string plain = StripAnsi(text);
  for (const std::string& line : Lines(plain)) {
    EXPECT_LE(line.size(), limit) << line;
    for (char c : line) {
      ASSERT_TRUE(c >= 0x20 && c < 0x7f) << "non-printable in: " << line;
    }
  }
  // Every timeline row, first line or continuation, has its separator in the same column.
  std::optional<size_t> column;
  for (const std::string& line : TimelineLines(plain)) {
    if (absl::StrContains(line, " omitted ...")) continue;
    const size_t bar = line.find(" |");
    ASSERT_NE(bar, std::string::npos) << line;
    if (!column) column = bar;
    EXPECT_EQ(bar, *column) << line;
  }
  EXPECT_TRUE(column.has_value());
}

INSTANTIATE_TEST_SUITE_P(Widths, WidthTest,
                         ::testing::Combine(::testing::Values(40, 80, 120, 200), ::testing::Bool(),
                                            ::testing::Bool()));

TEST(TextReportTest, DefaultTimelineShowsOnlyWhatSurroundsFindings) {
  const Session s = MakeSession();
  const std::string text = RenderText(s.Input(), TextOptions{200, false, false});
  SCOPED_TRACE(text);
  // Findings' calls and evidence are there.
  for (uint64_t id : {1, 2, 5, 6, 7, 8, 9}) EXPECT_NE(PacketRow(text, id), "") << id;
  // The unrelated UDP exchange and the later TCP exchange are not.
  for (uint64_t id : {3, 4, 10, 11}) EXPECT_EQ(PacketRow(text, id), "") << id;
  EXPECT_FALSE(absl::StrContains(text, "sendto(5"));
  EXPECT_FALSE(absl::StrContains(text, "write(7"));
  EXPECT_FALSE(absl::StrContains(text, "socket(AF_INET"));
  EXPECT_TRUE(absl::StrContains(text, "... 1 call omitted ..."));
  EXPECT_TRUE(absl::StrContains(text, "... 2 calls, 2 packets omitted ..."));
  EXPECT_TRUE(absl::StrContains(text, "... 1 call, 2 packets omitted ..."));
}

TEST(TextReportTest, AllShowsEveryEventAndOmitsNothing) {
  const Session s = MakeSession();
  const std::string text = RenderText(s.Input(), TextOptions{200, false, true});
  for (uint64_t id = 1; id <= 11; ++id) EXPECT_NE(PacketRow(text, id), "") << id;
  EXPECT_TRUE(absl::StrContains(text, "sendto(5"));
  EXPECT_TRUE(absl::StrContains(text, "write(7"));
  EXPECT_TRUE(absl::StrContains(text, "socket(AF_INET"));
  EXPECT_FALSE(absl::StrContains(text, "omitted"));
}

TEST(TextReportTest, PacketsAppearInsideTheCallThatCausedThem) {
  const Session s = MakeSession();
  const std::vector<std::string> rows =
      TimelineLines(RenderText(s.Input(), TextOptions{200, false, false}));
  const auto find = [&](const std::string& needle) {
    return std::find_if(rows.begin(), rows.end(),
                        [&](const std::string& r) { return absl::StrContains(r, needle); }) -
           rows.begin();
  };
  const auto entry = find("connect(3, 10.71.2.2:81) <unfinished ...>");
  const auto syn = find("| <-[1] #1 ");
  const auto rst = find("| <-[1] #2 ");
  const auto exit = find("<... connect resumed> = -1 ECONNREFUSED (300.0 us) [1]");
  ASSERT_LT(exit, static_cast<long>(rows.size()));
  EXPECT_LT(entry, syn);
  EXPECT_LT(syn, rst);
  EXPECT_LT(rst, exit);
  EXPECT_TRUE(absl::StrContains(rows[exit], " !! "));
  // Relative times: the first event is the zero; the RST came 350 us after it.
  EXPECT_TRUE(absl::StrContains(rows[rst], "+0.000350"));
  // The blocked connect ends the timeline, 21.3 s after it started.
  EXPECT_TRUE(absl::StrContains(rows.back(), "<... connect still blocked after 21.3 s> [3]"))
      << rows.back();
  EXPECT_TRUE(absl::StartsWith(rows.back(), "+21.302000 !! "));
}

TEST(TextReportTest, HeaderSummaryAndProcesses) {
  Session s = MakeSession();
  ReportInput in = s.Input();
  in.capture.kernel_dropped = 4;
  const std::string text = RenderText(in, TextOptions{100, false, false});
  SCOPED_TRACE(text);
  EXPECT_TRUE(absl::StartsWith(
      text, "netcorr 0.1.0: traced `./multi-fail --target 10.71.2.2` (pid 4242)\n"));
  EXPECT_TRUE(absl::StrContains(text, "started 12:00:00.118456789 UTC, ran 22.0 s (interrupted)"));
  EXPECT_TRUE(absl::StrContains(text, "7 calls traced, 2 failed, 1 still blocked"));
  EXPECT_TRUE(absl::StrContains(
      text, "capture on any, snaplen 262144: 11 packets received, 4 dropped by the kernel"));
  EXPECT_TRUE(absl::StrContains(text, "written to /tmp/out.pcapng"));
  EXPECT_TRUE(absl::StrContains(text, "WARNING: the capture lost 4 packets"));
  EXPECT_TRUE(absl::StrContains(text, "SUMMARY: 3 findings, most important first"));
  const size_t one = text.find("[1] refused_by_rst:");
  const size_t two = text.find("[2] icmp_unreachable:");
  const size_t three = text.find("[3] syn_unanswered:");
  EXPECT_LT(one, two);
  EXPECT_LT(two, three);
  EXPECT_NE(three, std::string::npos);
  EXPECT_TRUE(absl::StrContains(
      text, "    flow: TCP 10.71.1.2:40002 -> 10.71.2.2:82; evidence: frames 6, 7"));
  EXPECT_TRUE(absl::StrContains(text, "[4242/4243] connect(6, 10.71.2.2:82)"));
  EXPECT_TRUE(absl::StrContains(text,
                                "PROCESSES\n    [4242] exited with status 7 at +21.000000\n"
                                "    [4300] killed by SIGKILL at +21.000000\n"));
}

TEST(TextReportTest, HeaderNamesTheNamespacesOfAContainedProgram) {
  Session s = MakeSession();
  ReportInput in = s.Input();
  in.session.target_namespace = ContainedNamespace();
  const std::string text = RenderText(in, TextOptions{200, false, false});
  EXPECT_TRUE(absl::StrContains(
      text,
      "namespaces: net:[4026532845] (blue), pid 4242 is pid 1 in its own PID namespace, cgroup "
      "/system.slice/docker-3f2a1b4c5d6e7f.scope; docker container 3f2a1b4c5d6e\n"))
      << text;

  // A program where netcorr is gets no such line: nothing to tell apart.
  in.session.target_namespace = TargetNamespace{};
  EXPECT_FALSE(absl::StrContains(RenderText(in, TextOptions{200, false, false}), "namespaces:"));
  // Only the network namespace differs: it alone is named.
  TargetNamespace netns_only;
  netns_only.netns_inode = 7;
  netns_only.own_netns = false;
  netns_only.cgroup = "/";
  in.session.target_namespace = netns_only;
  EXPECT_TRUE(
      absl::StrContains(RenderText(in, TextOptions{200, false, false}), "\nnamespaces: net:[7]\n"));
}

TEST(TextReportTest, AnalyzeHeaderNamesTheFiles) {
  Session s = MakeSession();
  ReportInput in = s.Input();
  in.session.mode = "analyze";
  in.session.command = {"app.strace", "app.pcap"};
  in.session.pids.clear();
  const std::string text = RenderText(in, TextOptions{100, false, false});
  EXPECT_TRUE(absl::StartsWith(text, "netcorr 0.1.0: analyzed app.strace and app.pcap\n")) << text;
}

TEST(TextReportTest, NoCaptureAndNoFindings) {
  Session s = MakeSession();
  ReportInput in = s.Input();
  in.findings = {};
  in.packets = {};
  in.capture.available = false;
  in.capture.unavailable_reason = "no CAP_NET_RAW";
  in.processes = {};
  const std::string text = RenderText(in, TextOptions{80, false, false});
  EXPECT_TRUE(absl::StrContains(text, "capture: none (no CAP_NET_RAW)")) << text;
  EXPECT_TRUE(
      absl::StrContains(text, "SUMMARY: no failing or hanging socket call found among 7 calls."));
  EXPECT_TRUE(absl::StrContains(text, "... 7 calls omitted ..."));
  EXPECT_TRUE(absl::StrContains(text, "(no exit recorded)"));
  // An empty session still renders.
  const std::string empty = RenderText(ReportInput{}, TextOptions{});
  EXPECT_TRUE(absl::StrContains(empty, "(no calls and no packets recorded)")) << empty;
}

TEST(TextReportTest, FindingWhoseCallIsNotInTheCallListStillShowsIt) {
  const KindScenario s = ScenarioFor(FindingKind::kRefusedByRst);
  ReportInput in = s.Input();
  in.calls = {};
  const std::string text = RenderText(in, TextOptions{120, false, false});
  EXPECT_TRUE(absl::StrContains(text, "<... connect resumed> = -1 ECONNREFUSED")) << text;
}

}  // namespace
}  // namespace netcorr::report

namespace netcorr::report {
namespace {

using namespace testing;  // NOLINT: the test builders

TEST(TextReportTest, NonBlockingConnectShowsTheCallThatRevealedItsOutcome) {
  const FlowKey flow = TcpFlow("10.71.1.2", 40000, "10.71.2.2", 81);
  SyscallEvent connect = Call(1, "connect", 3, kT0, kT0 + 20 * kUs, EINPROGRESS);
  connect.args = "10.71.2.2:81";
  connect.nonblocking = true;
  connect.socket = SocketOf(flow);
  SyscallEvent other = Call(2, "getpid", -1, kT0 + 30 * kUs, kT0 + 31 * kUs, 0, 4242);
  SyscallEvent poll = Call(3, "poll", -1, kT0 + 40 * kUs, kT0 + 500 * kUs, 0, 1);
  poll.waited = {FdSocket{3, SocketOf(flow)}};
  SyscallEvent getsockopt = Call(4, "getsockopt", 3, kT0 + 600 * kUs, kT0 + 605 * kUs, 0, 0);
  getsockopt.args = "SOL_SOCKET, SO_ERROR, [111], [4]";
  getsockopt.resolves_call = 1;
  getsockopt.resolved_error = ECONNREFUSED;
  const std::vector<SyscallEvent> calls = {connect, other, poll, getsockopt};
  const std::vector<Packet> packets = {
      Tcp(1, kT0 + 10 * kUs, flow.local, flow.remote, kTcpSyn, 1),
      Tcp(2, kT0 + 300 * kUs, flow.remote, flow.local, kTcpRst | kTcpAck, 0, 2)};
  Finding f = MakeFinding(FindingKind::kRefusedByRst, connect, {1, 2},
                          "10.71.2.2 answered our SYN with RST", "nothing listens");
  f.outcome_error = ECONNREFUSED;
  f.resolved_by = getsockopt;
  const std::vector<Finding> findings = {f};
  ReportInput in;
  in.calls = calls;
  in.packets = packets;
  in.findings = findings;
  const std::string text = RenderText(in, TextOptions{300, false, false});
  SCOPED_TRACE(text);
  EXPECT_TRUE(absl::StrContains(
      text,
      "    outcome: ECONNREFUSED, revealed by [4242] getsockopt(3, SOL_SOCKET, SO_ERROR, "
      "[111], [4]) = 0 (5.0 us) [connect outcome: ECONNREFUSED] at +0.000600"));
  // The poll on the socket and the getsockopt are in the story; getpid is not.
  EXPECT_TRUE(absl::StrContains(text, "poll([3]) <unfinished ...>"));
  EXPECT_TRUE(absl::StrContains(text,
                                "!! [4242] getsockopt(3, SOL_SOCKET, SO_ERROR, [111], [4]) = 0 "
                                "(5.0 us) [connect outcome: ECONNREFUSED] [1]"));
  EXPECT_FALSE(absl::StrContains(text, "getpid"));
  EXPECT_TRUE(absl::StrContains(text, "... 1 call omitted ..."));
  EXPECT_TRUE(absl::StrContains(RenderLiveLine(f),
                                "connect(3, 10.71.2.2:81) = EINPROGRESS, then ECONNREFUSED after "
                                "605.0 us"));
}

TEST(TextReportTest, UnexplainedFindingSaysWhy) {
  const KindScenario s = ScenarioFor(FindingKind::kUnexplained);
  const std::string text = RenderText(s.Input(), TextOptions{120, false, false});
  EXPECT_TRUE(absl::StrContains(text, "    unexplained because: capture dropped 12 packets"))
      << text;
}

}  // namespace
}  // namespace netcorr::report
