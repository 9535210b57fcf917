#include "src/cli/proc_status.h"

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace netcorr::cli {

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<int64_t> StatusNumbers(absl::string_view status, absl::string_view field) {
  std::vector<int64_t> out;
  for (absl::string_view line : absl::StrSplit(status, '\n')) {
    if (!absl::ConsumePrefix(&line, field)) continue;
    for (absl::string_view word : absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty())) {
      int64_t n = 0;
      if (absl::SimpleAtoi(word, &n)) out.push_back(n);
    }
    break;
  }
  return out;
}

}  // namespace netcorr::cli
