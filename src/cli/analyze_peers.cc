#include "src/cli/analyze_peers.h"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "capture/decode.h"
#include "capture/pcap_file.h"
#include "correlate/peer_alignment.h"
#include "correlate/peer_path.h"
#include "src/analyze/json_record.h"

namespace netcorr::cli {

namespace {

void Note(const std::string& line) { std::fprintf(stderr, "netcorr: %s\n", line.c_str()); }

}  // namespace

absl::StatusOr<std::vector<Packet>> ReadCapturePackets(const std::string& path) {
  auto reader = capture::PcapFileReader::Open(path);
  if (!reader.ok()) return reader.status();
  std::vector<Packet> packets;
  uint64_t records = 0;
  while (true) {
    auto next = (*reader)->Next();
    if (!next.ok()) {
      Note(absl::StrCat(next.status().message(), " (using the packets before it)"));
      break;
    }
    if (!next->has_value()) break;
    ++records;
    absl::StatusOr<Packet> p = capture::DecodePacket(**next);
    if (!p.ok()) continue;
    p->id = records;
    packets.push_back(*std::move(p));
  }
  if (records > 0 && packets.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": link type ", (*reader)->link_type(), " is not one netcorr decodes"));
  }
  return packets;
}

absl::StatusOr<analyze::StraceParseResult> ReadRecordAsLog(const std::string& path,
                                                           std::string& pcap_path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot be read"));
  std::ostringstream text;
  text << in.rdbuf();
  absl::StatusOr<analyze::JsonRecord> record = analyze::ParseJsonRecord(text.str());
  if (!record.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", record.status().message()));
  }
  if (pcap_path.empty() && !record->capture_file.empty()) {
    pcap_path = record->capture_file;
    Note(absl::StrCat("reading the session's own capture ", pcap_path, " (its -w file)"));
  }
  analyze::StraceParseResult log;
  log.calls = std::move(record->calls);
  log.processes = std::move(record->processes);
  log.has_timestamps = log.has_durations = log.has_socket_decoding = true;
  return log;
}

absl::StatusOr<std::vector<report::PeerCaptureInfo>> JudgeWithPeers(
    const std::vector<std::string>& peer_paths, const std::string& our_pcap,
    correlate::LocalAddresses local, std::vector<Finding>& findings) {
  std::vector<report::PeerCaptureInfo> infos;
  if (peer_paths.empty()) return infos;
  // Ours, read again: the session streamed it, the alignment needs all of it.
  absl::StatusOr<std::vector<Packet>> ours = ReadCapturePackets(our_pcap);
  if (!ours.ok()) return ours.status();
  // Which of our packets went out, which came in.
  for (const Finding& f : findings) {
    if (f.flow.has_value()) local.Add(f.flow->local.addr);
  }
  std::vector<correlate::PeerCapture> peers;
  for (const std::string& path : peer_paths) {
    absl::StatusOr<std::vector<Packet>> packets = ReadCapturePackets(path);
    if (!packets.ok()) return packets.status();
    correlate::PeerCapture peer{path, *std::move(packets), {}};
    peer.alignment = correlate::AlignPeerClock(*ours, peer.packets, local);
    const correlate::PeerAlignment& a = peer.alignment;
    if (a.aligned) {
      Note(absl::StrFormat(
          "peer capture %s: its clock is %+.6f s from ours (+- %.6f s, %d packets matched)", path,
          static_cast<double>(a.offset_ns) / 1e9, static_cast<double>(a.bound_ns) / 1e9,
          a.matched));
    } else {
      Note(absl::StrCat("peer capture ", path, ": ", a.note));
    }
    infos.push_back({path, a.aligned, a.offset_ns, a.bound_ns, a.matched, peer.packets.size(),
                     a.both_directions, a.covered_first_ns, a.covered_last_ns, a.note});
    peers.push_back(std::move(peer));
  }
  correlate::JudgePaths(findings, *ours, peers);
  return infos;
}

}  // namespace netcorr::cli
