// Fuzzes the TLS record, alert and ClientHello decoder.
#include <cstddef>
#include <cstdint>

#include "capture/decode.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::optional<netcorr::TlsRecordInfo> t = netcorr::capture::DecodeTls({data, size});
  if (t && t->client_hello && t->client_hello->supported_versions.size() > size) __builtin_trap();
  return 0;
}
