// End-to-end stories about one TCP connection's life, told live and offline (tests/support/
// story.h): one finding per cause, whatever the number of calls it hit, and never a failure for
// a run that succeeded.
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/requirements.h"
#include "tests/support/story.h"
#include "tests/support/story_fixture.h"

namespace netcorr::testing {
namespace {

using ::testing::SizeIs;

class ConnectionStory : public StoryFixture, public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    NETCORR_REQUIRE(Root("namespaces, ptrace and capture"), Program("/usr/bin/strace"),
                    Program("/usr/bin/tcpdump"));
    MakeWorld();
  }

  bool v6() const { return GetParam(); }
  std::string Server() const { return v6() ? kServerV6 : kServerV4; }
};

TEST_P(ConnectionStory, RefusedConnectIsOneFailureBothWays) {
  const std::vector<Told> told =
      TellBothWays({ExamplePath("tcp_client"), "--host", Server(), "--port", "7001"});
  ASSERT_THAT(told, SizeIs(2));
  for (const Told& t : told) {
    const std::vector<const JsonValue*> failures = Failures(t.report);
    ASSERT_THAT(failures, SizeIs(1)) << t.Describe();
    EXPECT_EQ((*failures[0])["kind"].string, "refused_by_rst") << t.Describe();
    EXPECT_EQ((*failures[0])["call"]["errno"].string, "ECONNREFUSED") << t.Describe();
  }
}

// curl uploads through a path MTU black hole: the headers pass, every full-size segment of the
// body vanishes. curl polls once a second and carries on until the kernel gives up on the
// connection (tcp_retries2 lowered so that takes seconds) and recv fails with ETIMEDOUT: one
// finding, on that recv, whose evidence is the whole retransmission series and whose stalled
// waits are curl's polls.
TEST_P(ConnectionStory, StalledCurlUploadIsOneFindingOnTheCallThatFailed) {
  ASSERT_TRUE(world_->Serve("tcp", 8080).ok());
  ASSERT_TRUE(world_->Fault({"pmtu-blackhole"}).ok());
  auto sysctl = world_->RunInClient(
      {"sysctl", "-qw", "net.ipv4.tcp_retries2=4"}, absl::Seconds(5));  // v4 and v6 alike
  ASSERT_TRUE(sysctl.ok() && sysctl->exit_code == 0);
  const std::string upload = dir_.File("upload.bin");
  {
    std::string bytes(300000, 'x');
    FILE* f = fopen(upload.c_str(), "w");
    ASSERT_NE(f, nullptr);
    fwrite(bytes.data(), 1, bytes.size(), f);
    fclose(f);
  }
  const std::string host = v6() ? "[" + Server() + "]" : Server();
  const std::vector<Told> told = TellBothWays({"/usr/bin/curl", "-sS", "-H", "Expect:", "-T",
                                               upload, "http://" + host + ":8080/", "-o",
                                               "/dev/null"});
  ASSERT_THAT(told, SizeIs(2));
  for (const Told& t : told) {
    ASSERT_THAT(t.report["findings"].array, SizeIs(1)) << t.Describe();
    const JsonValue& f = t.report["findings"][0];
    EXPECT_EQ(f["kind"].string, "pmtu_blackhole") << t.Describe();
    EXPECT_EQ(f["severity"].string, "failure");
    EXPECT_EQ(f["call"]["errno"].string, "ETIMEDOUT") << t.Describe();
    // The series began long before the recv that failed, and it is all evidence.
    EXPECT_GE(f["retransmissions"]["count"].int_value, 3) << t.Describe();
    EXPECT_LT(f["retransmissions"]["first_ns"].int_value, f["call"]["entry_ns"].int_value - 1e9);
    EXPECT_GE(f["evidence"].array.size(), 3u);
    EXPECT_GE(f["stalled_waits"]["count"].int_value, 2) << t.Describe();
    EXPECT_EQ(f["stalled_waits"]["first"]["name"].string, "poll");
  }
}

// nc never gives up on a connect whose SYNs are dropped; netcorr stops it after 3 s. The connect
// is still blocked (its wait was interrupted by netcorr): no errno the program never got.
TEST_P(ConnectionStory, ConnectNetcorrInterruptedIsStillBlocked) {
  ASSERT_TRUE(world_->Fault({"syn-drop-server", "7002"}).ok());
  absl::StatusOr<Told> t = story_->Live({"/usr/bin/nc", Server(), "7002"},
                                        LiveOptions{.flags = {"--duration", "3"}});
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_THAT(t->report["findings"].array, SizeIs(1)) << t->Describe();
  const JsonValue& f = t->report["findings"][0];
  EXPECT_EQ(f["kind"].string, "syn_unanswered") << t->Describe();
  EXPECT_EQ(f["severity"].string, "failure");
  EXPECT_TRUE(f["outcome_errno"].is_null()) << t->Describe();
  EXPECT_TRUE(absl::StrContains(f["summary"].string, "still")) << f["summary"].string;
  EXPECT_FALSE(absl::StrContains(f["summary"].string, "abandoned")) << f["summary"].string;
  EXPECT_GE(f["handshake"]["syn_count"].int_value, 2);
}

// curl given both addresses of a dual-stack name whose IPv6 path drops SYNs: Happy Eyeballs
// (RFC 8305) starts IPv4 after 200 ms, which succeeds. The run succeeded: no failure; the
// abandoned IPv6 attempt is worth knowing (slow or info), not a failure.
TEST(ConnectionStoryDualStack, HappyEyeballsFallbackIsNeverAFailure) {
  NETCORR_REQUIRE(Root("namespaces, ptrace and capture"), Program("/usr/bin/strace"),
                  Program("/usr/bin/tcpdump"));
  auto world = World::Create();
  ASSERT_TRUE(world.ok()) << world.status();
  TempDir dir;
  StoryRunner story(**world, dir);
  ASSERT_TRUE((*world)->Serve("tcp", 8080).ok());
  ASSERT_TRUE((*world)->Fault({"syn-drop-server-v6", "8080"}).ok());
  const std::vector<std::string> curl = {
      "/usr/bin/curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
      "--resolve", std::string("dual.test:8080:[") + kServerV6 + "]," + kServerV4,
      "http://dual.test:8080/"};
  absl::StatusOr<Told> live = story.Live(curl);
  absl::StatusOr<Told> offline = story.Recorded(curl);
  for (absl::StatusOr<Told>* told : {&live, &offline}) {
    ASSERT_TRUE(told->ok()) << told->status();
    const Told& t = **told;
    EXPECT_THAT(Failures(t.report), SizeIs(0)) << t.Describe();
    const std::vector<const JsonValue*> fallback = FindingsOfKind(t.report, "syn_unanswered");
    ASSERT_THAT(fallback, SizeIs(1)) << t.Describe();
    EXPECT_NE((*fallback[0])["severity"].string, "failure");
    EXPECT_EQ((*fallback[0])["flow"]["remote"]["ip"].string, kServerV6);
    EXPECT_TRUE(absl::StrContains((*fallback[0])["summary"].string, kServerV4))
        << (*fallback[0])["summary"].string;
  }
  EXPECT_TRUE(absl::StrContains(live->netcorr.out, "200")) << live->netcorr.out;
}

// A host absent from the client's own link: the kernel's ARP requests (neighbour solicitations)
// go unanswered, the SYN never leaves, connect fails EHOSTUNREACH after ~3 s, and the only other
// packet is the kernel's own ICMP host-unreachable on lo, which is no firewall.
TEST_P(ConnectionStory, AbsentHostOnTheLinkIsOneNeighbourFailureBothWays) {
  ASSERT_TRUE(world_->Fault({"host-absent"}).ok());
  const std::string absent = v6() ? kAbsentHostV6 : kAbsentHostV4;
  const std::vector<Told> told =
      TellBothWays({ExamplePath("tcp_client"), "--host", absent, "--port", "80"});
  ASSERT_THAT(told, SizeIs(2));
  for (const Told& t : told) {
    const std::vector<const JsonValue*> failures = Failures(t.report);
    ASSERT_THAT(failures, SizeIs(1)) << t.Describe();
    const JsonValue& f = *failures[0];
    EXPECT_EQ(f["kind"].string, "neighbour_unreachable") << t.Describe();
    EXPECT_EQ(f["call"]["name"].string, "connect") << t.Describe();
    EXPECT_EQ(f["call"]["errno"].string, "EHOSTUNREACH") << t.Describe();
    EXPECT_EQ(f["neighbour"]["next_hop"].string, absent) << t.Describe();
    EXPECT_EQ(f["neighbour"]["v6"].boolean, v6()) << t.Describe();
    EXPECT_GE(f["neighbour"]["requests"].int_value, 1) << t.Describe();
    EXPECT_FALSE(f["neighbour"]["answered"].boolean) << t.Describe();
    EXPECT_FALSE(absl::StrContains(f["summary"].string, "firewall")) << t.Describe();
    EXPECT_TRUE(absl::StrContains(f["hint"].string, "ip neigh")) << t.Describe();
    // The evidence: requests for the absent host, and no SYN among it.
    ASSERT_GE(f["evidence"].size(), 1u) << t.Describe();
    int requests = 0;
    for (const JsonValue& id : f["evidence"].array) {
      for (const JsonValue& p : t.report["packets"].array) {
        if (p["id"].int_value != id.int_value) continue;
        EXPECT_TRUE(p["tcp"].is_null()) << p["display"].string << "\n" << t.Describe();
        if (!p["neighbour"].is_null() && p["neighbour"]["op"].string == "request" &&
            p["neighbour"]["target_ip"].string == absent) {
          ++requests;
        }
      }
    }
    EXPECT_EQ(requests, f["neighbour"]["requests"].int_value) << t.Describe();
  }
}

// A program that keeps every connection to one server open, in a namespace whose ephemeral
// port range has 4 ports: the fifth connect finds no local port (EADDRNOTAVAIL) and sends
// nothing. Live, netcorr read the range; offline it cannot know it. Each run goes to its own
// server port: the first run's ports sit in TIME_WAIT towards its port for a minute.
TEST_P(ConnectionStory, ExhaustedEphemeralPortsAreOneNoPacketSentBothWays) {
  ASSERT_TRUE(world_->Fault({"port-range", "40000", "40003"}).ok());
  for (int port : {7100, 7101}) ASSERT_TRUE(world_->Serve("tcp", port).ok());
  auto hold = [&](int port) {
    return std::vector<std::string>{ExamplePath("hold_connections"),
                                    "--host",
                                    Server(),
                                    "--port",
                                    std::to_string(port),
                                    "--max",
                                    "16"};
  };
  absl::StatusOr<Told> live = story_->Live(hold(7100));
  ASSERT_TRUE(live.ok()) << live.status();
  absl::StatusOr<Told> offline = story_->Recorded(hold(7101));
  ASSERT_TRUE(offline.ok()) << offline.status();
  for (const auto& [t, port] : {std::pair<const Told*, int>{&*live, 7100}, {&*offline, 7101}}) {
    const std::string destination =
        v6() ? absl::StrCat("[", Server(), "]:", port) : absl::StrCat(Server(), ":", port);
    const std::vector<const JsonValue*> failures = Failures(t->report);
    ASSERT_THAT(failures, SizeIs(1)) << t->Describe();
    const JsonValue& f = *failures[0];
    EXPECT_EQ(f["kind"].string, "no_packet_sent") << t->Describe();
    EXPECT_EQ(f["call"]["name"].string, "connect") << t->Describe();
    EXPECT_EQ(f["call"]["errno"].string, "EADDRNOTAVAIL") << t->Describe();
    EXPECT_EQ(f["evidence"].size(), 0u) << t->Describe();
    EXPECT_TRUE(absl::StrContains(f["hint"].string,
                                  absl::StrCat("holds 4 local ports towards ", destination)))
        << f["hint"].string << "\n"
        << t->Describe();
    EXPECT_TRUE(absl::StrContains(f["hint"].string, "net.ipv4.ip_local_port_range"))
        << t->Describe();
  }
  EXPECT_TRUE(absl::StrContains((*Failures(live->report)[0])["hint"].string,
                                "net.ipv4.ip_local_port_range is 40000-40003 (4 ports)"))
      << live->Describe();
  EXPECT_TRUE(absl::StrContains((*Failures(live->report)[0])["summary"].string, "exhausted"))
      << live->Describe();
  EXPECT_TRUE(absl::StrContains((*Failures(offline->report)[0])["hint"].string, "is unknown"))
      << offline->Describe();
}

INSTANTIATE_TEST_SUITE_P(IpVersions, ConnectionStory, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "v6" : "v4";
                         });

}  // namespace
}  // namespace netcorr::testing
