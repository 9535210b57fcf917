#include "correlate/correlator_test_fixture.h"

namespace netcorr::correlate::testing {
namespace {

// Every TEST_P(CorrelatorTest, ...) of the correlator_*_test.cc files, once over IPv4 and once
// over IPv6.
INSTANTIATE_TEST_SUITE_P(V4AndV6, CorrelatorTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "IPv6" : "IPv4"; });

}  // namespace
}  // namespace netcorr::correlate::testing
