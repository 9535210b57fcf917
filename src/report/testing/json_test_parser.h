#pragma once

// The report's tests read --json output with the strict parser `analyze --record` uses
// (src/analyze/json_parser.h), under the names they have always used.

#include "src/analyze/json_parser.h"

namespace netcorr::report::testing {

using ::netcorr::analyze::JsonValue;
using ::netcorr::analyze::ParseJson;

}  // namespace netcorr::report::testing
