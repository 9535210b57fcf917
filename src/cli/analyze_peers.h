#pragma once

// The parts of `netcorr analyze` issue 15 added, kept apart from the session's own reading:
// a live session's --json record read as the log (--record), and the peer captures aligned to
// ours with each finding's path verdict (--peer-pcap; docs/analyze.md, "Peer captures").

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "correlate/local_addresses.h"
#include "src/analyze/strace_log.h"
#include "src/model/finding.h"
#include "src/model/packet.h"
#include "src/model/syscall_event.h"
#include "src/report/report.h"

namespace netcorr::cli {

// Every record of a pcap or pcapng file, decoded and numbered as Wireshark numbers the frames
// (an undecodable record keeps its number). A record cut in the middle ends the reading with a
// note on stderr; the packets before it are kept.
absl::StatusOr<std::vector<Packet>> ReadCapturePackets(const std::string& path);

// `analyze --record F.json`: a live session's --json document read as the log: its calls carry
// what strace -yy -ttt -T would. `pcap_path`: the capture to read; when empty, it becomes the
// session's -w file the document names.
absl::StatusOr<analyze::StraceParseResult> ReadRecordAsLog(const std::string& path,
                                                           std::string& pcap_path);

// `analyze --peer-pcap`: reads our capture `our_pcap` and each peer capture, aligns each peer's
// clock to ours and sets every finding's path verdict. `local` holds the local addresses the
// log's calls showed (the findings' own are added): all the alignment needs of the log, which
// the session has streamed by then. Returns what the session records of each peer capture, or
// the error of a capture that cannot be read. Nothing to do without peers.
absl::StatusOr<std::vector<report::PeerCaptureInfo>> JudgeWithPeers(
    const std::vector<std::string>& peer_paths, const std::string& our_pcap,
    correlate::LocalAddresses local, std::vector<Finding>& findings);

}  // namespace netcorr::cli
