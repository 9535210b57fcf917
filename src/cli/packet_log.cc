#include "src/cli/packet_log.h"

#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_join.h"
#include "capture/decode.h"
#include "capture/pcapng_writer.h"
#include "src/report/report.h"

namespace netcorr::cli {

const Packet* PacketLog::Add(capture::RawPacket raw, absl::FunctionRef<bool(const Packet&)> keep) {
  auto decoded = capture::DecodePacket(raw);
  if (decoded.ok() && !keep(*decoded)) return nullptr;
  ++records_;
  if (keep_raw_) raw_.push_back(std::move(raw));
  if (!decoded.ok()) {
    ++undecodable_;
    return nullptr;
  }
  decoded->id = records_;
  decoded_.push_back(std::move(*decoded));
  return &decoded_.back();
}

absl::Status PacketLog::WritePcapng(const std::string& path, int snaplen,
                                    absl::Span<const Finding> findings) const {
  if (!keep_raw_) return absl::FailedPreconditionError("the packets' bytes were not kept");
  absl::flat_hash_map<uint64_t, std::vector<std::string>> comments;
  for (size_t i = 0; i < findings.size(); ++i) {
    const std::string comment = report::EvidenceComment(findings[i], static_cast<int>(i + 1));
    for (uint64_t id : findings[i].evidence) comments[id].push_back(comment);
  }
  auto writer = capture::PcapngWriter::Create(path, static_cast<uint32_t>(snaplen));
  if (!writer.ok()) return writer.status();
  for (size_t i = 0; i < raw_.size(); ++i) {
    std::string comment;
    if (auto it = comments.find(i + 1); it != comments.end()) {
      comment = absl::StrJoin(it->second, "; ");
    }
    if (absl::Status s = (*writer)->Write(raw_[i], comment); !s.ok()) return s;
  }
  return (*writer)->Close();
}

}  // namespace netcorr::cli
