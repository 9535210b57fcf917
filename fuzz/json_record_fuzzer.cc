// Fuzzes `analyze --record`'s reader (src/analyze): the strict JSON parser and the conversion
// of a --json document's calls and processes back into model values.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "src/analyze/json_parser.h"
#include "src/analyze/json_record.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<netcorr::analyze::JsonRecord> r = netcorr::analyze::ParseJsonRecord(text);
  if (r.ok()) {
    // A record is a JSON document: what the reader accepted, the parser accepts; every call
    // it kept has a name.
    if (!netcorr::analyze::ParseJson(text).ok()) __builtin_trap();
    for (const netcorr::SyscallEvent& c : r->calls) {
      if (c.name.empty()) __builtin_trap();
    }
  } else if (r.status().message().empty()) {
    __builtin_trap();  // errors name the problem
  }
  return 0;
}
