#pragma once

#include "src/cli/options.h"

namespace netcorr::cli {

// `netcorr analyze --strace FILE --pcap FILE`: explains an existing strace log with an existing
// capture, through the same correlator and report as a live session. Returns 0 when a report
// was written, 1 with a one-line error otherwise.
int RunAnalyzeSession(const Options& options);

}  // namespace netcorr::cli
