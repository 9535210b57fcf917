#pragma once

// Small readers of /proc files, shared by what the cli reads about a target process.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace netcorr::cli {

// The whole file, "" when it cannot be read.
std::string ReadWholeFile(const std::string& path);

// The numbers on the `field` line of a /proc/PID/status text ("Uid:", "NSpid:",
// "TracerPid:"), in order; empty when the line is missing.
std::vector<int64_t> StatusNumbers(absl::string_view status, absl::string_view field);

}  // namespace netcorr::cli
