// RenderJson and friends: the --json document. docs/json.md is its contract; a field added here
// must be added there, and removing or renaming one bumps kJsonSchemaVersion.

#include <sys/socket.h>

#include <cstring>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "src/model/errno_name.h"
#include "src/report/call_format.h"
#include "src/report/json_writer.h"
#include "src/report/output.h"
#include "src/report/packet_format.h"
#include "src/report/report.h"
#include "src/report/timeline.h"

namespace netcorr::report {

namespace {

// Each element of a top-level array on its own line; everything inside it on that line.
constexpr int kIndent = 2;
constexpr int kPrettyDepth = 2;

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

std::string FamilyName(int family) {
  switch (family) {
    case AF_UNIX:
      return "AF_UNIX";
    case AF_INET:
      return "AF_INET";
    case AF_INET6:
      return "AF_INET6";
    case AF_NETLINK:
      return "AF_NETLINK";
    case AF_PACKET:
      return "AF_PACKET";
    default:
      return absl::StrCat("AF_", family);
  }
}

std::string SocketTypeName(int type) {
  switch (type) {
    case SOCK_STREAM:
      return "SOCK_STREAM";
    case SOCK_DGRAM:
      return "SOCK_DGRAM";
    case SOCK_RAW:
      return "SOCK_RAW";
    case SOCK_SEQPACKET:
      return "SOCK_SEQPACKET";
    default:
      return absl::StrCat("SOCK_", type);
  }
}

void WriteEndpoint(JsonWriter& w, const Endpoint& e) {
  w.BeginObject();
  w.Field("ip", e.addr.ToString());
  w.Field("port", static_cast<uint32_t>(e.port));
  w.EndObject();
}

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
  w.Field("family", FamilyName(s.family));
  w.Field("type", SocketTypeName(s.type));
  w.Field("transport", TransportJsonName(s.transport));
  WriteOptionalEndpoint(w, "local", s.local);
  WriteOptionalEndpoint(w, "remote", s.remote);
  w.Field("unix_path", s.unix_path);
  w.Field("display", s.ToString());
  w.EndObject();
}

void WriteErrno(JsonWriter& w, std::string_view name_key, std::string_view num_key, int err) {
  w.Key(name_key);
  if (err != 0) {
    w.String(ErrnoName(err));
  } else {
    w.Null();
  }
  w.Field(num_key, static_cast<int32_t>(err));
}

void WriteCall(JsonWriter& w, const SyscallEvent& c) {
  w.BeginObject();
  w.Field("id", c.id);
  w.Field("pid", c.pid);
  w.Field("tid", c.tid);
  w.Field("name", c.name);
  w.Field("entry_ns", c.entry_ns);
  w.Field("exit_ns", c.exit_ns);
  w.Field("duration_ns", c.duration_ns());
  w.Field("finished", c.finished);
  w.Field("failed", c.failed());
  w.Field("fd", static_cast<int32_t>(c.fd));
  w.Key("socket");
  if (c.socket.has_value()) {
    WriteSocket(w, *c.socket);
  } else {
    w.Null();
  }
  WriteOptionalEndpoint(w, "address", c.address);
  w.Field("args", c.args);
  w.Key("result");
  if (c.finished && c.error == 0) {
    w.Int(c.result);
  } else {
    w.Null();
  }
  WriteErrno(w, "errno", "errno_num", c.error);
  w.Field("nonblocking", c.nonblocking);
  w.Key("waited");
  w.BeginArray();
  for (const FdSocket& fs : c.waited) {
    w.BeginObject();
    w.Field("fd", static_cast<int32_t>(fs.fd));
    w.Key("socket");
    WriteSocket(w, fs.socket);
    w.EndObject();
  }
  w.EndArray();
  w.Key("resolves_call");
  if (c.resolves_call.has_value()) {
    w.Uint(*c.resolves_call);
  } else {
    w.Null();
  }
  WriteErrno(w, "resolved_errno", "resolved_errno_num",
             c.resolves_call.has_value() ? c.resolved_error : 0);
  w.Field("display", FormatCall(c));
  w.EndObject();
}

// `key`: the object `write` fills when `value` is set, else null (each detail object of a
// finding is present only for the kinds that use it).
template <typename T, typename Write>
void OptionalObject(JsonWriter& w, std::string_view key, const std::optional<T>& value,
                    Write write) {
  w.Key(key);
  if (!value.has_value()) {
    w.Null();
    return;
  }
  w.BeginObject();
  write(*value);
  w.EndObject();
}

void WriteFindingDetails(JsonWriter& w, const Finding& f) {
  OptionalObject(w, "handshake", f.handshake, [&](const HandshakeDetail& h) {
    w.Key("syn_times_ns");
    w.BeginArray();
    for (TimeNs t : h.syn_times) w.Int(t);
    w.EndArray();
    w.Field("syn_count", h.syn_count);
    w.Field("syn_ack_seen", h.syn_ack_seen);
    w.Field("rst_seen", h.rst_seen);
  });
  OptionalObject(w, "icmp", f.icmp, [&](const IcmpDetail& i) {
    w.Field("v6", i.v6);
    w.Field("type", static_cast<uint32_t>(i.type));
    w.Field("code", static_cast<uint32_t>(i.code));
    w.Field("description", i.description);
    w.Field("sender", i.sender.ToString());
    w.Field("sender_role", std::string(IcmpSenderRoleName(i.sender_role)));
    w.Field("mtu", i.mtu);
  });
  OptionalObject(w, "stream", f.stream, [&](const StreamDetail& s) {
    w.Field("bytes_sent", s.bytes_sent);
    w.Field("bytes_received", s.bytes_received);
    w.Field("idle_before_ns", s.idle_before_ns);
    w.Field("rst_from_peer", s.rst_from_peer);
    w.Field("fin_from_peer", s.fin_from_peer);
    w.Field("fin_from_us", s.fin_from_us);
  });
  OptionalObject(w, "retransmissions", f.retransmissions, [&](const RetransmissionDetail& r) {
    w.Field("count", r.count);
    w.Field("first_ns", r.first_ns);
    w.Field("last_ns", r.last_ns);
    w.Field("largest_retransmitted", r.largest_retransmitted);
    w.Field("largest_delivered", r.largest_delivered);
    w.Field("frag_needed_seen", r.frag_needed_seen);
  });
  OptionalObject(w, "dns", f.dns, [&](const DnsDetail& d) {
    w.Field("id", static_cast<uint32_t>(d.id));
    w.Field("name", d.name);
    w.Field("rcode", static_cast<uint32_t>(d.rcode));
    w.Field("rcode_name", d.rcode_name.empty() ? DnsRcodeName(d.rcode) : d.rcode_name);
    w.Field("queries_sent", d.queries_sent);
    w.Field("answered", d.answered);
  });
  OptionalObject(w, "tls", f.tls, [&](const TlsDetail& t) {
    w.Field("level", static_cast<uint32_t>(t.level));
    w.Field("level_name", TlsAlertLevelName(t.level));
    w.Field("description", static_cast<uint32_t>(t.description));
    w.Field("description_name",
            t.description_name.empty() ? TlsAlertName(t.description) : t.description_name);
    w.Field("sni", t.sni);
    w.Field("from_peer", t.from_peer);
  });
  w.Key("unexplained_reason");
  if (f.kind == FindingKind::kUnexplained || !f.unexplained_reason.empty()) {
    w.String(f.unexplained_reason);
  } else {
    w.Null();
  }
}

void WriteFinding(JsonWriter& w, const Finding& f, int number) {
  w.BeginObject();
  w.Field("id", static_cast<int32_t>(number));
  w.Field("kind", std::string(FindingKindName(f.kind)));
  w.Field("severity", std::string(FindingSeverityName(f.severity)));
  w.Field("summary", f.summary);
  w.Field("hint", f.hint);
  WriteErrno(w, "outcome_errno", "outcome_errno_num", f.outcome_error);
  w.Key("call");
  WriteCall(w, f.call);
  w.Key("resolved_by");
  if (f.resolved_by.has_value()) {
    WriteCall(w, *f.resolved_by);
  } else {
    w.Null();
  }
  w.Key("flow");
  if (f.flow.has_value()) {
    WriteFlow(w, *f.flow);
  } else {
    w.Null();
  }
  w.Key("evidence");
  w.BeginArray();
  for (uint64_t id : f.evidence) w.Uint(id);
  w.EndArray();
  WriteFindingDetails(w, f);
  w.EndObject();
}

void WritePacket(JsonWriter& w, const Packet& p, const std::vector<int>* evidence_for) {
  w.BeginObject();
  w.Field("id", p.id);
  w.Field("ts_ns", p.ts_ns);
  w.Field("wire_len", p.wire_len);
  w.Field("captured_len", p.captured_len);
  w.Field("interface", p.interface);
  w.Key("ip");
  switch (p.ip) {
    case IpAddress::Family::kV4:
      w.String("ipv4");
      break;
    case IpAddress::Family::kV6:
      w.String("ipv6");
      break;
    case IpAddress::Family::kNone:
      w.Null();
      break;
  }
  w.Field("transport", TransportJsonName(p.transport));
  const bool ip = p.ip != IpAddress::Family::kNone;
  WriteOptionalEndpoint(w, "src", ip ? std::optional<Endpoint>(p.src) : std::nullopt);
  WriteOptionalEndpoint(w, "dst", ip ? std::optional<Endpoint>(p.dst) : std::nullopt);
  w.Field("fragment", p.is_fragment);
  w.Field("payload_len", p.payload_len);
  w.Key("tcp");
  if (p.tcp.has_value()) {
    const TcpSegment& t = *p.tcp;
    w.BeginObject();
    w.Field("flags", t.FlagsString());
    w.Field("flags_num", static_cast<uint32_t>(t.flags));
    w.Field("seq", t.seq);
    w.Field("ack", t.ack);
    w.Field("window", static_cast<uint32_t>(t.window));
    w.Field("payload_len", t.payload_len);
    const auto optional_uint = [&w](std::string_view key, std::optional<uint64_t> value) {
      w.Key(key);
      if (value.has_value()) {
        w.Uint(*value);
      } else {
        w.Null();
      }
    };
    optional_uint("mss", t.mss);
    optional_uint("window_scale", t.window_scale);
    optional_uint("ts_val", t.ts_val);
    optional_uint("ts_ecr", t.ts_ecr);
    w.EndObject();
  } else {
    w.Null();
  }
  w.Key("icmp");
  if (p.icmp_error.has_value()) {
    const IcmpError& e = *p.icmp_error;
    w.BeginObject();
    w.Field("v6", e.v6);
    w.Field("type", static_cast<uint32_t>(e.type));
    w.Field("code", static_cast<uint32_t>(e.code));
    w.Field("description", e.Describe());
    w.Field("sender", e.sender.ToString());
    w.Key("original");
    WriteFlow(w, e.original);
    w.Key("original_tcp_seq");
    if (e.original_tcp_seq.has_value()) {
      w.Uint(*e.original_tcp_seq);
    } else {
      w.Null();
    }
    w.Field("next_hop_mtu", e.next_hop_mtu);
    w.EndObject();
  } else {
    w.Null();
  }
  w.Key("dns");
  if (p.dns.has_value()) {
    const DnsMessage& d = *p.dns;
    w.BeginObject();
    w.Field("id", static_cast<uint32_t>(d.id));
    w.Field("response", d.is_response);
    w.Field("opcode", static_cast<uint32_t>(d.opcode));
    w.Field("rcode", static_cast<uint32_t>(d.rcode));
    w.Field("rcode_name", DnsRcodeName(d.rcode));
    w.Field("questions", static_cast<uint32_t>(d.question_count));
    w.Field("answers", static_cast<uint32_t>(d.answer_count));
    w.Field("qname", d.qname);
    w.Field("qtype", static_cast<uint32_t>(d.qtype));
    w.Field("qtype_name", DnsTypeName(d.qtype));
    w.EndObject();
  } else {
    w.Null();
  }
  w.Key("tls");
  if (p.tls.has_value()) {
    const TlsRecordInfo& t = *p.tls;
    w.BeginObject();
    w.Field("content_type", static_cast<uint32_t>(t.content_type));
    w.Field("version", static_cast<uint32_t>(t.version));
    w.Key("alert");
    if (t.alert.has_value()) {
      w.BeginObject();
      w.Field("level", static_cast<uint32_t>(t.alert->level));
      w.Field("level_name", TlsAlertLevelName(t.alert->level));
      w.Field("description", static_cast<uint32_t>(t.alert->description));
      w.Field("description_name", TlsAlertName(t.alert->description));
      w.EndObject();
    } else {
      w.Null();
    }
    w.Key("client_hello");
    if (t.client_hello.has_value()) {
      w.BeginObject();
      w.Field("legacy_version", static_cast<uint32_t>(t.client_hello->legacy_version));
      w.Field("sni", t.client_hello->sni);
      w.Key("supported_versions");
      w.BeginArray();
      for (uint16_t v : t.client_hello->supported_versions) w.Uint(v);
      w.EndArray();
      w.EndObject();
    } else {
      w.Null();
    }
    w.EndObject();
  } else {
    w.Null();
  }
  w.Field("display", FormatPacket(p));
  w.Key("evidence_for");
  w.BeginArray();
  if (evidence_for != nullptr) {
    for (int n : *evidence_for) w.Int(n);
  }
  w.EndArray();
  w.EndObject();
}

std::string ProcessKindName(ProcessEvent::Kind kind) {
  switch (kind) {
    case ProcessEvent::Kind::kStarted:
      return "started";
    case ProcessEvent::Kind::kAttached:
      return "attached";
    case ProcessEvent::Kind::kExec:
      return "exec";
    case ProcessEvent::Kind::kExited:
      return "exited";
    case ProcessEvent::Kind::kKilled:
      return "killed";
    case ProcessEvent::Kind::kDetached:
      return "detached";
  }
  return "unknown";
}

void WriteProcess(JsonWriter& w, const ProcessEvent& e) {
  w.BeginObject();
  w.Field("pid", e.pid);
  w.Field("kind", ProcessKindName(e.kind));
  w.Field("time_ns", e.time_ns);
  w.Field("status", static_cast<int32_t>(e.status));
  w.Key("signal");
  const char* abbrev = e.kind == ProcessEvent::Kind::kKilled ? sigabbrev_np(e.status) : nullptr;
  if (abbrev != nullptr) {
    w.String(absl::StrCat("SIG", abbrev));
  } else {
    w.Null();
  }
  w.Field("detail", e.detail);
  w.Field("parent_pid", e.parent_pid);
  w.Key("sockets");
  w.BeginArray();
  for (const FdSocket& fs : e.sockets) {
    w.BeginObject();
    w.Field("fd", static_cast<int32_t>(fs.fd));
    w.Key("socket");
    WriteSocket(w, fs.socket);
    w.EndObject();
  }
  w.EndArray();
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
  w.EndObject();
}

void WriteCapture(JsonWriter& w, const SessionInfo& s, const CaptureStats& c) {
  w.Key("capture");
  w.BeginObject();
  w.Field("available", c.available);
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
  w.Key("file");
  if (s.capture_file.empty()) {
    w.Null();
  } else {
    w.String(s.capture_file);
  }
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

TimeNs FirstCallTime(absl::Span<const SyscallEvent> calls) {
  ReportInput in;
  in.calls = calls;
  return FirstEventTime(in);
}

absl::Status RenderJsonTo(const ReportInput& in, Output& output) {
  JsonWriter w(kIndent, kPrettyDepth);
  w.BeginObject();
  WriteHead(w, in.session, in.capture, FirstEventTime(in));

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
  w.EndObject();
  w.mutable_buffer()->push_back('\n');
  return output.Finish(w.mutable_buffer());
}

}  // namespace

std::string RenderJson(const ReportInput& in) {
  std::string text;
  Output output(&text);
  // Appending to a string cannot fail.
  RenderJsonTo(in, output).IgnoreError();
  return text;
}

absl::Status WriteJson(const ReportInput& in, std::FILE* out) {
  Output output(out);
  return RenderJsonTo(in, output);
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
