#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/types/span.h"
#include "capture/raw_packet.h"
#include "src/model/finding.h"
#include "src/model/packet.h"

namespace netcorr::cli {

// The packets of a session, numbered as they will be in the -w file (frame numbers start at
// 1), kept raw for the pcapng writer and decoded for the correlator and the report.
// Not thread-safe: the session serialises access.
class PacketLog {
 public:
  // `keep_raw`: keep each record's bytes for WritePcapng (only when -w asks for a file; a
  // million packets would otherwise hold the whole capture in memory for nothing).
  explicit PacketLog(bool keep_raw) : keep_raw_(keep_raw) {}

  // Numbers and decodes one captured record; returns the decoded packet (id set), or nullptr if
  // the record could not be decoded at all (it is still kept for the file and counted).
  // `keep` sees each decoded packet first: one it rejects (another program's traffic let in by a
  // broad kernel filter) is neither numbered, kept nor written.
  const Packet* Add(
      capture::RawPacket raw,
      absl::FunctionRef<bool(const Packet&)> keep = [](const Packet&) { return true; });

  absl::Span<const Packet> packets() const { return decoded_; }
  uint64_t undecodable() const { return undecodable_; }
  uint64_t size() const { return records_; }

  // Writes every record to `path` as pcapng; each evidence packet carries a comment naming the
  // finding(s) it explains (findings are ranked: finding n is findings[n-1]). Needs keep_raw.
  absl::Status WritePcapng(const std::string& path, int snaplen,
                           absl::Span<const Finding> findings) const;

 private:
  bool keep_raw_;
  uint64_t records_ = 0;
  std::vector<capture::RawPacket> raw_;
  std::vector<Packet> decoded_;
  uint64_t undecodable_ = 0;
};

}  // namespace netcorr::cli
