// RenderJson and friends: the --json document. docs/json.md is its contract; a field added here
// (or in the object writers of json_objects.h) must be added there, and removing or renaming
// one bumps kJsonSchemaVersion. This file writes the document itself (the head, the session,
// the capture and the top-level arrays) and the endpoint, flow and socket objects that the
// calls, findings, packets and processes share.

#include <sys/socket.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "src/model/socket_names.h"
#include "src/report/json_objects.h"
#include "src/report/json_writer.h"
#include "src/report/output.h"
#include "src/report/report.h"
#include "src/report/timeline.h"

namespace netcorr::report {

namespace json_internal {

std::string TransportJsonName(Transport t) {
  switch (t) {
    case Transport::kTcp:
      return "tcp";
    case Transport::kUdp:
      return "udp";
    case Transport::kIcmp:
      return "icmp";
    case Transport::kIcmpV6:
      return "icmpv6";
    case Transport::kUnknown:
      break;
  }
  return "unknown";
}

namespace {

void WriteEndpoint(JsonWriter& w, const Endpoint& e) {
  w.BeginObject();
  w.Field("ip", e.addr.ToString());
  w.Field("port", static_cast<uint32_t>(e.port));
  w.EndObject();
}

}  // namespace

void WriteOptionalEndpoint(JsonWriter& w, std::string_view key, const std::optional<Endpoint>& e) {
  w.Key(key);
  if (e.has_value()) {
    WriteEndpoint(w, *e);
  } else {
    w.Null();
  }
}

void WriteFlow(JsonWriter& w, const FlowKey& f) {
  w.BeginObject();
  w.Field("transport", TransportJsonName(f.transport));
  w.Key("local");
  WriteEndpoint(w, f.local);
  w.Key("remote");
  WriteEndpoint(w, f.remote);
  w.EndObject();
}

void WriteSocket(JsonWriter& w, const SocketIdentity& s) {
  w.BeginObject();
  w.Field("inode", s.inode);
  w.Field("family", AddressFamilyName(s.family));
  w.Field("type", SocketTypeName(s.type));
  w.Field("transport", TransportJsonName(s.transport));
  WriteOptionalEndpoint(w, "local", s.local);
  WriteOptionalEndpoint(w, "remote", s.remote);
  w.Field("unix_path", s.unix_path);
  w.Field("display", s.ToString());
  w.EndObject();
}

}  // namespace json_internal

namespace {

using json_internal::WriteBlindSpots;
using json_internal::WriteCall;
using json_internal::WriteFinding;
using json_internal::WritePacket;
using json_internal::WriteProcess;

// Each element of a top-level array on its own line; everything inside it on that line.
constexpr int kIndent = 2;
constexpr int kPrettyDepth = 2;

// `key`: the string, or null when it is empty (unknown or not applicable).
void StringOrNullField(JsonWriter& w, std::string_view key, const std::string& value) {
  if (value.empty()) {
    w.NullField(key);
  } else {
    w.Field(key, value);
  }
}

}  // namespace

namespace json_internal {

void WriteNamespace(JsonWriter& w, const std::optional<TargetNamespace>& ns) {
  w.Key("namespace");
  if (!ns) {
    w.Null();
    return;
  }
  w.BeginObject();
  w.Field("netns_inode", ns->netns_inode);
  StringOrNullField(w, "netns_name", ns->netns_name);
  w.Field("own_netns", ns->own_netns);
  w.Field("pidns_inode", ns->pidns_inode);
  w.Field("ns_pid", ns->ns_pid);
  w.Field("own_pidns", ns->own_pidns);
  StringOrNullField(w, "cgroup", ns->cgroup);
  w.Field("own_cgroup", ns->own_cgroup);
  StringOrNullField(w, "container_id", ns->container_id);
  StringOrNullField(w, "container_runtime", ns->container_runtime);
  w.EndObject();
}

void WriteSession(JsonWriter& w, const SessionInfo& s, TimeNs first_event) {
  w.Key("session");
  w.BeginObject();
  w.Field("mode", s.mode);
  w.Key("command");
  w.BeginArray();
  for (const std::string& arg : s.command) w.String(arg);
  w.EndArray();
  w.Key("pids");
  w.BeginArray();
  for (int32_t pid : s.pids) w.Int(pid);
  w.EndArray();
  w.Field("start_ns", s.start_ns);
  w.Field("end_ns", s.end_ns);
  w.Field("duration_ns", s.end_ns >= s.start_ns ? s.end_ns - s.start_ns : TimeNs{0});
  w.Field("first_event_ns", first_event);
  w.Field("stop_reason", s.stop_reason);
  WriteNamespace(w, s.target_namespace);
  w.Key("peer_captures");
  w.BeginArray();
  for (const PeerCaptureInfo& p : s.peer_captures) {
    w.BeginObject();
    w.Field("file", p.file);
    w.Field("aligned", p.aligned);
    w.Field("offset_ns", p.offset_ns);
    w.Field("bound_ns", p.bound_ns);
    w.Field("matched", p.matched);
    w.Field("packets", p.packets);
    w.Field("both_directions", p.both_directions);
    w.Field("covered_first_ns", p.covered_first_ns);
    w.Field("covered_last_ns", p.covered_last_ns);
    w.Field("note", p.note);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

void WriteCapture(JsonWriter& w, const SessionInfo& s, const CaptureStats& c) {
  w.Key("capture");
  w.BeginObject();
  w.Field("available", c.available);
  w.Field("opened", c.available && c.opened);
  w.Field("reason", c.unavailable_reason);
  w.Field("received", c.received);
  w.Field("kernel_dropped", c.kernel_dropped);
  w.Field("interface_dropped", c.interface_dropped);
  w.Field("undecodable", c.undecodable);
  w.Key("interfaces");
  w.BeginArray();
  if (s.interfaces.empty()) {
    w.String("any");
  } else {
    for (const std::string& i : s.interfaces) w.String(i);
  }
  w.EndArray();
  w.Field("snaplen", static_cast<int32_t>(s.snaplen));
  StringOrNullField(w, "file", s.capture_file);
  w.Key("files");
  w.BeginArray();
  for (const SessionInfo::CaptureFileSpan& f : s.capture_files) {
    w.BeginObject();
    w.Field("path", f.path);
    w.Field("first_frame", f.first_frame);
    w.Field("last_frame", f.last_frame);
    w.EndObject();
  }
  w.EndArray();
  w.Field("late_comments", s.late_comments);
  w.EndObject();
}

namespace {

void WriteService(JsonWriter& w, const ServiceTotals& t) {
  w.Field("transport", TransportJsonName(t.transport));
  w.Key("service");
  if (t.transport == Transport::kUnknown) {
    w.Null();
  } else {
    w.BeginObject();
    w.Field("ip", t.service.addr.ToString());
    w.Field("port", static_cast<uint32_t>(t.service.port));
    w.EndObject();
  }
  w.Field("served_by_program", t.served_by_program);
  w.Field("flows", t.flows);
  w.Field("packets", t.packets);
  w.Field("payload_bytes", t.payload_bytes);
  w.Field("calls", t.calls);
  w.Field("failed_calls", t.failed_calls);
}

}  // namespace

void WriteTotals(JsonWriter& w, const ReportInput& in) {
  SessionTotals counted;
  if (in.totals == nullptr) {
    counted.calls_seen = counted.calls_kept = in.calls.size();
    counted.packets_seen = counted.packets_kept = in.packets.size();
    counted.process_events_seen = in.processes.size();
    for (const SyscallEvent& c : in.calls) {
      ++counted.calls_by_name[c.name];
      if (c.failed()) ++counted.calls_failed;
    }
  }
  const SessionTotals& t = in.totals != nullptr ? *in.totals : counted;
  w.Key("totals");
  w.BeginObject();
  w.Field("calls_seen", t.calls_seen);
  w.Field("calls_kept", t.calls_kept);
  w.Field("calls_failed", t.calls_failed);
  w.Field("packets_seen", t.packets_seen);
  w.Field("packets_kept", t.packets_kept);
  w.Field("process_events_seen", t.process_events_seen);
  w.Key("calls_by_name");
  w.BeginObject();
  for (const auto& [name, count] : t.calls_by_name) w.Field(name, count);
  w.EndObject();
  w.Key("findings_by_kind");
  w.BeginObject();
  std::map<std::string, uint64_t> by_kind;
  for (const Finding& f : in.findings) {
    by_kind[std::string(FindingKindName(f.kind))] += 1 + (f.later_calls ? f.later_calls->count : 0);
  }
  for (const auto& [kind, count] : t.findings_let_go) by_kind[kind] += count;
  for (const auto& [kind, count] : by_kind) w.Field(kind, count);
  w.EndObject();
  w.Key("findings_let_go");
  w.BeginObject();
  for (const auto& [kind, count] : t.findings_let_go) w.Field(kind, count);
  w.EndObject();
  w.Key("by_service");
  w.BeginArray();
  for (const ServiceTotals& s : t.by_service) {
    w.BeginObject();
    WriteService(w, s);
    w.EndObject();
  }
  w.EndArray();
  w.Key("other_services");
  w.BeginObject();
  WriteService(w, t.others);
  w.EndObject();
  w.EndObject();
}

void WriteHead(JsonWriter& w, const SessionInfo& session, const CaptureStats& capture,
               TimeNs first_event) {
  w.Field("version", static_cast<int32_t>(kJsonSchemaVersion));
  w.Field("netcorr", session.netcorr_version);
  w.Field("time_unit", "ns_since_epoch_realtime");
  WriteSession(w, session, first_event);
  WriteCapture(w, session, capture);
}

}  // namespace json_internal

namespace {

using json_internal::WriteHead;
using json_internal::WriteTotals;

TimeNs FirstCallTime(absl::Span<const SyscallEvent> calls) {
  ReportInput in;
  in.calls = calls;
  return FirstEventTime(in);
}

}  // namespace

namespace json_internal {

absl::Status WriteJsonDocument(const ReportInput& in, Output& output) {
  JsonWriter w(kIndent, kPrettyDepth);
  w.BeginObject();
  WriteHead(w, in.session, in.capture, FirstEventTime(in));
  WriteTotals(w, in);

  absl::flat_hash_map<uint64_t, std::vector<int>> evidence_for;
  w.Key("findings");
  w.BeginArray();
  for (size_t n = 0; n < in.findings.size(); ++n) {
    const int number = static_cast<int>(n) + 1;
    WriteFinding(w, in.findings[n], number);
    for (uint64_t id : in.findings[n].evidence) {
      std::vector<int>& list = evidence_for[id];
      if (list.empty() || list.back() != number) list.push_back(number);
    }
  }
  w.EndArray();

  w.Key("calls");
  w.BeginArray();
  for (const SyscallEvent& c : in.calls) {
    WriteCall(w, c);
    output.Drain(w.mutable_buffer());
  }
  w.EndArray();

  w.Key("packets");
  w.BeginArray();
  for (const Packet& p : in.packets) {
    auto it = evidence_for.find(p.id);
    WritePacket(w, p, it == evidence_for.end() ? nullptr : &it->second);
    output.Drain(w.mutable_buffer());
  }
  w.EndArray();

  w.Key("processes");
  w.BeginArray();
  for (const ProcessEvent& e : in.processes) WriteProcess(w, e);
  w.EndArray();
  WriteBlindSpots(w, in.calls);
  w.EndObject();
  w.mutable_buffer()->push_back('\n');
  return output.Finish(w.mutable_buffer());
}

}  // namespace json_internal

std::string RenderJson(const ReportInput& in) {
  std::string text;
  Output output(&text);
  // Appending to a string cannot fail.
  json_internal::WriteJsonDocument(in, output).IgnoreError();
  return text;
}

absl::Status WriteJson(const ReportInput& in, std::FILE* out) {
  Output output(out);
  return json_internal::WriteJsonDocument(in, output);
}

std::string RenderEventsJson(const SessionInfo& session, const CaptureStats& capture,
                             absl::Span<const SyscallEvent> calls,
                             absl::Span<const ProcessEvent> processes) {
  JsonWriter w(kIndent, kPrettyDepth);
  w.BeginObject();
  WriteHead(w, session, capture, FirstCallTime(calls));
  w.Key("calls");
  w.BeginArray();
  for (const SyscallEvent& c : calls) WriteCall(w, c);
  w.EndArray();
  w.Key("processes");
  w.BeginArray();
  for (const ProcessEvent& e : processes) WriteProcess(w, e);
  w.EndArray();
  WriteBlindSpots(w, calls);
  w.EndObject();
  std::string out = w.Take();
  out.push_back('\n');
  return out;
}

std::string RenderCallJsonLine(const SyscallEvent& call) {
  JsonWriter w;
  WriteCall(w, call);
  return w.Take();
}

}  // namespace netcorr::report
