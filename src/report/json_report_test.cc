#include <cctype>
#include <cerrno>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "src/report/report.h"
#include "src/report/testing/json_test_parser.h"
#include "src/report/testing/report_test_util.h"

namespace netcorr::report {
namespace {

using namespace testing;  // NOLINT: the test builders

JsonValue MustParse(const std::string& text) {
  auto parsed = ParseJson(text);
  EXPECT_TRUE(parsed.ok()) << parsed.status() << "\n" << text;
  return parsed.ok() ? *parsed : JsonValue{};
}

TEST(JsonReportTest, TopLevelShapeAndVersion) {
  const Session s = MakeSession();
  const std::string text = RenderJson(s.Input());
  ASSERT_TRUE(absl::EndsWith(text, "}\n"));
  const JsonValue doc = MustParse(text);
  EXPECT_EQ(doc["version"].int_value, 1);
  EXPECT_EQ(doc["version"].int_value, kJsonSchemaVersion);
  EXPECT_EQ(doc["netcorr"].string, "0.1.0");
  EXPECT_EQ(doc["time_unit"].string, "ns_since_epoch_realtime");
  for (const char* key : {"session", "capture", "findings", "calls", "packets", "processes"}) {
    EXPECT_NE(doc.Find(key), nullptr) << key;
  }
  EXPECT_EQ(doc["calls"].size(), 7u);
  EXPECT_EQ(doc["packets"].size(), 11u);
  EXPECT_EQ(doc["findings"].size(), 3u);
  EXPECT_EQ(doc["processes"].size(), 2u);
  const JsonValue& session = doc["session"];
  EXPECT_EQ(session["command"][0].string, "./multi-fail");
  EXPECT_EQ(session["pids"][0].int_value, 4242);
  EXPECT_EQ(session["start_ns"].int_value, kT0 - 5 * kMs);
  EXPECT_EQ(session["end_ns"].int_value, kT0 + 22 * kSec);
  EXPECT_EQ(session["duration_ns"].int_value, 22 * kSec + 5 * kMs);
  EXPECT_EQ(session["first_event_ns"].int_value, kT0);
  EXPECT_EQ(session["stop_reason"].string, "interrupted");
  const JsonValue& capture = doc["capture"];
  EXPECT_TRUE(capture["available"].boolean);
  EXPECT_EQ(capture["received"].int_value, 11);
  EXPECT_EQ(capture["kernel_dropped"].int_value, 0);
  EXPECT_EQ(capture["interfaces"][0].string, "any");
  EXPECT_EQ(capture["snaplen"].int_value, 262144);
  EXPECT_EQ(capture["file"].string, "/tmp/out.pcapng");
}

TEST(JsonReportTest, SessionNamesTheProgramsNamespacesOrNull) {
  const Session s = MakeSession();
  ReportInput in = s.Input();
  // Present and null (analyze has no process), not missing: docs/json.md's rule.
  const JsonValue none = MustParse(RenderJson(in));
  ASSERT_NE(none["session"].Find("namespace"), nullptr);
  EXPECT_TRUE(none["session"]["namespace"].is_null());
  in.session.target_namespace = ContainedNamespace();
  in.session.target_namespace->netns_name = "";
  const JsonValue doc = MustParse(RenderJson(in));
  const JsonValue& n = doc["session"]["namespace"];
  EXPECT_EQ(n["netns_inode"].int_value, 4026532845);
  ASSERT_NE(n.Find("netns_name"), nullptr);
  EXPECT_TRUE(n["netns_name"].is_null());
  EXPECT_FALSE(n["own_netns"].boolean);
  EXPECT_EQ(n["pidns_inode"].int_value, 4026532850);
  EXPECT_EQ(n["ns_pid"].int_value, 1);
  EXPECT_FALSE(n["own_pidns"].boolean);
  EXPECT_EQ(n["cgroup"].string, "/system.slice/docker-3f2a1b4c5d6e7f.scope");
  EXPECT_FALSE(n["own_cgroup"].boolean);
  EXPECT_EQ(n["container_id"].string, "3f2a1b4c5d6e7f");
  EXPECT_EQ(n["container_runtime"].string, "docker");
}

TEST(JsonReportTest, FindingsCarryKindCallFlowAndEvidence) {
  const Session s = MakeSession();
  const JsonValue doc = MustParse(RenderJson(s.Input()));
  const JsonValue& f = doc["findings"][0];
  EXPECT_EQ(f["id"].int_value, 1);
  EXPECT_EQ(f["kind"].string, "refused_by_rst");
  EXPECT_EQ(f["severity"].string, "failure");
  EXPECT_EQ(f["summary"].string, "10.71.2.2 answered our SYN with RST");
  EXPECT_EQ(f["outcome_errno"].string, "ECONNREFUSED");
  EXPECT_EQ(f["call"]["id"].int_value, 2);
  EXPECT_EQ(f["call"]["errno"].string, "ECONNREFUSED");
  EXPECT_EQ(f["call"]["errno_num"].int_value, ECONNREFUSED);
  EXPECT_TRUE(f["call"]["result"].is_null());
  EXPECT_EQ(f["call"]["entry_ns"].int_value, kT0 + 100 * kUs);
  EXPECT_EQ(f["call"]["exit_ns"].int_value, kT0 + 400 * kUs);
  EXPECT_EQ(f["call"]["duration_ns"].int_value, 300 * kUs);
  EXPECT_EQ(f["flow"]["transport"].string, "tcp");
  EXPECT_EQ(f["flow"]["local"]["ip"].string, "10.71.1.2");
  EXPECT_EQ(f["flow"]["local"]["port"].int_value, 40000);
  EXPECT_EQ(f["flow"]["remote"]["port"].int_value, 81);
  ASSERT_EQ(f["evidence"].size(), 2u);
  EXPECT_EQ(f["evidence"][0].int_value, 1);
  EXPECT_EQ(f["evidence"][1].int_value, 2);
  EXPECT_TRUE(f["resolved_by"].is_null());
  EXPECT_TRUE(f["icmp"].is_null());
  EXPECT_TRUE(f["unexplained_reason"].is_null());
  EXPECT_TRUE(f["zero_window"].is_null());
  EXPECT_EQ(doc["findings"][2]["call"]["finished"].boolean, false);
  EXPECT_EQ(doc["findings"][1]["call"]["tid"].int_value, 4243);
}

// analyze --peer-pcap: the session records each peer capture, each finding its path verdict.
TEST(JsonReportTest, PeerCapturesAndPathVerdicts) {
  Session s = MakeSession();
  PathVerdict v;
  v.verdict = PathVerdictKind::kForgedOnPath;
  v.summary = "the RST was never sent by server.pcap";
  v.hint = "a middlebox";
  v.peers.push_back({"/tmp/server.pcap", PathVerdictKind::kForgedOnPath, {2}, {}, "not there"});
  v.peers.push_back({"/tmp/router.pcap", PathVerdictKind::kConsistent, {2}, {7, 9}, "there"});
  s.findings[0].path = v;
  ReportInput in = s.Input();
  in.session.peer_captures.push_back(
      {"/tmp/server.pcap", true, 7'250'000'000, 1'500'000, 12, 40, true, kT0, kT0 + 5, "from 12"});
  const JsonValue doc = MustParse(RenderJson(in));
  const JsonValue& peers = doc["session"]["peer_captures"];
  ASSERT_EQ(peers.size(), 1u);
  EXPECT_EQ(peers[0]["file"].string, "/tmp/server.pcap");
  EXPECT_TRUE(peers[0]["aligned"].boolean);
  EXPECT_EQ(peers[0]["offset_ns"].int_value, 7'250'000'000);
  EXPECT_EQ(peers[0]["bound_ns"].int_value, 1'500'000);
  EXPECT_EQ(peers[0]["matched"].int_value, 12);
  const JsonValue& path = doc["findings"][0]["path"];
  EXPECT_EQ(path["verdict"].string, "forged_on_path");
  EXPECT_EQ(path["hint"].string, "a middlebox");
  ASSERT_EQ(path["peers"].size(), 2u);
  EXPECT_EQ(path["peers"][1]["verdict"].string, "consistent");
  EXPECT_EQ(path["peers"][1]["peer_frames"][1].int_value, 9);
  EXPECT_EQ(path["peers"][0]["our_frames"][0].int_value, 2);
  EXPECT_TRUE(doc["findings"][1]["path"].is_null());
  EXPECT_EQ(MustParse(RenderJson(s.Input()))["session"]["peer_captures"].size(), 0u);

  const std::string text = RenderText(in, TextOptions{});
  EXPECT_TRUE(absl::StrContains(text, "path: forged_on_path -- the RST was never sent")) << text;
  EXPECT_TRUE(absl::StrContains(text, "/tmp/router.pcap: consistent, there")) << text;
  EXPECT_TRUE(absl::StrContains(text, "path hint: a middlebox")) << text;
  EXPECT_TRUE(absl::StrContains(text, "peer capture /tmp/server.pcap: clock +7.250000 s")) << text;
}

TEST(JsonReportTest, PacketsAreDecodedAndPointBackAtTheirFindings) {
  const Session s = MakeSession();
  const JsonValue doc = MustParse(RenderJson(s.Input()));
  const JsonValue& rst = doc["packets"][1];
  EXPECT_EQ(rst["id"].int_value, 2);
  EXPECT_EQ(rst["ts_ns"].int_value, kT0 + 350 * kUs);
  EXPECT_EQ(rst["ip"].string, "ipv4");
  EXPECT_EQ(rst["transport"].string, "tcp");
  EXPECT_EQ(rst["src"]["port"].int_value, 81);
  EXPECT_EQ(rst["tcp"]["flags"].string, "RST,ACK");
  EXPECT_EQ(rst["tcp"]["ack"].int_value, 124);
  EXPECT_TRUE(rst["tcp"]["ts_val"].is_null());
  EXPECT_EQ(doc["packets"][0]["tcp"]["mss"].int_value, 1460);
  EXPECT_TRUE(rst["icmp"].is_null());
  ASSERT_EQ(rst["evidence_for"].size(), 1u);
  EXPECT_EQ(rst["evidence_for"][0].int_value, 1);
  const JsonValue& icmp = doc["packets"][6];
  EXPECT_EQ(icmp["icmp"]["description"].string, "admin-prohibited");
  EXPECT_EQ(icmp["icmp"]["sender"].string, "10.71.1.1");
  EXPECT_EQ(icmp["icmp"]["original"]["remote"]["port"].int_value, 82);
  EXPECT_EQ(icmp["evidence_for"][0].int_value, 2);
  EXPECT_EQ(doc["packets"][2]["evidence_for"].size(), 0u);  // unrelated UDP
  EXPECT_TRUE(absl::StartsWith(doc["packets"][0]["display"].string,
                               "10.71.1.2.40000 > 10.71.2.2.81: Flags [S]"));
}

TEST(JsonReportTest, ProcessesNameTheirSignal) {
  const Session s = MakeSession();
  const JsonValue doc = MustParse(RenderJson(s.Input()));
  EXPECT_EQ(doc["processes"][0]["kind"].string, "exited");
  EXPECT_EQ(doc["processes"][0]["status"].int_value, 7);
  EXPECT_TRUE(doc["processes"][0]["signal"].is_null());
  EXPECT_EQ(doc["processes"][1]["kind"].string, "killed");
  EXPECT_EQ(doc["processes"][1]["signal"].string, "SIGKILL");
}

TEST(JsonReportTest, StringsFromTheTraceeRoundTripOrBecomeReplacementCharacters) {
  Session s = MakeSession();
  s.calls[1].args = std::string("quote\" back\\ nl\n nul", 20) + std::string(1, '\0') +
                    " esc\x1b caf\xc3\xa9 bad\xff end";
  const JsonValue doc = MustParse(RenderJson(s.Input()));
  EXPECT_EQ(doc["calls"][1]["args"].string, std::string("quote\" back\\ nl\n nul", 20) +
                                                std::string(1, '\0') +
                                                " esc\x1b caf\xc3\xa9 bad\xef\xbf\xbd end");
}

TEST(JsonReportTest, EveryKindHasItsNameAndDetails) {
  for (FindingKind kind :
       {FindingKind::kRefusedByRst, FindingKind::kSynUnanswered, FindingKind::kIcmpUnreachable,
        FindingKind::kNoPacketSent, FindingKind::kResetByPeer, FindingKind::kClosedByPeer,
        FindingKind::kNoResponse, FindingKind::kDnsError, FindingKind::kTlsAlert,
        FindingKind::kRetransmissions, FindingKind::kPmtuBlackhole, FindingKind::kUnexplained,
        FindingKind::kNeighbourUnreachable, FindingKind::kZeroWindow}) {
    KindScenario s = ScenarioFor(kind);
    Finding& f = s.findings[0];
    f.handshake = HandshakeDetail{{kT0 + 1, kT0 + 2}, 2, false, true};
    f.icmp = IcmpDetail{
        false, 3, 10, "host-prohibited", *IpAddress::Parse("10.71.1.1"), IcmpSenderRole::kHop, 0};
    f.stream = StreamDetail{100, 5, 7 * kMs, true, false, false};
    f.retransmissions = RetransmissionDetail{3, kT0, kT0 + kSec, 1448, 500, false, {kT0 + kSec}};
    f.dns = DnsDetail{0x1a2b, "example.test", 2,    "SERVFAIL", 2,
                      true,   "AAAA",         true, "refused",  2 * kSec};
    f.tls = TlsDetail{2, 40, "handshake_failure", "example.test", true};
    f.neighbour =
        NeighbourDetail{*IpAddress::Parse("10.71.1.99"), false, 3, kT0, kT0 + 2 * kSec, false};
    f.zero_window = ZeroWindowDetail{kT0 + 3, kT0 + 4, 5, 6, true, 1448};
    const JsonValue doc = MustParse(RenderJson(s.Input()));
    const JsonValue& j = doc["findings"][0];
    EXPECT_EQ(j["kind"].string, FindingKindName(kind));
    EXPECT_EQ(j["handshake"]["syn_times_ns"][1].int_value, kT0 + 2);
    EXPECT_EQ(j["icmp"]["sender_role"].string, "hop");
    EXPECT_EQ(j["stream"]["idle_before_ns"].int_value, 7 * kMs);
    EXPECT_EQ(j["retransmissions"]["last_ns"].int_value, kT0 + kSec);
    EXPECT_EQ(j["dns"]["rcode_name"].string, "SERVFAIL");
    EXPECT_EQ(j["dns"]["qtype"].string, "AAAA");
    EXPECT_TRUE(j["dns"]["truncated"].boolean);
    EXPECT_EQ(j["dns"]["tcp_retry"].string, "refused");
    EXPECT_EQ(j["dns"]["lost_ns"].int_value, 2 * kSec);
    EXPECT_EQ(j["tls"]["description_name"].string, "handshake_failure");
    EXPECT_EQ(j["neighbour"]["next_hop"].string, "10.71.1.99");
    EXPECT_EQ(j["neighbour"]["requests"].int_value, 3);
    EXPECT_EQ(j["neighbour"]["last_ns"].int_value, kT0 + 2 * kSec);
    EXPECT_FALSE(j["neighbour"]["answered"].boolean);
    EXPECT_EQ(j["zero_window"]["first_ns"].int_value, kT0 + 3);
    EXPECT_EQ(j["zero_window"]["last_ns"].int_value, kT0 + 4);
    EXPECT_EQ(j["zero_window"]["zero_window_acks"].int_value, 5);
    EXPECT_EQ(j["zero_window"]["probes"].int_value, 6);
    EXPECT_TRUE(j["zero_window"]["reopened"].boolean);
    EXPECT_EQ(j["zero_window"]["bytes_in_flight"].int_value, 1448);
    if (kind == FindingKind::kUnexplained) {
      EXPECT_EQ(j["unexplained_reason"].string, "capture dropped 12 packets");
    }
    // Every evidence packet names the finding back.
    for (const JsonValue& p : doc["packets"].array) {
      const bool cited = std::find(f.evidence.begin(), f.evidence.end(),
                                   static_cast<uint64_t>(p["id"].int_value)) != f.evidence.end();
      EXPECT_EQ(p["evidence_for"].size(), cited ? 1u : 0u);
    }
  }
}

TEST(JsonReportTest, ArpPacketFields) {
  const JsonValue doc =
      MustParse(RenderJson(ScenarioFor(FindingKind::kNeighbourUnreachable).Input()));
  const JsonValue& p = doc["packets"][0];
  EXPECT_TRUE(p["ip"].is_null());
  EXPECT_FALSE(p["neighbour"]["v6"].boolean);
  EXPECT_EQ(p["neighbour"]["op"].string, "request");
  EXPECT_EQ(p["neighbour"]["sender_ip"].string, "10.71.1.2");
  EXPECT_EQ(p["neighbour"]["sender_mac"].string, "02:00:0a:47:01:02");
  EXPECT_EQ(p["neighbour"]["target_ip"].string, "10.71.1.99");
  EXPECT_EQ(p["display"].string, "ARP, Request who-has 10.71.1.99 tell 10.71.1.2, length 28");
  EXPECT_EQ(doc["findings"][0]["kind"].string, "neighbour_unreachable");
}

TEST(JsonReportTest, DnsAndTlsPacketFields) {
  const JsonValue dns = MustParse(RenderJson(ScenarioFor(FindingKind::kDnsError).Input()));
  EXPECT_EQ(dns["packets"][1]["dns"]["id"].int_value, 0x1a2b);
  EXPECT_TRUE(dns["packets"][1]["dns"]["response"].boolean);
  EXPECT_EQ(dns["packets"][1]["dns"]["rcode_name"].string, "SERVFAIL");
  EXPECT_EQ(dns["packets"][1]["dns"]["qname"].string, "example.test");
  EXPECT_EQ(dns["packets"][1]["dns"]["qtype_name"].string, "A");
  EXPECT_EQ(dns["calls"][0]["socket"]["type"].string, "SOCK_DGRAM");
  EXPECT_EQ(dns["calls"][0]["result"].int_value, 30);
  const JsonValue tls = MustParse(RenderJson(ScenarioFor(FindingKind::kTlsAlert).Input()));
  EXPECT_EQ(tls["packets"][0]["tls"]["client_hello"]["sni"].string, "example.test");
  EXPECT_EQ(tls["packets"][1]["tls"]["alert"]["level_name"].string, "fatal");
  EXPECT_EQ(tls["packets"][1]["tls"]["alert"]["description"].int_value, 40);
}

TEST(JsonReportTest, EventsDocumentAndJsonLinesUseTheSameCallObjects) {
  const Session s = MakeSession();
  const ReportInput in = s.Input();
  const JsonValue full = MustParse(RenderJson(in));
  CaptureStats none;
  none.available = false;
  none.unavailable_reason = "--no-capture";
  const JsonValue events = MustParse(RenderEventsJson(in.session, none, in.calls, in.processes));
  EXPECT_EQ(events["version"].int_value, 1);
  EXPECT_EQ(events.Find("findings"), nullptr);
  EXPECT_EQ(events.Find("packets"), nullptr);
  EXPECT_FALSE(events["capture"]["available"].boolean);
  EXPECT_EQ(events["capture"]["reason"].string, "--no-capture");
  EXPECT_EQ(events["calls"], full["calls"]);
  EXPECT_EQ(events["processes"], full["processes"]);
  for (size_t i = 0; i < s.calls.size(); ++i) {
    const std::string line = RenderCallJsonLine(s.calls[i]);
    EXPECT_EQ(line.find('\n'), std::string::npos);
    EXPECT_EQ(MustParse(line), full["calls"][i]);
  }
}

TEST(JsonReportTest, EmptyInputIsStillAValidDocument) {
  const JsonValue doc = MustParse(RenderJson(ReportInput{}));
  EXPECT_EQ(doc["findings"].size(), 0u);
  EXPECT_EQ(doc["capture"]["file"].type, JsonValue::Type::kNull);
}

}  // namespace
}  // namespace netcorr::report

namespace netcorr::report {
namespace {

using namespace testing;  // NOLINT: the test builders

void CollectKeys(const JsonValue& v, std::set<std::string>& keys) {
  for (const auto& [k, member] : v.object) {
    keys.insert(k);
    CollectKeys(member, keys);
  }
  for (const JsonValue& element : v.array) CollectKeys(element, keys);
}

bool MentionsWord(const std::string& doc, const std::string& word) {
  const auto ident = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  for (size_t at = doc.find(word); at != std::string::npos; at = doc.find(word, at + 1)) {
    const bool left = at == 0 || !ident(doc[at - 1]);
    const bool right = at + word.size() >= doc.size() || !ident(doc[at + word.size()]);
    if (left && right) return true;
  }
  return false;
}

// A program that connected through io_uring: its ring calls are blind spots, and the finding the
// packets alone made has a stand-in call with no result (docs/json.md, "packets_only").
KindScenario RingScenario() {
  KindScenario k = ScenarioFor(FindingKind::kRefusedByRst);
  k.calls.push_back(Call(90, "io_uring_setup", -1, kT0 - 2 * kMs, kT0 - kMs, 0, 5));
  k.calls.push_back(Call(91, "io_uring_enter", -1, kT0, kT0 + 3 * kMs, 0, 2));
  Finding& f = k.findings[0];
  SyscallEvent unseen;
  unseen.pid = unseen.tid = 4242;
  unseen.name = "io_uring";
  unseen.kind = CallKind::kIoUring;
  unseen.unseen = true;
  unseen.entry_ns = kT0 + kMs;
  unseen.exit_ns = kT0 + 2 * kMs;
  unseen.address = Ep("10.71.2.2", 81);
  unseen.socket = SocketOf(TcpFlow("10.71.1.2", 40000, "10.71.2.2", 81));
  f.call = unseen;
  f.resolved_by = k.calls.back();
  f.basis = EvidenceBasis::kPacketsOnly;
  return k;
}

TEST(JsonReportTest, RingOperationsAreBlindSpotsAndTheirFindingHasAStandInCall) {
  const JsonValue doc = MustParse(RenderJson(RingScenario().Input()));
  ASSERT_EQ(doc["blind_spots"].size(), 1u);
  const JsonValue& b = doc["blind_spots"][0];
  EXPECT_EQ(b["pid"].int_value, 4242);
  EXPECT_EQ(b["mechanism"].string, "io_uring");
  EXPECT_EQ(b["rings"].int_value, 1);
  EXPECT_EQ(b["enter_calls"].int_value, 1);
  EXPECT_EQ(b["submissions"].int_value, 2);
  EXPECT_EQ(b["first_ns"].int_value, kT0 - 2 * kMs);
  EXPECT_EQ(b["last_ns"].int_value, kT0 + 3 * kMs);
  EXPECT_TRUE(absl::StrContains(b["summary"].string, "cannot see")) << b["summary"].string;
  const JsonValue& f = doc["findings"][0];
  EXPECT_EQ(f["based_on"].string, "packets_only");
  EXPECT_EQ(f["call"]["name"].string, "io_uring");
  EXPECT_EQ(f["call"]["id"].int_value, 0);
  EXPECT_EQ(f["call"]["pid"].int_value, 4242);
  EXPECT_TRUE(f["call"]["result"].is_null()) << "ptrace saw no result";
  EXPECT_TRUE(f["call"]["errno"].is_null());
  EXPECT_TRUE(absl::StrContains(f["call"]["display"].string, "io_uring(10.71.2.2:81)"))
      << f["call"]["display"].string;
  EXPECT_TRUE(absl::StrContains(f["call"]["display"].string, "[not seen by ptrace"))
      << f["call"]["display"].string;
  EXPECT_EQ(f["resolved_by"]["name"].string, "io_uring_enter");
  // A session without io_uring says so with an empty array, not a missing key.
  const JsonValue plain = MustParse(RenderJson(MakeSession().Input()));
  ASSERT_NE(plain.Find("blind_spots"), nullptr);
  EXPECT_EQ(plain["blind_spots"].size(), 0u);
}

// docs/json.md is the schema's contract: a field the renderer writes must be documented there.
TEST(JsonReportTest, EveryFieldWrittenIsDocumented) {
  std::ifstream file(std::string(NETCORR_SOURCE_DIR) + "/docs/json.md");
  ASSERT_TRUE(file.good()) << "docs/json.md not found";
  std::stringstream buffer;
  buffer << file.rdbuf();
  const std::string doc = buffer.str();

  std::set<std::string> keys;
  Session s = MakeSession();
  s.processes[0].sockets = {FdSocket{3, SocketOf(TcpFlow("10.71.1.2", 1, "10.71.2.2", 2))}};
  ReportInput with_namespace = s.Input();
  with_namespace.session.target_namespace = TargetNamespace{};
  CollectKeys(MustParse(RenderJson(with_namespace)), keys);
  for (FindingKind kind :
       {FindingKind::kDnsError, FindingKind::kTlsAlert, FindingKind::kNeighbourUnreachable}) {
    CollectKeys(MustParse(RenderJson(ScenarioFor(kind).Input())), keys);
  }
  KindScenario rich = ScenarioFor(FindingKind::kRefusedByRst);
  Finding& f = rich.findings[0];
  f.handshake = HandshakeDetail{{kT0}, 1, false, true};
  f.icmp = IcmpDetail{};
  f.stream = StreamDetail{};
  f.retransmissions = RetransmissionDetail{};
  f.dns = DnsDetail{};
  f.tls = TlsDetail{};
  f.neighbour = NeighbourDetail{};
  f.resolved_by = f.call;
  f.resolved_by->waited = {FdSocket{3, SocketOf(TcpFlow("10.71.1.2", 1, "10.71.2.2", 2))}};
  CollectKeys(MustParse(RenderJson(rich.Input())), keys);
  CollectKeys(MustParse(RenderJson(RingScenario().Input())), keys);
  EXPECT_GT(keys.size(), 100u);
  for (const std::string& key : keys) {
    EXPECT_TRUE(MentionsWord(doc, key)) << "field \"" << key << "\" is not in docs/json.md";
  }
}

}  // namespace
}  // namespace netcorr::report
