#pragma once

#include "src/cli/options.h"

namespace netcorr::cli {

inline constexpr const char* kNetcorrVersion = NETCORR_VERSION;  // project(VERSION) in CMake

// Runs `netcorr -- CMD` or `netcorr -p PID`: traces, captures, correlates, prints live lines and
// the final report. Returns netcorr's exit status: the traced program's in launch mode, 0 after
// a detach in attach mode, 1 when netcorr itself could not do its job (the one-line reason has
// been printed).
int RunLiveSession(const Options& options);

}  // namespace netcorr::cli
