// Fuzzes capture file reading (libpcap's pcap and pcapng parsers through fmemopen) followed by
// decoding every record, as `netcorr analyze` does with a user's file.
#include <cstddef>
#include <cstdint>

#include "capture/decode.h"
#include "capture/pcap_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace netcorr::capture;  // NOLINT
  auto reader = PcapFileReader::OpenMemory({data, size});
  if (!reader.ok()) return 0;
  for (int i = 0; i < 1000; ++i) {  // bounded: a record is at least 16 bytes anyway
    auto next = (*reader)->Next();
    if (!next.ok() || !next->has_value()) break;
    (void)DecodePacket(**next);
  }
  return 0;
}
