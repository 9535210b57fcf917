#include "src/cli/options.h"

#include "gtest/gtest.h"

namespace netcorr::cli {
namespace {

absl::StatusOr<Options> Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "netcorr");
  return ParseOptions(args);
}

TEST(OptionsTest, LaunchTakesEverythingAfterDoubleDash) {
  auto o = Parse({"-o", "r.txt", "--", "curl", "-sS", "-o", "x", "http://10.0.0.5/"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->mode, Mode::kLaunch);
  EXPECT_EQ(o->output_path, "r.txt");
  EXPECT_EQ(o->command, (std::vector<std::string>{"curl", "-sS", "-o", "x", "http://10.0.0.5/"}));
}

TEST(OptionsTest, FirstNonOptionStartsTheCommandLikeStrace) {
  auto o = Parse({"--no-capture", "--no-rw", "./app", "-p", "3"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_FALSE(o->capture);
  EXPECT_FALSE(o->trace_read_write);
  EXPECT_EQ(o->command, (std::vector<std::string>{"./app", "-p", "3"}));
}

TEST(OptionsTest, AttachIsRepeatableAndAcceptsGluedValues) {
  auto o = Parse({"-p", "4242", "-p4243", "-w", "out.pcapng", "-i", "eth0", "-s", "256"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->mode, Mode::kAttach);
  EXPECT_EQ(o->pids, (std::vector<int>{4242, 4243}));
  EXPECT_EQ(o->pcap_path, "out.pcapng");
  EXPECT_EQ(o->interfaces, std::vector<std::string>{"eth0"});
  EXPECT_EQ(o->snaplen, 256);
}

TEST(OptionsTest, HtmlIsAPageBesidesTheReportLiveAndOffline) {
  auto live = Parse({"--html", "r.html", "-o", "r.txt", "--", "curl"});
  ASSERT_TRUE(live.ok()) << live.status();
  EXPECT_EQ(live->html_path, "r.html");
  EXPECT_EQ(live->output_path, "r.txt");
  EXPECT_FALSE(live->json);
  auto offline = Parse({"analyze", "--strace", "a.strace", "--pcap", "a.pcap", "--html=a.html"});
  ASSERT_TRUE(offline.ok()) << offline.status();
  EXPECT_EQ(offline->html_path, "a.html");
  EXPECT_FALSE(Parse({"--html"}).ok());
  // Without the capture there are no packets to draw.
  auto no_capture = Parse({"--no-capture", "--html", "r.html", "--", "curl"});
  ASSERT_FALSE(no_capture.ok());
  EXPECT_NE(no_capture.status().message().find("--no-capture"), std::string::npos);
}

TEST(OptionsTest, AnalyzeNeedsTheLogAndTakesACapture) {
  auto ok = Parse({"analyze", "--strace", "a.strace", "--pcap=a.pcap", "--json"});
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->mode, Mode::kAnalyze);
  EXPECT_EQ(ok->analyze_pcap_path, "a.pcap");
  EXPECT_TRUE(ok->json);
  // The log alone: findings from the syscalls only.
  auto log_only = Parse({"analyze", "--strace", "a.strace"});
  ASSERT_TRUE(log_only.ok()) << log_only.status();
  EXPECT_EQ(log_only->analyze_pcap_path, "");
  EXPECT_FALSE(Parse({"analyze", "--pcap", "a.pcap"}).ok());
}

TEST(OptionsTest, AnalyzeTakesPeerCapturesAndALiveRecord) {
  auto peers = Parse({"analyze", "--strace", "a.strace", "--pcap", "a.pcap", "--peer-pcap",
                      "server.pcap", "--peer-pcap=router.pcap"});
  ASSERT_TRUE(peers.ok()) << peers.status();
  EXPECT_EQ(peers->peer_pcap_paths, (std::vector<std::string>{"server.pcap", "router.pcap"}));
  // A peer capture is compared with ours: there must be one.
  EXPECT_FALSE(Parse({"analyze", "--strace", "a.strace", "--peer-pcap", "s.pcap"}).ok());
  // A live session's record names its own -w file.
  auto record = Parse({"analyze", "--record", "run.json", "--peer-pcap", "s.pcap"});
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->record_path, "run.json");
  EXPECT_FALSE(Parse({"analyze", "--record", "r.json", "--strace", "a.strace"}).ok());
  EXPECT_FALSE(Parse({"--peer-pcap", "s.pcap", "--", "true"}).ok());
  EXPECT_FALSE(Parse({"--record", "r.json", "--", "true"}).ok());
}

TEST(OptionsTest, ErrorsNameTheProblem) {
  auto bad_pid = Parse({"-p", "abc"});
  ASSERT_FALSE(bad_pid.ok());
  EXPECT_NE(bad_pid.status().message().find("abc"), std::string::npos);
  auto unknown = Parse({"--frobnicate", "--", "true"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("--frobnicate"), std::string::npos);
  EXPECT_FALSE(Parse({}).ok());
  EXPECT_FALSE(Parse({"-p", "1", "--", "true"}).ok());
  EXPECT_FALSE(Parse({"-o"}).ok());
}

TEST(OptionsTest, NetnsNameIsUnderRunNetnsAndAPathIsKept) {
  auto named = Parse({"--netns", "blue", "--", "true"});
  ASSERT_TRUE(named.ok()) << named.status();
  EXPECT_EQ(named->netns_path, "/run/netns/blue");
  auto path = Parse({"--netns=/proc/42/ns/net", "--", "true"});
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ(path->netns_path, "/proc/42/ns/net");
  EXPECT_FALSE(Parse({"--netns", "..", "--", "true"}).ok());
  EXPECT_FALSE(Parse({"--netns", "", "--", "true"}).ok());
  // -p is captured where the process is; a second namespace would be a contradiction.
  auto with_pid = Parse({"--netns", "blue", "-p", "42"});
  ASSERT_FALSE(with_pid.ok());
  EXPECT_NE(with_pid.status().message().find("--netns"), std::string::npos);
  EXPECT_FALSE(Parse({"analyze", "--strace", "a", "--pcap", "b", "--netns", "blue"}).ok());
}

}  // namespace
}  // namespace netcorr::cli
