// The --html page's C++ side: one self-contained file that fetches nothing, whose embedded JSON
// cannot be broken out of by what a tracee or a packet put in a string, and that holds every
// finding's evidence (the browser side is tested in tests/html_report_e2e_test.cc).
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "src/report/report.h"
#include "src/report/testing/json_test_parser.h"
#include "src/report/testing/report_test_util.h"
#include "src/report/timeline.h"

namespace netcorr::report {
namespace {

using namespace testing;  // NOLINT: the test builders

// The text of the <script type="application/json" id=ID> block, with the page's one escape
// (\u003c for '<') left as it is: ParseJson resolves it like any JSON parser.
std::string JsonBlock(const std::string& page, std::string_view id) {
  const std::string open = absl::StrCat("<script type=\"application/json\" id=\"", std::string(id), "\">");
  const size_t begin = page.find(open);
  if (begin == std::string::npos) return "";
  const size_t from = begin + open.size();
  const size_t end = page.find("</script>", from);
  return end == std::string::npos ? "" : page.substr(from, end - from);
}

JsonValue Block(const std::string& page, std::string_view id) {
  auto parsed = ParseJson(JsonBlock(page, id));
  EXPECT_TRUE(parsed.ok()) << id << ": " << parsed.status();
  return parsed.ok() ? *parsed : JsonValue{};
}

size_t Count(std::string_view text, std::string_view what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string_view::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(HtmlReportTest, IsOneSelfContainedPageThatFetchesNothing) {
  const std::string page = RenderHtml(MakeSession().Input(), HtmlOptions{});
  EXPECT_TRUE(absl::StartsWith(page, "<!DOCTYPE html>\n"));
  EXPECT_TRUE(absl::EndsWith(page, "</html>\n"));
  // The one URL-shaped string is the SVG namespace's name, an identifier the DOM API needs and
  // never fetches; nothing else may name a scheme or a host.
  const std::string rest = absl::StrReplaceAll(page, {{"'http://www.w3.org/2000/svg'", ""}});
  for (const char* banned : {"http:", "https:", "//cdn", "ftp://", "ws://", "wss://", "file:"}) {
    EXPECT_FALSE(absl::StrContains(rest, banned)) << banned;
  }
  // Nothing loaded from outside: no external script, style, font, image, frame or import.
  for (const char* banned : {"<script src", "<link", "@import", "<img", "<iframe", "url(h",
                             "fetch(", "XMLHttpRequest", "import("}) {
    EXPECT_FALSE(absl::StrContains(page, banned)) << banned;
  }
  // And the browser is told so: a Content-Security-Policy that allows no source at all.
  EXPECT_TRUE(absl::StrContains(page, "Content-Security-Policy\" content=\"default-src 'none';"));
  // The style, both JSON blocks and the script are inline.
  EXPECT_EQ(Count(page, "<style>"), 1u);
  EXPECT_EQ(Count(page, "<script"), 3u);
  EXPECT_EQ(Count(page, "</script>"), 3u);
}

TEST(HtmlReportTest, StringsFromTheTraceeCannotBreakOutOfTheEmbeddedJson) {
  Session s = MakeSession();
  const std::string hostile = "</script><script>alert(1)</script><!-- <b>&\"'";
  s.findings[0].summary = hostile;
  s.findings[0].hint = "</SCRIPT >";
  s.packets[2].dns = DnsMessage{};
  s.packets[2].dns->qname = "<!--<script>.example";
  s.calls[1].args = "</script>";
  const std::string page = RenderHtml(s.Input(), HtmlOptions{.all = true, .capture_file = ""});
  // Exactly the page's own script elements close, whatever the strings held.
  EXPECT_EQ(Count(page, "</script>"), 3u);
  EXPECT_FALSE(absl::StrContains(page, "<script>alert"));
  EXPECT_FALSE(absl::StrContains(absl::AsciiStrToLower(page), "</script >"));
  EXPECT_EQ(Count(page, "<!--"), 0u);
  // ... and they arrive intact: the JSON decodes back to them.
  const JsonValue data = Block(page, "netcorr-data");
  EXPECT_EQ(data["findings"][0]["summary"].string, hostile);
  EXPECT_EQ(data["findings"][0]["hint"].string, "</SCRIPT >");
  EXPECT_EQ(data["packets"][2]["dns"]["qname"].string, "<!--<script>.example");
  // The text for a browser without scripts is escaped as text.
  EXPECT_TRUE(absl::StrContains(page, "&lt;/script&gt;&lt;script&gt;alert(1)"));
}

TEST(HtmlReportTest, EmbedsTheJsonReportOfWhatItShows) {
  const Session s = MakeSession();
  const std::string page = RenderHtml(s.Input(), HtmlOptions{.all = true, .capture_file = ""});
  const JsonValue data = Block(page, "netcorr-data");
  const JsonValue whole = *ParseJson(RenderJson(s.Input()));
  EXPECT_EQ(data, whole) << "with --all the page holds the --json document itself";
}

TEST(HtmlReportTest, EveryFindingsEvidenceIsOnThePageWithoutAll) {
  const Session s = MakeSession();
  const std::string page = RenderHtml(s.Input(), HtmlOptions{.capture_file = "/tmp/x.pcapng"});
  const JsonValue data = Block(page, "netcorr-data");
  ASSERT_EQ(data["findings"].size(), s.findings.size());
  for (size_t n = 0; n < s.findings.size(); ++n) {
    const JsonValue& f = data["findings"][n];
    EXPECT_EQ(f["id"].int_value, static_cast<int64_t>(n + 1));
    ASSERT_EQ(f["evidence"].size(), s.findings[n].evidence.size());
    for (const JsonValue& id : f["evidence"].array) {
      bool found = false;
      for (const JsonValue& p : data["packets"].array) {
        if (p["id"].int_value != id.int_value) continue;
        found = true;
        bool tagged = false;
        for (const JsonValue& m : p["evidence_for"].array) tagged |= m.int_value == f["id"].int_value;
        EXPECT_TRUE(tagged) << "packet " << id.int_value << " names finding " << n + 1;
      }
      EXPECT_TRUE(found) << "finding " << n + 1 << ": evidence " << id.int_value;
    }
  }
  // The unrelated UDP and HTTP exchanges are left out and counted.
  std::vector<int64_t> ids;
  for (const JsonValue& p : data["packets"].array) ids.push_back(p["id"].int_value);
  EXPECT_EQ(ids, (std::vector<int64_t>{1, 2, 5, 6, 7, 8, 9}));
  const JsonValue facts = Block(page, "netcorr-page");
  EXPECT_FALSE(facts["all"].boolean);
  EXPECT_EQ(facts["total_packets"].int_value, 11);
  EXPECT_EQ(facts["omitted_packets"].int_value, 4);
  EXPECT_EQ(facts["total_calls"].int_value, 7);
  EXPECT_EQ(facts["omitted_calls"].int_value + static_cast<int64_t>(data["calls"].size()), 7);
  EXPECT_GE(facts["gaps"].size(), 1u);
  EXPECT_EQ(facts["capture_file"].string, "/tmp/x.pcapng");
  // The clock's zero, as a string: the page subtracts it from times above 2^53 exactly.
  EXPECT_EQ(facts["t0_ns"].string, absl::StrCat(kT0));
}

TEST(HtmlReportTest, EveryKindRendersAndNamesItsFindingInTheTitle) {
  for (FindingKind kind : {FindingKind::kRefusedByRst, FindingKind::kSynUnanswered,
                           FindingKind::kIcmpUnreachable, FindingKind::kResetByPeer,
                           FindingKind::kDnsError, FindingKind::kTlsAlert,
                           FindingKind::kNoResponse, FindingKind::kNeighbourUnreachable}) {
    const KindScenario sc = ScenarioFor(kind);
    const std::string page = RenderHtml(sc.Input(), HtmlOptions{});
    EXPECT_TRUE(absl::StrContains(page, absl::StrCat("<title>netcorr: 1 finding: ",
                                                     std::string(FindingKindName(kind)), "</title>")))
        << FindingKindName(kind);
    const JsonValue data = Block(page, "netcorr-data");
    EXPECT_EQ(data["findings"][0]["kind"].string, FindingKindName(kind));
    EXPECT_EQ(data["packets"].size() >= sc.findings[0].evidence.size(), true);
  }
  const std::string empty = RenderHtml(ReportInput{}, HtmlOptions{});
  EXPECT_TRUE(absl::StrContains(empty, "<title>netcorr: no findings</title>"));
  EXPECT_EQ(Block(empty, "netcorr-data")["findings"].size(), 0u);
}

TEST(HtmlReportTest, WriteHtmlStreamsTheSamePage) {
  const Session s = MakeSession();
  const HtmlOptions options{.all = false, .capture_file = "p.pcapng"};
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  ASSERT_TRUE(WriteHtml(s.Input(), options, f).ok());
  std::rewind(f);
  std::string written;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) written.append(buf, n);
  std::fclose(f);
  EXPECT_EQ(written, RenderHtml(s.Input(), options));
}

}  // namespace
}  // namespace netcorr::report
