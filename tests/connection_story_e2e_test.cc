// End-to-end stories about one TCP connection's life, told live and offline (tests/support/
// story.h): one finding per cause, whatever the number of calls it hit, and never a failure for
// a run that succeeded.
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/requirements.h"
#include "tests/support/story.h"

namespace netcorr::testing {
namespace {

using ::testing::SizeIs;

class ConnectionStory : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    NETCORR_REQUIRE(Root("namespaces, ptrace and capture"), Program("/usr/bin/strace"),
                    Program("/usr/bin/tcpdump"));
    auto world = World::Create();
    ASSERT_TRUE(world.ok()) << world.status();
    world_ = std::move(*world);
    story_ = std::make_unique<StoryRunner>(*world_, dir_);
  }

  bool v6() const { return GetParam(); }
  std::string Server() const { return v6() ? kServerV6 : kServerV4; }

  // The story told live, then recorded and analysed; both must have been told.
  std::vector<Told> TellBothWays(const std::vector<std::string>& argv,
                                 const LiveOptions& live = {}) {
    std::vector<Told> told;
    absl::StatusOr<Told> l = story_->Live(argv, live);
    EXPECT_TRUE(l.ok()) << l.status();
    if (l.ok()) told.push_back(*std::move(l));
    absl::StatusOr<Told> o = story_->Recorded(argv);
    EXPECT_TRUE(o.ok()) << o.status();
    if (o.ok()) told.push_back(*std::move(o));
    return told;
  }

  std::unique_ptr<World> world_;
  TempDir dir_;
  std::unique_ptr<StoryRunner> story_;
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
