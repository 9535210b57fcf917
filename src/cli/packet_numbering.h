#pragma once

#include <cstdint>
#include <optional>

#include "absl/functional/function_ref.h"
#include "capture/raw_packet.h"
#include "src/model/packet.h"

namespace netcorr::cli {

// Numbers a session's packets as they are in the -w file (frame numbers start at 1, as
// Wireshark counts) and decodes them for the correlator and the report. Keeps nothing: the
// session hands each packet on to the correlator, its record and its files.
class PacketNumbering {
 public:
  struct Numbered {
    uint64_t frame = 0;
    std::optional<Packet> packet;  // unset when the record could not be decoded at all
  };
  // `keep` sees each decoded packet first: one it rejects (another program's traffic let in by
  // a broad kernel filter) is not numbered and returns nullopt. Undecodable records are
  // numbered (they still go to the file) and counted.
  std::optional<Numbered> Add(
      const capture::RawPacket& raw,
      absl::FunctionRef<bool(const Packet&)> keep = [](const Packet&) { return true; });

  uint64_t undecodable() const { return undecodable_; }
  uint64_t size() const { return records_; }

 private:
  uint64_t records_ = 0;
  uint64_t undecodable_ = 0;
};

}  // namespace netcorr::cli
