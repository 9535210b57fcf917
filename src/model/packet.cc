#include "src/model/packet.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace netcorr {

std::string TcpSegment::FlagsString() const {
  static constexpr struct {
    uint8_t bit;
    const char* name;
  } kNames[] = {{kTcpSyn, "SYN"}, {kTcpFin, "FIN"}, {kTcpRst, "RST"}, {kTcpPsh, "PSH"},
                {kTcpAck, "ACK"}, {kTcpUrg, "URG"}, {kTcpEce, "ECE"}, {kTcpCwr, "CWR"}};
  std::vector<const char*> names;
  for (const auto& n : kNames) {
    if (flags & n.bit) names.push_back(n.name);
  }
  return names.empty() ? "none" : absl::StrJoin(names, ",");
}

std::string IcmpError::Describe() const {
  if (!v6) {
    if (type == 3) {
      static constexpr const char* kCodes[] = {
          "net-unreachable",   "host-unreachable",  "protocol-unreachable",
          "port-unreachable",  "frag-needed",       "source-route-failed",
          "net-unknown",       "host-unknown",      "source-host-isolated",
          "net-prohibited",    "host-prohibited",   "net-unreachable-for-tos",
          "host-unreachable-for-tos", "admin-prohibited", "host-precedence-violation",
          "precedence-cutoff"};
      if (code < std::size(kCodes)) return kCodes[code];
      return absl::StrCat("unreachable-code-", static_cast<int>(code));
    }
    if (type == 11) return code == 0 ? "ttl-exceeded" : "fragment-reassembly-time-exceeded";
    if (type == 12) return "parameter-problem";
    return absl::StrCat("icmp-type-", static_cast<int>(type), "-code-", static_cast<int>(code));
  }
  if (type == 1) {
    static constexpr const char* kCodes[] = {"no-route",         "admin-prohibited",
                                             "beyond-scope",     "addr-unreachable",
                                             "port-unreachable", "policy-failed",
                                             "reject-route"};
    if (code < std::size(kCodes)) return kCodes[code];
    return absl::StrCat("unreachable-code-", static_cast<int>(code));
  }
  if (type == 2) return "packet-too-big";
  if (type == 3) return "hop-limit-exceeded";
  if (type == 4) return "parameter-problem";
  return absl::StrCat("icmpv6-type-", static_cast<int>(type), "-code-", static_cast<int>(code));
}

bool NeighbourMessage::IsAddressProbe() const {
  if (is_reply) return false;
  if (sender_ip.is_unspecified() || !sender_ip.is_set()) return true;
  return !v6 && sender_ip == target_ip;
}

std::string FormatMac(const MacAddress& mac) {
  return absl::StrFormat("%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
                         mac[5]);
}

}  // namespace netcorr
