// The --html page of real sessions, in a real browser: the faults of the test world met by real
// programs under netcorr (live, and one recorded by strace + tcpdump and read by `netcorr
// analyze`), each page opened in ONE headless Chromium (tests/html/browser_check.js, driven
// over its DevTools pipe, in a network namespace of its own that reaches nothing). For each
// page: every finding is rendered; a real mouse click on it opens its story, whose sequence
// diagram draws each evidence packet as an arrow and highlights exactly those; a click on an
// evidence arrow shows that frame's decoded fields; j moves between findings, the finding filter
// leaves one, a dark system gets a dark page, print shows every story and no controls. The pages
// and their screenshots stay in the build tree (tests/html_report_e2e/) for a person to see.
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/requirements.h"
#include "tests/support/story.h"
#include "tests/support/story_fixture.h"

namespace netcorr::testing {
namespace {

using ::netcorr::report::testing::ParseJson;

// One page and what a person must read on it.
struct PageCase {
  std::string name;
  std::string kind;                 // the finding the page must show
  std::vector<std::string> labels;  // fragments of its diagram's arrow labels
  std::string lane;                 // a lane the diagram must have ("" for none)
  bool compressed_gap = false;      // its diagram compresses a long wait
};

std::set<int64_t> Ids(const JsonValue& array) {
  std::set<int64_t> out;
  for (const JsonValue& v : array.array) out.insert(v.int_value);
  return out;
}

class HtmlReportE2e : public StoryFixture, public ::testing::Test {
 protected:
  void SetUp() override {
    NETCORR_REQUIRE(Root("namespaces, ptrace and capture"), Program("/usr/bin/chromium"),
                    Program("/usr/bin/node"), Program("/usr/bin/unshare"),
                    Program("/usr/bin/strace"), Program("/usr/bin/tcpdump"));
    MakeWorld();
    mkdir(kOutDir, 0755);
  }

  static constexpr const char* kOutDir = NETCORR_HTML_OUT_DIR;
  std::string Out(const std::string& name, const std::string& ext) const {
    return absl::StrCat(kOutDir, "/", name, ".", ext);
  }

  // netcorr live with --html; the page is kept in the build tree.
  void Live(const PageCase& c, const std::vector<std::string>& argv) {
    std::remove(Out(c.name, "html").c_str());
    absl::StatusOr<Told> t = story_->Live(argv, LiveOptions{.flags = {"--html", Out(c.name, "html")}});
    ASSERT_TRUE(t.ok()) << c.name << ": " << t.status();
    ASSERT_THAT(FindingsOfKind(t->report, c.kind), ::testing::SizeIs(::testing::Ge(1u)))
        << c.name << "\n" << t->Describe();
    cases_.push_back(c);
  }

  std::vector<PageCase> cases_;
};

TEST_F(HtmlReportE2e, EachFaultsPageRendersItsFindingsAndHighlightsTheirEvidence) {
  const std::string server = kServerV4;
  ASSERT_TRUE(world_->Fault({"syn-drop-server", "7002"}).ok());
  ASSERT_TRUE(world_->Fault({"reject-router", "host-unreach", "7003"}).ok());
  ASSERT_TRUE(world_->Fault({"reset-server", "7004"}).ok());
  ASSERT_TRUE(world_->Fault({"dns-drop"}).ok());
  ASSERT_TRUE(world_->Fault({"tls-alert", "7443"}).ok());
  const auto tcp_client = [&](const std::string& port, std::vector<std::string> more = {}) {
    std::vector<std::string> argv = {ExamplePath("tcp_client"), "--host", server, "--port", port};
    argv.insert(argv.end(), more.begin(), more.end());
    return argv;
  };
  const auto sessions_start = std::chrono::steady_clock::now();
  Live({"refused", "refused_by_rst", {"SYN", "RST"}, server}, tcp_client("7001"));
  Live({"syn_timeout", "syn_unanswered", {"SYN", "retransmission"}, server, true},
       tcp_client("7002", {"--nonblocking", "--connect-timeout", "1500"}));
  Live({"icmp_from_hop", "icmp_unreachable", {"ICMP host-unreachable"}, kRouterClientSideV4},
       tcp_client("7003"));
  Live({"reset", "reset_by_peer", {"SYN-ACK", "RST", "data"}, server},
       tcp_client("7004", {"--read-timeout", "2000"}));
  Live({"dns_no_answer", "no_response", {"DNS A? example.test"}, server},
       {ExamplePath("dns_query"), "--server", server, "--port", "53", "--name", "example.test",
        "--timeout", "500", "--tries", "2"});
  Live({"tls_alert", "tls_alert", {"TLS ClientHello", "TLS alert fatal"}, server},
       {"/usr/bin/curl", "-sS", "-k", "--max-time", "5", "https://" + server + ":7443/"});
  {
    // Offline: `netcorr analyze --html` of a recorded refused connect.
    const PageCase c{"analyze_refused", "refused_by_rst", {"SYN", "RST"}, server};
    std::remove(Out(c.name, "html").c_str());
    RecordOptions record;
    record.analyze_flags = {"--html", Out(c.name, "html")};
    absl::StatusOr<Told> t = story_->Recorded(tcp_client("7001"), record);
    ASSERT_TRUE(t.ok()) << t.status();
    ASSERT_THAT(FindingsOfKind(t->report, c.kind), ::testing::SizeIs(::testing::Ge(1u)))
        << t->Describe();
    cases_.push_back(c);
  }
  const auto sessions_end = std::chrono::steady_clock::now();

  // One browser for every page.
  std::string config = R"({"chromium": "/usr/bin/chromium", "timeout_ms": 120000, "pages": [)";
  for (size_t i = 0; i < cases_.size(); ++i) {
    absl::StrAppend(&config, i ? ", " : "", R"({"name": ")", cases_[i].name, R"(", "html": ")",
                    Out(cases_[i].name, "html"), R"(", "png": ")", Out(cases_[i].name, "png"),
                    R"("})");
  }
  config += "]}";
  const std::string config_path = dir_.File("browser.json");
  {
    FILE* f = fopen(config_path.c_str(), "w");
    ASSERT_NE(f, nullptr);
    fputs(config.c_str(), f);
    fclose(f);
  }
  auto browser = RunCommand({"/usr/bin/node", NETCORR_BROWSER_CHECK, config_path},
                            absl::Seconds(150));
  const auto browser_end = std::chrono::steady_clock::now();
  ASSERT_TRUE(browser.ok()) << browser.status();
  ASSERT_EQ(browser->exit_code, 0) << browser->out << "\n" << browser->err;
  auto seen = ParseJson(browser->out);
  ASSERT_TRUE(seen.ok()) << seen.status() << "\n" << browser->out;
  std::printf("html e2e: sessions %.1f s, chromium %.1f s for %zu pages\n",
              std::chrono::duration<double>(sessions_end - sessions_start).count(),
              std::chrono::duration<double>(browser_end - sessions_end).count(), cases_.size());

  ASSERT_EQ((*seen)["pages"].size(), cases_.size()) << browser->out;
  for (size_t i = 0; i < cases_.size(); ++i) {
    const PageCase& c = cases_[i];
    const JsonValue& page = (*seen)["pages"][i];
    SCOPED_TRACE(c.name);
    EXPECT_TRUE(page["rendered"].boolean);
    EXPECT_EQ(page["exceptions"].size(), 0u) << browser->out;
    EXPECT_TRUE(absl::StrContains(page["header"].string, "Session: netcorr"));
    EXPECT_TRUE(absl::StrContains(page["header"].string, c.name == "analyze_refused"
                                                             ? ".pcap"
                                                             : ".pcapng"))
        << "the page names the capture its frame numbers refer to: " << page["header"].string;
    struct stat st {};
    EXPECT_EQ(stat(page["screenshot"].string.c_str(), &st), 0) << "screenshot";
    EXPECT_GT(st.st_size, 10000) << "a screenshot of a rendered page";
    ASSERT_GE(page["findings"].size(), 1u);
    bool kind_seen = false;
    for (const JsonValue& f : page["findings"].array) {
      SCOPED_TRACE(absl::StrCat("finding ", f["id"].int_value, " ", f["kind"].string));
      // Rendered, and a click opens its story and selects it.
      EXPECT_TRUE(f["head"].boolean);
      EXPECT_TRUE(f["open"].boolean);
      EXPECT_TRUE(f["selected"].boolean);
      EXPECT_TRUE(f["story_visible"].boolean);
      EXPECT_GE(f["finding_call_boxes"].int_value, 1) << "its call is drawn";
      // Each evidence packet is an arrow of its diagram, marked as evidence, and exactly the
      // evidence is highlighted.
      const std::set<int64_t> evidence = Ids(f["evidence"]);
      const std::set<int64_t> arrows = Ids(f["arrows"]);
      const std::set<int64_t> marked = Ids(f["evidence_arrows"]);
      for (int64_t id : evidence) {
        EXPECT_TRUE(arrows.count(id)) << "evidence frame " << id << " has no arrow";
        EXPECT_TRUE(marked.count(id)) << "evidence frame " << id << " is not marked";
      }
      EXPECT_EQ(Ids(f["highlighted"]), evidence);
      if (!evidence.empty()) {
        EXPECT_TRUE(absl::StrContains(f["details"].string,
                                      absl::StrCat("Frame ", *evidence.begin())))
            << "clicking an evidence arrow shows its frame: " << f["details"].string;
      }
      if (f["kind"].string != c.kind) continue;
      kind_seen = true;
      const std::string labels = absl::StrJoin(
          f["labels"].array, " | ", [](std::string* out, const JsonValue& v) { out->append(v.string); });
      for (const std::string& want : c.labels) {
        EXPECT_TRUE(absl::StrContains(labels, want)) << want << " in: " << labels;
      }
      EXPECT_TRUE(absl::StrContains(labels, "\u2605[")) << "evidence is starred: " << labels;
      bool lane = c.lane.empty();
      for (const JsonValue& l : f["lanes"].array) lane |= l.string == c.lane;
      EXPECT_TRUE(lane) << "no lane for " << c.lane;
      if (c.compressed_gap) {
        EXPECT_GE(f["gaps"].size(), 1u) << "the 1 s wait is compressed";
      }
    }
    EXPECT_TRUE(kind_seen) << c.kind;
    // Keyboard, filters, light and dark, print.
    const size_t n = page["findings"].size();
    EXPECT_EQ(page["focus_after_j"].string, absl::StrCat("finding-head-", n >= 2 ? 2 : 1));
    ASSERT_EQ(page["visible_with_finding_filter"].size(), 1u);
    EXPECT_EQ(page["visible_with_finding_filter"][0].int_value, static_cast<int64_t>(n));
    EXPECT_NE(page["dark_background"].string, page["light_background"].string);
    EXPECT_EQ(page["stories_shown_in_print"].int_value, static_cast<int64_t>(n));
    EXPECT_FALSE(page["controls_shown_in_print"].boolean);
    EXPECT_GE(page["first_flow_arrows"].int_value, 1) << "a flow opens to its diagram";
    EXPECT_EQ(page["first_flow_arrows"].int_value, page["first_flow_packets"].int_value);
    EXPECT_TRUE(page["findings"][0]["closed_by_second_click"].boolean);
  }
}

}  // namespace
}  // namespace netcorr::testing
