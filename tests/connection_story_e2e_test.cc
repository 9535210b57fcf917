// End-to-end stories about one TCP connection's life, told live and offline (tests/support/
// story.h): one finding per cause, whatever the number of calls it hit, and never a failure for
// a run that succeeded.
#include <string>
#include <vector>

#include "absl/strings/match.h"
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

INSTANTIATE_TEST_SUITE_P(IpVersions, ConnectionStory, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "v6" : "v4";
                         });

}  // namespace
}  // namespace netcorr::testing
