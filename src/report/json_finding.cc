// The "findings" objects of the --json document: what a finding says, the calls it is about,
// its evidence, and the detail object of its kind.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/model/protocol_names.h"
#include "src/report/json_objects.h"
#include "src/report/json_writer.h"
#include "src/report/packet_format.h"

namespace netcorr::report::json_internal {

namespace {

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

void WriteFrameIds(JsonWriter& w, std::string_view key, const std::vector<uint64_t>& ids) {
  w.Key(key);
  w.BeginArray();
  for (uint64_t id : ids) w.Uint(id);
  w.EndArray();
}

void WriteCallSpan(JsonWriter& w, std::string_view key, const std::optional<CallSpan>& span) {
  OptionalObject(w, key, span, [&](const CallSpan& s) {
    w.Field("count", s.count);
    w.Key("first");
    WriteCall(w, s.first);
    w.Key("last");
    WriteCall(w, s.last);
  });
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
    w.Key("times_ns");
    w.BeginArray();
    for (TimeNs t : r.times) w.Int(t);
    w.EndArray();
    w.Field("first_ns", r.first_ns);
    w.Field("last_ns", r.last_ns);
    w.Field("largest_retransmitted", r.largest_retransmitted);
    w.Field("largest_delivered", r.largest_delivered);
    w.Field("frag_needed_seen", r.frag_needed_seen);
  });
  OptionalObject(w, "dns", f.dns, [&](const DnsDetail& d) {
    w.Field("id", static_cast<uint32_t>(d.id));
    w.Field("name", d.name);
    w.Field("qtype", d.qtype);
    w.Field("rcode", static_cast<uint32_t>(d.rcode));
    w.Field("rcode_name", d.rcode_name.empty() ? DnsRcodeName(d.rcode) : d.rcode_name);
    w.Field("queries_sent", d.queries_sent);
    w.Field("answered", d.answered);
    w.Field("truncated", d.truncated);
    w.Field("tcp_retry", d.tcp_retry);
    w.Field("lost_ns", d.lost_ns);
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
  OptionalObject(w, "neighbour", f.neighbour, [&](const NeighbourDetail& n) {
    w.Field("next_hop", n.next_hop.ToString());
    w.Field("v6", n.v6);
    w.Field("requests", n.requests);
    w.Field("first_ns", n.first_ns);
    w.Field("last_ns", n.last_ns);
    w.Field("answered", n.answered);
  });
  OptionalObject(w, "zero_window", f.zero_window, [&](const ZeroWindowDetail& z) {
    w.Field("first_ns", z.first_ns);
    w.Field("last_ns", z.last_ns);
    w.Field("zero_window_acks", z.zero_window_acks);
    w.Field("probes", z.probes);
    w.Field("reopened", z.reopened);
    w.Field("bytes_in_flight", z.bytes_in_flight);
  });
  w.Key("unexplained_reason");
  if (f.kind == FindingKind::kUnexplained || !f.unexplained_reason.empty()) {
    w.String(f.unexplained_reason);
  } else {
    w.Null();
  }
  OptionalObject(w, "path", f.path, [&](const PathVerdict& v) {
    w.Field("verdict", std::string(PathVerdictName(v.verdict)));
    w.Field("summary", v.summary);
    w.Field("hint", v.hint);
    w.Key("peers");
    w.BeginArray();
    for (const PeerPathEvidence& e : v.peers) {
      w.BeginObject();
      w.Field("capture", e.capture);
      w.Field("verdict", std::string(PathVerdictName(e.verdict)));
      WriteFrameIds(w, "our_frames", e.our_frames);
      WriteFrameIds(w, "peer_frames", e.peer_frames);
      w.Field("detail", e.detail);
      w.EndObject();
    }
    w.EndArray();
  });
}

}  // namespace

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
  WriteCallSpan(w, "stalled_waits", f.stalled_waits);
  WriteCallSpan(w, "later_calls", f.later_calls);
  w.Field("based_on", std::string(EvidenceBasisName(f.basis)));
  w.Key("flow");
  if (f.flow.has_value()) {
    WriteFlow(w, *f.flow);
  } else {
    w.Null();
  }
  WriteFrameIds(w, "evidence", f.evidence);
  WriteFindingDetails(w, f);
  w.EndObject();
}

}  // namespace netcorr::report::json_internal
