// The tracer's events in the --json document: the "calls" objects (also the JSON Lines of
// RenderCallJsonLine) and the "processes" objects.

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "src/model/blind_spot.h"
#include "src/model/errno_name.h"
#include "src/report/call_format.h"
#include "src/report/json_objects.h"
#include "src/report/json_writer.h"

namespace netcorr::report::json_internal {

namespace {

// A call's "waited" and a process's "sockets": [{"fd", "socket"}, ...].
void WriteFdSockets(JsonWriter& w, const std::vector<FdSocket>& sockets) {
  w.BeginArray();
  for (const FdSocket& fs : sockets) {
    w.BeginObject();
    w.Field("fd", static_cast<int32_t>(fs.fd));
    w.Key("socket");
    WriteSocket(w, fs.socket);
    w.EndObject();
  }
  w.EndArray();
}

}  // namespace

void WriteErrno(JsonWriter& w, std::string_view name_key, std::string_view num_key, int err) {
  w.Key(name_key);
  if (err != 0) {
    w.String(ErrnoName(err));
  } else {
    w.Null();
  }
  w.Field(num_key, static_cast<int32_t>(err));
}

void WriteBlindSpots(JsonWriter& w, absl::Span<const SyscallEvent> calls) {
  w.Key("blind_spots");
  w.BeginArray();
  for (const BlindSpot& b : BlindSpotsOf(calls)) {
    w.BeginObject();
    w.Field("pid", b.pid);
    w.Field("mechanism", b.mechanism);
    w.Field("rings", b.rings);
    w.Field("enter_calls", b.enter_calls);
    w.Field("submissions", b.submissions);
    w.Field("first_ns", b.first_ns);
    w.Field("last_ns", b.last_ns);
    w.Field("summary", DescribeBlindSpot(b));
    w.EndObject();
  }
  w.EndArray();
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
  if (c.has_result()) {
    w.Int(c.result);
  } else {
    w.Null();
  }
  WriteErrno(w, "errno", "errno_num", c.error);
  w.Field("nonblocking", c.nonblocking);
  w.Key("waited");
  WriteFdSockets(w, c.waited);
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

namespace {

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

}  // namespace

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
  WriteFdSockets(w, e.sockets);
  w.Field("ended_by_netcorr", e.ended_by_netcorr);
  w.EndObject();
}

}  // namespace netcorr::report::json_internal
