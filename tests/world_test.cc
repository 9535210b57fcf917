// Tests of the fixture's plumbing, most of which need no root: running a command with a deadline,
// and networld.sh's refusal of bad arguments (which must happen before it touches anything).
#include "tests/world/world.h"

#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/requirements.h"

namespace netcorr::testing {
namespace {

using ::testing::HasSubstr;

TEST(RunCommandTest, CapturesOutputAndExitStatus) {
  absl::StatusOr<CommandResult> r =
      RunCommand({"sh", "-c", "echo out; echo err >&2; exit 3"}, absl::Seconds(10));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->out, "out\n");
  EXPECT_EQ(r->err, "err\n");
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_FALSE(r->timed_out);
}

TEST(RunCommandTest, ReportsDeathBySignal) {
  absl::StatusOr<CommandResult> r = RunCommand({"sh", "-c", "kill -TERM $$"}, absl::Seconds(10));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 128 + SIGTERM);
}

TEST(RunCommandTest, AddsEnvironment) {
  absl::StatusOr<CommandResult> r =
      RunCommand({"sh", "-c", "echo $NETCORR_X"}, absl::Seconds(10), {"NETCORR_X=42"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->out, "42\n");
}

TEST(RunCommandTest, DeadlineKillsTheWholeProcessGroup) {
  const auto start = std::chrono::steady_clock::now();
  // The background sleep keeps stdout open: only killing the group ends the wait.
  absl::StatusOr<CommandResult> r =
      RunCommand({"sh", "-c", "echo started; sleep 30 & sleep 30"}, absl::Milliseconds(300));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->timed_out);
  EXPECT_EQ(r->out, "started\n");
  EXPECT_EQ(r->exit_code, 128 + SIGKILL);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(RunCommandTest, MissingProgramExits127) {
  absl::StatusOr<CommandResult> r =
      RunCommand({"/nonexistent/netcorr-no-such-program"}, absl::Seconds(10));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 127);
}

TEST(NetworldScriptTest, HelpListsEveryFault) {
  absl::StatusOr<CommandResult> r = RunCommand({NetworldScript(), "help"}, absl::Seconds(10));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 0);
  for (const char* fault :
       {"no-listener",           "udp-closed",           "syn-drop-server", "syn-drop-server-v6",
        "syn-drop-first",        "reject-router",        "reject-server",   "no-route",
        "client-output-drop",    "client-output-reject", "reset-server",    "dns-drop",
        "dns-servfail",          "dns-nxdomain",         "dns-refused",     "dns-truncate",
        "dns-no-aaaa",           "resolver-v6",          "tls-alert",       "pmtu-blackhole",
        "syn-drop-router",       "synack-drop-router",   "reset-router",    "udp-drop-server",
        "udp-answer-drop-router"}) {
    EXPECT_THAT(r->out, HasSubstr(fault));
  }
}

TEST(NetworldScriptTest, RejectsBadArgumentsBeforeDoingAnything) {
  NETCORR_REQUIRE(Root("networld.sh refuses everything without it"));
  struct Case {
    std::vector<std::string> args;
    const char* message;
  };
  const Case cases[] = {
      {{"up", "bad-name"}, "must be 1-24 letters"},
      {{"up", "abcdefghijklmnopqrstuvwxyz"}, "must be 1-24 letters"},
      {{"up", "ncbad", "--owner", "x"}, "--owner needs a PID"},
      {{"fault", "ncnosuchworld", "no-route"}, "does not exist"},
      {{"exec", "ncnosuchworld", "q", "true"}, "node must be c, r or s"},
      {{"frobnicate", "x"}, "usage"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> argv = {NetworldScript()};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    absl::StatusOr<CommandResult> r = RunCommand(argv, absl::Seconds(10));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_NE(r->exit_code, 0) << c.args[0];
    EXPECT_THAT(r->err, HasSubstr(c.message)) << c.args[0];
  }
  struct stat st;
  EXPECT_NE(stat("/run/netns/ncbad-c", &st), 0);
}

}  // namespace
}  // namespace netcorr::testing
