#pragma once

// What every story suite's fixture holds: a fresh world, a temp dir and a StoryRunner, and the
// one way a story is told both ways (live, then recorded and analysed), with the two reports
// checked by the same expectations (tests/support/story.h). Test-only, header-only.

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/story.h"

namespace netcorr::testing {

// What the program printed: live, its stdout is netcorr's; offline, strace's.
inline const std::string& ProgramOutput(const Told& t) {
  return t.how == "live" ? t.netcorr.out : t.program.out;
}

class StoryFixture {
 protected:
  // Call from SetUp(), after the test's requirements.
  void MakeWorld() {
    auto world = World::Create();
    ASSERT_TRUE(world.ok()) << world.status();
    world_ = std::move(*world);
    story_ = std::make_unique<StoryRunner>(*world_, dir_);
  }

  // The story told live, then recorded and analysed; a way that could not be told fails the
  // test and is left out, so callers assert SizeIs(2) first.
  std::vector<Told> TellBothWays(const std::vector<std::string>& argv,
                                 const LiveOptions& live = {}) {
    return testing::TellBothWays(*story_, argv, live);
  }

  std::unique_ptr<World> world_;
  TempDir dir_;
  std::unique_ptr<StoryRunner> story_;
};

}  // namespace netcorr::testing
