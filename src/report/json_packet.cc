// The "packets" objects of the --json document: the decoded headers of each packet, what it
// carries (DNS, TLS, an ICMP error) and the findings it is evidence for.

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "src/model/protocol_names.h"
#include "src/report/json_objects.h"
#include "src/report/json_writer.h"
#include "src/report/packet_format.h"

namespace netcorr::report::json_internal {

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
    w.Field("truncated", d.truncated);
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
  w.Key("neighbour");
  if (p.neighbour.has_value()) {
    const NeighbourMessage& n = *p.neighbour;
    const auto mac = [&w](std::string_view key, const std::optional<MacAddress>& m) {
      w.Key(key);
      if (m.has_value()) {
        w.String(FormatMac(*m));
      } else {
        w.Null();
      }
    };
    w.BeginObject();
    w.Field("v6", n.v6);
    w.Field("op", std::string(n.is_reply ? "reply" : "request"));
    w.Field("sender_ip", n.sender_ip.ToString());
    mac("sender_mac", n.sender_mac);
    w.Field("target_ip", n.target_ip.ToString());
    mac("target_mac", n.target_mac);
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

}  // namespace netcorr::report::json_internal
