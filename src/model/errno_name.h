#pragma once

#include <string>

namespace netcorr {

// "ECONNREFUSED" for 111; "E123" for a number the C library does not name.
std::string ErrnoName(int err);
// "Connection refused".
std::string ErrnoDescription(int err);

}  // namespace netcorr
