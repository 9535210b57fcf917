#include "src/model/errno_name.h"

#include <string.h>

#include "absl/strings/str_cat.h"

namespace netcorr {

std::string ErrnoName(int err) {
  const char* name = strerrorname_np(err);
  return name != nullptr ? std::string(name) : absl::StrCat("E", err);
}

std::string ErrnoDescription(int err) {
  const char* desc = strerrordesc_np(err);
  return desc != nullptr ? std::string(desc) : absl::StrCat("Unknown error ", err);
}

}  // namespace netcorr
