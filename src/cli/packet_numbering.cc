#include "src/cli/packet_numbering.h"

#include <utility>

#include "capture/decode.h"

namespace netcorr::cli {

std::optional<PacketNumbering::Numbered> PacketNumbering::Add(
    const capture::RawPacket& raw, absl::FunctionRef<bool(const Packet&)> keep) {
  auto decoded = capture::DecodePacket(raw);
  if (decoded.ok() && !keep(*decoded)) return std::nullopt;
  Numbered n;
  n.frame = ++records_;
  if (!decoded.ok()) {
    ++undecodable_;
    return n;
  }
  decoded->id = n.frame;
  n.packet = std::move(*decoded);
  return n;
}

}  // namespace netcorr::cli
