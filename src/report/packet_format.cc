#include "src/report/packet_format.h"

#include <array>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "src/model/protocol_names.h"

namespace netcorr::report {

namespace {

// tcpdump prints "addr.port" (no brackets, even for IPv6) with -nn.
std::string TcpdumpEndpoint(const Endpoint& e, bool with_port) {
  if (!with_port) return e.addr.ToString();
  return absl::StrCat(e.addr.ToString(), ".", e.port);
}

std::string FormatDns(const DnsMessage& dns) {
  std::string out = absl::StrFormat("DNS %s id 0x%04x", dns.is_response ? "response" : "query",
                                    static_cast<int>(dns.id));
  if (dns.is_response) {
    absl::StrAppend(&out, " ", DnsRcodeName(dns.rcode));
    if (dns.answer_count > 0) {
      absl::StrAppend(&out, ", ", dns.answer_count, dns.answer_count == 1 ? " answer" : " answers");
    }
  }
  if (dns.opcode != 0) absl::StrAppend(&out, " opcode ", static_cast<int>(dns.opcode));
  if (dns.question_count > 0 || !dns.qname.empty()) {
    absl::StrAppend(&out, dns.is_response ? ", " : " ", DnsTypeName(dns.qtype), "? ",
                    dns.qname.empty() ? std::string(".") : dns.qname);
  }
  return out;
}

std::string FormatTls(const TlsRecordInfo& tls) {
  if (tls.alert.has_value()) {
    return absl::StrCat("TLS alert ", TlsAlertLevelName(tls.alert->level), " ",
                        TlsAlertName(tls.alert->description));
  }
  if (tls.client_hello.has_value()) {
    std::string out = "TLS ClientHello";
    if (!tls.client_hello->sni.empty()) absl::StrAppend(&out, " SNI ", tls.client_hello->sni);
    return out;
  }
  switch (tls.content_type) {
    case 20:
      return "TLS change_cipher_spec";
    case 21:
      return "TLS alert (encrypted)";
    case 22:
      return "TLS handshake";
    case 23:
      return "TLS application data";
    default:
      return absl::StrCat("TLS record type ", static_cast<int>(tls.content_type));
  }
}

bool IsDestinationUnreachable(const IcmpError& e) { return e.v6 ? e.type == 1 : e.type == 3; }
bool IsTooBig(const IcmpError& e) { return e.v6 ? e.type == 2 : (e.type == 3 && e.code == 4); }

std::string FormatIcmpError(const IcmpError& e) {
  const std::string what = e.Describe();
  std::string out = e.v6 ? "ICMP6 " : "ICMP ";
  if (IsDestinationUnreachable(e) && what.find("unreachable") == std::string::npos &&
      !IsTooBig(e)) {
    absl::StrAppend(&out, "unreachable ");
  }
  absl::StrAppend(&out, what);
  if (IsTooBig(e) || e.next_hop_mtu != 0) absl::StrAppend(&out, " (mtu ", e.next_hop_mtu, ")");
  absl::StrAppend(&out, ", about ", e.original.ToString());
  return out;
}

// tcpdump -nn's wording: "ARP, Request who-has A tell B, length 28", "ARP, Reply A is-at MAC,
// length 28" (the ARP message's length: the decoder keeps only Ethernet/IPv4 ARP, 28 bytes,
// whatever the link header), "ICMP6, neighbor solicitation, who has A", "ICMP6, neighbor
// advertisement, tgt is A".
std::string FormatNeighbour(const NeighbourMessage& m) {
  constexpr int kEthernetIpv4ArpLength = 28;
  if (m.v6) {
    return m.is_reply
               ? absl::StrCat("ICMP6, neighbor advertisement, tgt is ", m.target_ip.ToString())
               : absl::StrCat("ICMP6, neighbor solicitation, who has ", m.target_ip.ToString());
  }
  if (m.is_reply) {
    return absl::StrCat("ARP, Reply ", m.sender_ip.ToString(), " is-at ",
                        m.sender_mac ? FormatMac(*m.sender_mac) : "?", ", length ",
                        kEthernetIpv4ArpLength);
  }
  return absl::StrCat("ARP, Request who-has ", m.target_ip.ToString(), " tell ",
                      m.sender_ip.ToString(), ", length ", kEthernetIpv4ArpLength);
}

std::string FormatTcp(const TcpSegment& tcp) {
  std::string out = absl::StrCat("Flags [", TcpFlagLetters(tcp.flags), "], seq ", tcp.seq);
  if (tcp.payload_len > 0) absl::StrAppend(&out, ":", tcp.seq + tcp.payload_len);
  if (tcp.has(kTcpAck)) absl::StrAppend(&out, ", ack ", tcp.ack);
  absl::StrAppend(&out, ", win ", tcp.window);
  // tcpdump's option list, limited to what explains failures: the MSS and the window scale.
  // Timestamps are in the JSON and the pcapng; here they would only widen every line.
  std::vector<std::string> options;
  if (tcp.mss.has_value()) options.push_back(absl::StrCat("mss ", *tcp.mss));
  if (tcp.window_scale.has_value()) {
    options.push_back(absl::StrCat("wscale ", static_cast<int>(*tcp.window_scale)));
  }
  if (!options.empty()) absl::StrAppend(&out, ", options [", absl::StrJoin(options, ","), "]");
  absl::StrAppend(&out, ", length ", tcp.payload_len);
  return out;
}

}  // namespace

std::string TcpFlagLetters(uint8_t flags) {
  // tcpdump's order and letters (print-tcp.c): F S R P . U E W.
  static constexpr std::array<std::pair<uint8_t, char>, 8> kLetters = {{
      {kTcpFin, 'F'},
      {kTcpSyn, 'S'},
      {kTcpRst, 'R'},
      {kTcpPsh, 'P'},
      {kTcpAck, '.'},
      {kTcpUrg, 'U'},
      {kTcpEce, 'E'},
      {kTcpCwr, 'W'},
  }};
  std::string out;
  for (const auto& [bit, letter] : kLetters) {
    if (flags & bit) out.push_back(letter);
  }
  return out.empty() ? "none" : out;
}

std::string TlsAlertLevelName(uint8_t level) {
  if (level == 1) return "warning";
  if (level == 2) return "fatal";
  return absl::StrCat("level_", static_cast<int>(level));
}

std::string FormatPacket(const Packet& p) {
  if (p.neighbour.has_value() && !p.neighbour->v6) return FormatNeighbour(*p.neighbour);
  if (p.ip == IpAddress::Family::kNone) {
    return absl::StrCat("non-IP frame", p.interface.empty() ? "" : " on ", p.interface, ", length ",
                        p.wire_len);
  }
  const bool ports = p.transport == Transport::kTcp || p.transport == Transport::kUdp;
  std::string out = absl::StrCat(TcpdumpEndpoint(p.src, ports && !p.is_fragment), " > ",
                                 TcpdumpEndpoint(p.dst, ports && !p.is_fragment), ": ");
  if (p.is_fragment) {
    absl::StrAppend(&out, "IP fragment, length ", p.payload_len);
    return out;
  }
  if (p.icmp_error.has_value()) {
    absl::StrAppend(&out, FormatIcmpError(*p.icmp_error));
    return out;
  }
  if (p.neighbour.has_value()) {
    absl::StrAppend(&out, FormatNeighbour(*p.neighbour));
    return out;
  }
  // Application data decoded on top of TCP or UDP, appended as tcpdump does after a colon.
  std::string app;
  if (p.dns.has_value()) {
    app = FormatDns(*p.dns);
  } else if (p.tls.has_value()) {
    app = FormatTls(*p.tls);
  }
  switch (p.transport) {
    case Transport::kTcp:
      if (p.tcp.has_value()) {
        absl::StrAppend(&out, FormatTcp(*p.tcp));
      } else {
        absl::StrAppend(&out, "TCP (truncated header), length ", p.payload_len);
      }
      if (!app.empty()) absl::StrAppend(&out, ": ", app);
      return out;
    case Transport::kUdp:
      absl::StrAppend(&out, app.empty() ? absl::StrCat("UDP, length ", p.payload_len) : app);
      return out;
    case Transport::kIcmp:
      absl::StrAppend(&out, "ICMP, length ", p.payload_len);
      return out;
    case Transport::kIcmpV6:
      absl::StrAppend(&out, "ICMP6, length ", p.payload_len);
      return out;
    case Transport::kUnknown:
      break;
  }
  absl::StrAppend(&out, p.ip == IpAddress::Family::kV6 ? "IPv6" : "IPv4", ", length ", p.wire_len);
  return out;
}

}  // namespace netcorr::report
