#include <cstdio>
#include <string>
#include <vector>

#include "src/cli/options.h"

namespace {
constexpr const char* kVersion = "0.1.0";
}

int main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  auto options = netcorr::cli::ParseOptions(args);
  if (!options.ok()) {
    std::fprintf(stderr, "netcorr: %s\n", std::string(options.status().message()).c_str());
    return 2;
  }
  switch (options->mode) {
    case netcorr::cli::Mode::kHelp:
      std::fputs(netcorr::cli::UsageText().c_str(), stdout);
      return 0;
    case netcorr::cli::Mode::kVersion:
      std::printf("netcorr %s\n", kVersion);
      return 0;
    default:
      std::fprintf(stderr, "netcorr: this build has no tracer yet\n");
      return 2;
  }
}
