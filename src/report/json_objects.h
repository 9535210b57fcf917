#pragma once

// The objects the --json document (json_report.cc) is made of, one writer per model value:
// calls and process events (json_events.cc), findings (json_finding.cc), packets
// (json_packet.cc), and the flows, endpoints and sockets they all contain (json_report.cc).
// Internal to src/report/: docs/json.md describes every field they write.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/types/span.h"
#include "src/model/endpoint.h"
#include "src/model/finding.h"
#include "src/model/packet.h"
#include "src/model/syscall_event.h"
#include "src/report/json_writer.h"
#include "src/report/output.h"
#include "src/report/report.h"

namespace netcorr::report::json_internal {

// json_report.cc: "tcp", "udp", "icmp", "icmpv6" or "unknown".
std::string TransportJsonName(Transport t);
// json_report.cc: `key`, then {"ip", "port"} or null.
void WriteOptionalEndpoint(JsonWriter& w, std::string_view key, const std::optional<Endpoint>& e);
// json_report.cc: {"transport", "local", "remote"}.
void WriteFlow(JsonWriter& w, const FlowKey& f);
// json_report.cc: the socket object of a call or a process.
void WriteSocket(JsonWriter& w, const SocketIdentity& s);

// json_report.cc: "version", "netcorr", "time_unit", "session" and "capture".
void WriteHead(JsonWriter& w, const SessionInfo& session, const CaptureStats& capture,
               TimeNs first_event);
// json_report.cc: the "totals" object (from input.totals, or counted from the spans).
void WriteTotals(JsonWriter& w, const ReportInput& input);

// json_events.cc: `name_key` (the errno name, null for 0) and `num_key` (the number).
void WriteErrno(JsonWriter& w, std::string_view name_key, std::string_view num_key, int err);
// json_events.cc: one element of "calls".
void WriteCall(JsonWriter& w, const SyscallEvent& c);
// json_events.cc: one element of "processes".
void WriteProcess(JsonWriter& w, const ProcessEvent& e);
// json_events.cc: the "blind_spots" key and array, from the session's calls.
void WriteBlindSpots(JsonWriter& w, absl::Span<const SyscallEvent> calls);

// json_finding.cc: one element of "findings"; `number` is its 1-based rank.
void WriteFinding(JsonWriter& w, const Finding& f, int number);

// json_packet.cc: one element of "packets"; `evidence_for` lists the findings it is evidence
// for (nullptr: none).
void WritePacket(JsonWriter& w, const Packet& p, const std::vector<int>* evidence_for);

// json_report.cc: the whole --json document (RenderJson, WriteJson), to `output`; the HTML
// report embeds it.
absl::Status WriteJsonDocument(const ReportInput& in, Output& output);

}  // namespace netcorr::report::json_internal
