#include "src/analyze/json_record.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "src/analyze/json_parser.h"
#include "src/model/call_kind.h"
#include "src/model/socket_names.h"

namespace netcorr::analyze {

namespace {

using Type = JsonValue::Type;

bool IsInt(const JsonValue& v) { return v.type == Type::kInt; }

absl::Status Bad(const std::string& where, const std::string& what) {
  return absl::InvalidArgumentError(
      absl::StrCat("not a netcorr --json record: ", where, ": ", what));
}

// The integer member `key`, or an error naming it.
absl::StatusOr<int64_t> Int(const JsonValue& o, const std::string& key, const std::string& where) {
  const JsonValue* v = o.Find(key);
  if (v == nullptr || !IsInt(*v)) return Bad(where, absl::StrCat("'", key, "' is not an integer"));
  return v->int_value;
}

std::string String(const JsonValue& o, std::string_view key) {
  const JsonValue* v = o.Find(key);
  return v != nullptr && v->type == Type::kString ? v->string : std::string();
}

bool Bool(const JsonValue& o, std::string_view key) {
  const JsonValue* v = o.Find(key);
  return v != nullptr && v->type == Type::kBool && v->boolean;
}

// {"ip": "10.71.2.2", "port": 81}; nullopt for null or anything else.
std::optional<Endpoint> ReadEndpoint(const JsonValue* v) {
  if (v == nullptr || v->type != Type::kObject) return std::nullopt;
  const std::optional<IpAddress> ip = IpAddress::Parse(String(*v, "ip"));
  const JsonValue* port = v->Find("port");
  if (!ip || port == nullptr || !IsInt(*port) || port->int_value < 0 || port->int_value > 65535) {
    return std::nullopt;
  }
  return Endpoint{*ip, static_cast<uint16_t>(port->int_value)};
}

Transport ReadTransport(const std::string& name) {
  if (name == "tcp") return Transport::kTcp;
  if (name == "udp") return Transport::kUdp;
  if (name == "icmp") return Transport::kIcmp;
  if (name == "icmpv6") return Transport::kIcmpV6;
  return Transport::kUnknown;
}

std::optional<SocketIdentity> ReadSocket(const JsonValue* v) {
  if (v == nullptr || v->type != Type::kObject) return std::nullopt;
  SocketIdentity s;
  if (const JsonValue* inode = v->Find("inode"); inode != nullptr && IsInt(*inode)) {
    s.inode = static_cast<uint64_t>(inode->int_value);
  }
  s.family = AddressFamilyFromName(String(*v, "family")).value_or(0);
  s.type = SocketTypeFromName(String(*v, "type")).value_or(0);
  s.transport = ReadTransport(String(*v, "transport"));
  s.local = ReadEndpoint(v->Find("local"));
  s.remote = ReadEndpoint(v->Find("remote"));
  s.unix_path = String(*v, "unix_path");
  return s;
}

// [{"fd": 3, "socket": {...}}, ...]: a wait's sockets, or those open at attach time.
std::vector<FdSocket> ReadFdSockets(const JsonValue* v) {
  std::vector<FdSocket> out;
  if (v == nullptr) return out;
  for (const JsonValue& e : v->array) {
    const JsonValue* fd = e.Find("fd");
    std::optional<SocketIdentity> s = ReadSocket(e.Find("socket"));
    if (fd != nullptr && IsInt(*fd) && s) out.push_back({static_cast<int>(fd->int_value), *s});
  }
  return out;
}

absl::StatusOr<SyscallEvent> ReadCall(const JsonValue& o, size_t index) {
  const std::string where = absl::StrCat("calls[", index, "]");
  if (o.type != Type::kObject) return Bad(where, "not an object");
  SyscallEvent c;
  absl::StatusOr<int64_t> id = Int(o, "id", where), pid = Int(o, "pid", where),
                          tid = Int(o, "tid", where), entry = Int(o, "entry_ns", where),
                          exit = Int(o, "exit_ns", where), fd = Int(o, "fd", where);
  for (const absl::StatusOr<int64_t>* v : {&id, &pid, &tid, &entry, &exit, &fd}) {
    if (!v->ok()) return v->status();
  }
  c.id = static_cast<uint64_t>(*id);
  c.pid = static_cast<int32_t>(*pid);
  c.tid = static_cast<int32_t>(*tid);
  c.entry_ns = *entry;
  c.exit_ns = *exit;
  c.fd = static_cast<int>(*fd);
  c.name = String(o, "name");
  if (c.name.empty()) return Bad(where, "no 'name'");
  c.kind = CallKindOf(c.name);
  c.finished = Bool(o, "finished");
  c.socket = ReadSocket(o.Find("socket"));
  c.address = ReadEndpoint(o.Find("address"));
  c.args = String(o, "args");
  if (const JsonValue* r = o.Find("result"); r != nullptr && IsInt(*r)) c.result = r->int_value;
  if (const JsonValue* e = o.Find("errno_num"); e != nullptr && IsInt(*e)) {
    c.error = static_cast<int>(e->int_value);
  }
  c.nonblocking = Bool(o, "nonblocking");
  c.waited = ReadFdSockets(o.Find("waited"));
  if (const JsonValue* r = o.Find("resolves_call"); r != nullptr && IsInt(*r)) {
    c.resolves_call = static_cast<uint64_t>(r->int_value);
    if (const JsonValue* e = o.Find("resolved_errno_num"); e != nullptr && IsInt(*e)) {
      c.resolved_error = static_cast<int>(e->int_value);
    }
  }
  return c;
}

std::optional<ProcessEvent::Kind> ProcessKind(const std::string& name) {
  using K = ProcessEvent::Kind;
  if (name == "started") return K::kStarted;
  if (name == "attached") return K::kAttached;
  if (name == "exec") return K::kExec;
  if (name == "exited") return K::kExited;
  if (name == "killed") return K::kKilled;
  if (name == "detached") return K::kDetached;
  return std::nullopt;
}

absl::StatusOr<ProcessEvent> ReadProcess(const JsonValue& o, size_t index) {
  const std::string where = absl::StrCat("processes[", index, "]");
  if (o.type != Type::kObject) return Bad(where, "not an object");
  ProcessEvent e;
  const std::optional<ProcessEvent::Kind> kind = ProcessKind(String(o, "kind"));
  if (!kind) return Bad(where, "unknown 'kind'");
  e.kind = *kind;
  absl::StatusOr<int64_t> pid = Int(o, "pid", where), time = Int(o, "time_ns", where);
  if (!pid.ok()) return pid.status();
  if (!time.ok()) return time.status();
  e.pid = static_cast<int32_t>(*pid);
  e.time_ns = *time;
  if (const JsonValue* s = o.Find("status"); s != nullptr && IsInt(*s)) {
    e.status = static_cast<int>(s->int_value);
  }
  e.detail = String(o, "detail");
  if (const JsonValue* p = o.Find("parent_pid"); p != nullptr && IsInt(*p)) {
    e.parent_pid = static_cast<int32_t>(p->int_value);
  }
  e.sockets = ReadFdSockets(o.Find("sockets"));
  e.ended_by_netcorr = Bool(o, "ended_by_netcorr");
  return e;
}

}  // namespace

absl::StatusOr<JsonRecord> ParseJsonRecord(std::string_view text) {
  absl::StatusOr<JsonValue> doc = ParseJson(text);
  if (!doc.ok()) return Bad("the document", std::string(doc.status().message()));
  if (doc->type != Type::kObject) return Bad("the document", "not an object");
  const JsonValue* version = doc->Find("version");
  if (version == nullptr || !IsInt(*version) || version->int_value != 1) {
    return Bad("the document", "not schema version 1");
  }
  const JsonValue* calls = doc->Find("calls");
  if (calls == nullptr || calls->type != Type::kArray) return Bad("the document", "no 'calls'");
  JsonRecord record;
  for (size_t i = 0; i < calls->array.size(); ++i) {
    absl::StatusOr<SyscallEvent> c = ReadCall(calls->array[i], i);
    if (!c.ok()) return c.status();
    record.calls.push_back(*std::move(c));
  }
  if (const JsonValue* processes = doc->Find("processes"); processes != nullptr) {
    for (size_t i = 0; i < processes->array.size(); ++i) {
      absl::StatusOr<ProcessEvent> p = ReadProcess(processes->array[i], i);
      if (!p.ok()) return p.status();
      record.processes.push_back(*std::move(p));
    }
  }
  record.capture_file = String((*doc)["capture"], "file");
  record.mode = String((*doc)["session"], "mode");
  return record;
}

}  // namespace netcorr::analyze
