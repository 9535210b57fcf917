// A server that accepts and never reads (`server-not-reading`): its window closes, and the
// client's send cannot finish. Told live and offline (tests/support/story.h): one finding,
// zero_window, on the call where the program learned it.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/requirements.h"
#include "tests/support/story.h"

namespace netcorr::testing {
namespace {

using ::testing::AnyOf;
using ::testing::Eq;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr char kPort[] = "7010";

// Python's socket timeout: sendall() polls for POLLOUT before each non-blocking send and raises
// TimeoutError when the total time runs out (3.5+: the timeout bounds the whole sendall).
constexpr char kPythonSendall[] = R"(import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
s.settimeout(3)
s.sendall(b"x" * 20_000_000)
)";

class ZeroWindowStory : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    NETCORR_REQUIRE(Root("namespaces, ptrace and capture"), Program("/usr/bin/strace"),
                    Program("/usr/bin/tcpdump"), Program("/usr/bin/python3"),
                    Program("/usr/bin/timeout"));
    auto world = World::Create();
    ASSERT_TRUE(world.ok()) << world.status();
    world_ = std::move(*world);
    ASSERT_TRUE(world_->Fault({"server-not-reading", kPort}).ok());
    story_ = std::make_unique<StoryRunner>(*world_, dir_);
  }
  std::string Server() const { return GetParam() ? kServerV6 : kServerV4; }

  // The one failure of a report: zero_window, with the peer's zero-window ACKs and our probes.
  const JsonValue* OneZeroWindowFailure(const Told& t) {
    const std::vector<const JsonValue*> failures = Failures(t.report);
    EXPECT_THAT(failures, SizeIs(1)) << t.Describe();
    EXPECT_THAT(t.report["findings"].array, SizeIs(1)) << t.Describe();
    if (failures.size() != 1) return nullptr;
    const JsonValue& f = *failures[0];
    EXPECT_EQ(f["kind"].string, "zero_window") << t.Describe();
    EXPECT_EQ(f["flow"]["remote"]["ip"].string, Server()) << t.Describe();
    EXPECT_EQ(f["flow"]["remote"]["port"].int_value, 7010) << t.Describe();
    const JsonValue& z = f["zero_window"];
    EXPECT_GE(z["zero_window_acks"].int_value, 1) << t.Describe();
    EXPECT_GE(z["probes"].int_value, 1) << t.Describe();
    EXPECT_FALSE(z["reopened"].boolean) << t.Describe();
    EXPECT_GT(z["first_ns"].int_value, 0) << t.Describe();
    EXPECT_GE(f["evidence"].size(), 2u) << t.Describe();
    EXPECT_THAT(f["summary"].string, HasSubstr(" stopped reading: its receive window has been zero"))
        << t.Describe();
    return failures[0];
  }

  std::unique_ptr<World> world_;
  TempDir dir_;
  std::unique_ptr<StoryRunner> story_;
};

TEST_P(ZeroWindowStory, PythonSendallWithATimeoutGivesUpOnAZeroWindow) {
  const std::vector<std::string> argv = {"/usr/bin/python3", "-c", kPythonSendall, Server(),
                                         kPort};
  absl::StatusOr<Told> live = story_->Live(argv);
  ASSERT_TRUE(live.ok()) << live.status();
  absl::StatusOr<Told> offline = story_->Recorded(argv);
  ASSERT_TRUE(offline.ok()) << offline.status();
  EXPECT_EQ(live->netcorr.exit_code, 1) << live->Describe();  // TimeoutError
  EXPECT_THAT(offline->program.err, HasSubstr("TimeoutError")) << offline->Describe();
  for (const Told* t : {&*live, &*offline}) {
    const JsonValue* f = OneZeroWindowFailure(*t);
    if (f == nullptr) continue;
    // Where python learned it: the poll for POLLOUT that timed out (or a send after it).
    EXPECT_THAT((*f)["call"]["name"].string, AnyOf(Eq("poll"), Eq("sendto")))
        << t->Describe();
    EXPECT_TRUE((*f)["call"]["finished"].boolean) << t->Describe();
  }
}

// A blocking send() the window holds until tracing stops: live, `netcorr --duration 3`;
// offline, the recording colleague's `timeout -s KILL 3` ends it in the same state (a SIGKILL
// never lets the call return; a SIGTERM would make it return the bytes it had taken).
TEST_P(ZeroWindowStory, BlockingSendStillBlockedWhenTracingStops) {
  const std::vector<std::string> client = {ExamplePath("tcp_client"), "--host", Server(),
                                           "--port", kPort, "--send", "20000000"};
  LiveOptions options;
  options.flags = {"--duration", "3"};
  absl::StatusOr<Told> live = story_->Live(client, options);
  ASSERT_TRUE(live.ok()) << live.status();
  std::vector<std::string> bounded = {"/usr/bin/timeout", "-s", "KILL", "3"};
  bounded.insert(bounded.end(), client.begin(), client.end());
  absl::StatusOr<Told> offline = story_->Recorded(bounded);
  ASSERT_TRUE(offline.ok()) << offline.status();
  for (const Told* t : {&*live, &*offline}) {
    const JsonValue* f = OneZeroWindowFailure(*t);
    if (f == nullptr) continue;
    EXPECT_EQ((*f)["call"]["name"].string, "sendto") << t->Describe();
    EXPECT_FALSE((*f)["call"]["finished"].boolean) << t->Describe();
    EXPECT_TRUE((*f)["call"]["errno"].is_null()) << t->Describe();
    EXPECT_TRUE((*f)["outcome_errno"].is_null()) << t->Describe();
    EXPECT_THAT((*f)["summary"].string, HasSubstr("was still blocked after")) << t->Describe();
  }
}

INSTANTIATE_TEST_SUITE_P(IpVersions, ZeroWindowStory, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "v6" : "v4";
                         });

}  // namespace
}  // namespace netcorr::testing
