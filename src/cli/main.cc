#include <cstdio>
#include <string>
#include <vector>

#include "src/cli/analyze_session.h"
#include "src/cli/live_session.h"
#include "src/cli/options.h"

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
      std::printf("netcorr %s\n", netcorr::cli::kNetcorrVersion);
      return 0;
    case netcorr::cli::Mode::kLaunch:
    case netcorr::cli::Mode::kAttach:
      return netcorr::cli::RunLiveSession(*options);
    case netcorr::cli::Mode::kAnalyze:
      return netcorr::cli::RunAnalyzeSession(*options);
  }
  return 2;
}
