// Fuzzes the DNS header and question decoder (compression pointers, label escaping).
#include <cstddef>
#include <cstdint>

#include "capture/decode.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::optional<netcorr::DnsMessage> m = netcorr::capture::DecodeDns({data, size});
  // A decoded name never exceeds 255 wire bytes, each escaped to at most 4 characters.
  if (m && m->qname.size() > 4 * 255) __builtin_trap();
  return 0;
}
