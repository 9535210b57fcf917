// Where it was lost (issue 15), end to end: one client run in the test world meets a different
// fault on each port while tcpdump records in the router and server namespaces too; then
// `netcorr analyze --peer-pcap` must say for each finding where its packets were lost, with the
// peer captures as recorded, with their clocks shifted by seconds (editcap -t), and with the
// server's capture cut short (nothing it did not record may be called lost). A live session's
// own record (its --json document and -w file) is re-analysed the same way.
#include <cmath>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/requirements.h"
#include "tests/support/story_fixture.h"

namespace netcorr::testing {
namespace {

using ::testing::SizeIs;

constexpr char kClientV4[] = "10.71.1.2";

// One fault per port, and the verdict it must get.
struct Expected {
  std::string transport;  // "tcp" / "udp", as in the finding's flow
  int port;
  std::string kind;
  std::string verdict;
};

const std::vector<Expected>& Cases() {
  static const std::vector<Expected> cases = {
      {"tcp", 7601, "syn_unanswered", "lost_on_path_out"},   // SYNs dropped at the router
      {"tcp", 7602, "syn_unanswered", "dropped_by_peer"},    // by the server's own firewall
      {"tcp", 7603, "syn_unanswered", "lost_on_path_back"},  // SYN-ACKs dropped on the way back
      {"tcp", 7604, "refused_by_rst", "forged_on_path"},     // the router's RST in its name
      {"tcp", 7605, "refused_by_rst", "consistent"},         // the server's own RST
      {"udp", 5300, "no_response", "dropped_by_peer"},       // the server drops the request
      {"udp", 5301, "no_response", "lost_on_path_back"},     // its answer lost on the way back
      // The router's ICMP in its own name is honest: the SYN stopped there.
      {"tcp", 7606, "icmp_unreachable", "lost_on_path_out"},
  };
  return cases;
}

// The client: a healthy exchange first, then one attempt per faulty port, each bounded.
std::vector<std::string> ClientScript() {
  const std::string tcp = ExamplePath("tcp_client"), dns = ExamplePath("dns_query");
  std::string script = absl::StrCat(tcp, " --host ", kServerV4, " --port 7600 --send 200; ");
  for (int port : {7601, 7602, 7603}) {
    absl::StrAppend(&script, tcp, " --host ", kServerV4, " --port ", port,
                    " --nonblocking --connect-timeout 1200; ");
  }
  for (int port : {7604, 7605, 7606}) {
    absl::StrAppend(&script, tcp, " --host ", kServerV4, " --port ", port, "; ");
  }
  for (int port : {5300, 5301}) {
    absl::StrAppend(&script, dns, " --server ", kServerV4, " --port ", port,
                    " --name x.test --timeout 800 --tries 1; ");
  }
  // The peers keep recording a while after the last request, as they would on real hosts:
  // a request they could not have seen arrive is not_covered, never lost.
  absl::StrAppend(&script, "sleep 1.2; ", tcp, " --host ", kServerV4, " --port 7600 --send 10");
  return {"/bin/sh", "-c", script};
}

const JsonValue* FindingFor(const JsonValue& report, const Expected& e) {
  for (const JsonValue& f : report["findings"].array) {
    if (f["kind"].string == e.kind && !f["flow"].is_null() &&
        f["flow"]["transport"].string == e.transport &&
        f["flow"]["remote"]["port"].int_value == e.port) {
      return &f;
    }
  }
  return nullptr;
}

std::string Verdicts(const JsonValue& report) {
  std::string out;
  for (const JsonValue& f : report["findings"].array) {
    absl::StrAppend(&out, "\n  ", f["kind"].string, " ",
                    f["flow"].is_null() ? std::string("-")
                                        : absl::StrCat(f["flow"]["remote"]["port"].int_value),
                    ": ",
                    f["path"].is_null() ? std::string("(no path)") : f["path"]["verdict"].string);
    if (!f["path"].is_null()) {
      for (const JsonValue& p : f["path"]["peers"].array) {
        absl::StrAppend(&out, "\n      ", p["capture"].string, " ", p["verdict"].string, ": ",
                        p["detail"].string);
      }
    }
  }
  return out;
}

class PathVerdictE2e : public ::testing::Test, public StoryFixture {
 protected:
  void SetUp() override {
    NETCORR_REQUIRE(Root("namespaces and capture"), Program("/usr/bin/strace"),
                    Program("/usr/bin/tcpdump"), Program("/usr/bin/editcap"),
                    Program("/usr/bin/tshark"));
    MakeWorld();
    for (const auto& [proto, port] :
         std::vector<std::pair<std::string, int>>{{"tcp", 7600}, {"tcp", 7603}, {"udp", 5301}}) {
      ASSERT_TRUE(world_->Serve(proto, port).ok()) << proto << " " << port;
    }
    for (const std::vector<std::string>& fault :
         std::vector<std::vector<std::string>>{{"syn-drop-router", "7601"},
                                               {"syn-drop-server", "7602"},
                                               {"synack-drop-router", "7603"},
                                               {"reset-router", "7604"},
                                               {"udp-drop-server", "5300"},
                                               {"udp-answer-drop-router", "5301"},
                                               {"reject-router", "host-unreach", "7606"}}) {
      ASSERT_TRUE(world_->Fault(fault).ok()) << fault[0];
    }
  }

  // `netcorr analyze` of our record with these peer captures.
  JsonValue Analyze(const std::string& strace, const std::string& pcap,
                    const std::vector<std::string>& peers, const std::string& name) {
    std::vector<std::string> argv = {NETCORR_BINARY, "analyze"};
    if (!strace.empty()) {
      argv.push_back("--strace");
      argv.push_back(strace);
    }
    argv.push_back("--pcap");
    argv.push_back(pcap);
    for (const std::string& p : peers) {
      argv.push_back("--peer-pcap");
      argv.push_back(p);
    }
    const std::string json = dir_.File(name + ".json");
    for (const std::string& a : {std::string("--json"), std::string("-o"), json}) {
      argv.push_back(a);
    }
    auto run = RunCommand(argv, absl::Seconds(60));
    EXPECT_TRUE(run.ok()) << run.status();
    if (!run.ok()) return JsonValue();
    EXPECT_EQ(run->exit_code, 0) << run->err;
    stderr_ = run->err;
    auto report = report::testing::ParseJson(ReadFile(json));
    EXPECT_TRUE(report.ok()) << report.status() << "\n" << run->err;
    return report.ok() ? *report : JsonValue();
  }

  void ExpectVerdicts(const JsonValue& report, const std::string& how) {
    for (const Expected& e : Cases()) {
      const JsonValue* f = FindingFor(report, e);
      ASSERT_NE(f, nullptr) << how << ": no " << e.kind << " for port " << e.port
                            << Verdicts(report) << "\n"
                            << stderr_;
      ASSERT_FALSE((*f)["path"].is_null()) << how << " port " << e.port << Verdicts(report);
      EXPECT_EQ((*f)["path"]["verdict"].string, e.verdict)
          << how << " port " << e.port << Verdicts(report);
      EXPECT_FALSE((*f)["path"]["hint"].string.empty());
    }
  }

  absl::Status Editcap(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"/usr/bin/editcap"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto run = RunCommand(argv, absl::Seconds(30));
    if (!run.ok()) return run.status();
    if (run->exit_code != 0) return absl::InternalError(absl::StrCat("editcap: ", run->err));
    return absl::OkStatus();
  }

  std::string stderr_;
};

TEST_F(PathVerdictE2e, EachFaultIsPlacedOnThePathWithShiftedAndPartialPeerCaptures) {
  RecordOptions record;
  record.peer_captures = {Node::kRouter, Node::kServer};
  record.capture_filter = absl::StrCat("host ", kClientV4);  // a narrow filter, as documented
  absl::StatusOr<Told> told = story_->Recorded(ClientScript(), record);
  ASSERT_TRUE(told.ok()) << told.status();
  ASSERT_THAT(told->peer_pcaps, SizeIs(2));
  const std::string& router = told->peer_pcaps[0];
  const std::string& server = told->peer_pcaps[1];

  // As recorded: the three hosts share a clock, the offsets are near zero.
  const JsonValue full = Analyze(told->strace_file, told->pcap, {router, server}, "full");
  ExpectVerdicts(full, "as recorded");
  const JsonValue& peers = full["session"]["peer_captures"];
  ASSERT_THAT(peers.array, SizeIs(2));
  for (const JsonValue& p : peers.array) {
    EXPECT_TRUE(p["aligned"].boolean) << p["note"].string;
    EXPECT_GT(p["matched"].int_value, 5) << p["note"].string;
    EXPECT_LT(std::llabs(p["offset_ns"].int_value), 50'000'000) << p["note"].string;
    EXPECT_TRUE(p["both_directions"].boolean) << p["note"].string;
  }
  // The router saw the SYNs it dropped; the server never did.
  const JsonValue* lost = FindingFor(full, Cases()[0]);
  ASSERT_NE(lost, nullptr);
  EXPECT_EQ((*lost)["path"]["peers"][0]["verdict"].string, "dropped_by_peer") << Verdicts(full);
  EXPECT_EQ((*lost)["path"]["peers"][1]["verdict"].string, "lost_on_path_out") << Verdicts(full);
  EXPECT_FALSE((*lost)["path"]["peers"][0]["peer_frames"].array.empty());

  // The peers' clocks off by seconds: the offsets are found, the verdicts do not change.
  const std::string router_shifted = dir_.File("router-shifted.pcap");
  const std::string server_shifted = dir_.File("server-shifted.pcap");
  ASSERT_TRUE(Editcap({"-t", "-3.5", router, router_shifted}).ok());
  ASSERT_TRUE(Editcap({"-t", "7.25", server, server_shifted}).ok());
  const JsonValue shifted =
      Analyze(told->strace_file, told->pcap, {router_shifted, server_shifted}, "shifted");
  ExpectVerdicts(shifted, "shifted by editcap -t");
  const double wanted[] = {-3.5e9, 7.25e9};
  for (int i = 0; i < 2; ++i) {
    const JsonValue& p = shifted["session"]["peer_captures"][i];
    EXPECT_LE(std::fabs(static_cast<double>(p["offset_ns"].int_value) - wanted[i]),
              static_cast<double>(p["bound_ns"].int_value) + 50e6)
        << p["note"].string;
  }

  // The server's capture cut where the SYNs to 7603 arrive: what it did not record is
  // not_covered, and nothing gets another verdict than with the whole capture.
  auto first = RunCommand({"/usr/bin/tshark", "-r", server, "-Y", "tcp.dstport == 7603", "-T",
                           "fields", "-e", "frame.number"},
                          absl::Seconds(30));
  ASSERT_TRUE(first.ok());
  int cut = 0;
  ASSERT_TRUE(absl::SimpleAtoi(std::vector<std::string>(absl::StrSplit(first->out, '\n'))[0], &cut))
      << first->out << first->err;
  ASSERT_GT(cut, 2);
  const std::string server_part = dir_.File("server-part.pcap");
  ASSERT_TRUE(Editcap({"-r", server_shifted, server_part, absl::StrCat("1-", cut - 1)}).ok());
  const JsonValue part = Analyze(told->strace_file, told->pcap, {server_part}, "partial");
  for (const Expected& e : Cases()) {
    const JsonValue* f = FindingFor(part, e);
    ASSERT_NE(f, nullptr) << e.port << Verdicts(part);
    ASSERT_FALSE((*f)["path"].is_null()) << e.port << Verdicts(part);
    const std::string& v = (*f)["path"]["verdict"].string;
    if (e.port == 7601 || e.port == 7602) {
      // Recorded there: only what the server's own capture can tell (it alone cannot see
      // the router), or not_covered near the cut.
      EXPECT_TRUE(v == e.verdict || v == "not_covered") << e.port << Verdicts(part);
    } else {
      EXPECT_EQ(v, "not_covered") << e.port << Verdicts(part);
    }
  }
}

// A live session re-analysed: `netcorr --json -o F -w P -- client` while the router and the
// server record, then `netcorr analyze --record F --peer-pcap ...` (P is found through F).
TEST_F(PathVerdictE2e, ALiveSessionsRecordIsReanalysedWithPeerCaptures) {
  const std::string tcp = ExamplePath("tcp_client");
  const std::string script = absl::StrCat(
      tcp, " --host ", kServerV4, " --port 7600 --send 200; ", tcp, " --host ", kServerV4,
      " --port 7601 --nonblocking --connect-timeout 1200; ", tcp, " --host ", kServerV4,
      " --port 7604; sleep 1.2; ", tcp, " --host ", kServerV4, " --port 7600 --send 10");
  LiveOptions live;
  live.peer_captures = {Node::kRouter, Node::kServer};
  live.peer_filter = absl::StrCat("host ", kClientV4);
  absl::StatusOr<Told> told = story_->Live({"/bin/sh", "-c", script}, live);
  ASSERT_TRUE(told.ok()) << told.status();
  ASSERT_THAT(told->peer_pcaps, SizeIs(2));
  // What the live session said has no path verdict: it had no peer capture.
  const JsonValue* lost_live = FindingFor(told->report, Cases()[0]);
  ASSERT_NE(lost_live, nullptr) << told->Describe();
  EXPECT_TRUE((*lost_live)["path"].is_null());

  std::vector<std::string> argv = {NETCORR_BINARY, "analyze", "--record", told->json};
  for (const std::string& p : told->peer_pcaps) {
    argv.push_back("--peer-pcap");
    argv.push_back(p);
  }
  const std::string json = dir_.File("reanalysed.json");
  for (const std::string& a : {std::string("--json"), std::string("-o"), json}) argv.push_back(a);
  auto run = RunCommand(argv, absl::Seconds(60));
  ASSERT_TRUE(run.ok()) << run.status();
  ASSERT_EQ(run->exit_code, 0) << run->err;
  EXPECT_TRUE(absl::StrContains(run->err, told->pcap)) << "reads the session's -w file\n"
                                                       << run->err;
  auto report = report::testing::ParseJson(ReadFile(json));
  ASSERT_TRUE(report.ok()) << report.status();
  // The same findings as live, now placed on the path.
  EXPECT_EQ(Failures(*report).size(), Failures(told->report).size())
      << told->Describe() << Verdicts(*report);
  for (const Expected* e : {&Cases()[0], &Cases()[3]}) {
    const JsonValue* f = FindingFor(*report, *e);
    ASSERT_NE(f, nullptr) << e->port << Verdicts(*report) << "\n" << run->err;
    ASSERT_FALSE((*f)["path"].is_null()) << e->port << Verdicts(*report);
    EXPECT_EQ((*f)["path"]["verdict"].string, e->verdict) << e->port << Verdicts(*report);
  }
}

}  // namespace
}  // namespace netcorr::testing
