#include "capture/filter.h"

#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace netcorr::capture {

namespace {

// ICMP errors are let through whatever flow they are about: the kernel filter cannot look
// inside the quoted header cheaply, userspace matches them (PacketMatchesTerms, correlate).
// libpcap 1.10 reads icmp6[0] at a fixed offset after the 40-byte IPv6 header and checks the
// next-header field directly, so an ICMPv6 error behind an extension header is not matched;
// routers and hosts send them without extension headers.
constexpr char kIcmpErrors[] =
    "(icmp and (icmp[icmptype] == icmp-unreach or icmp[icmptype] == icmp-timxceed or "
    "icmp[icmptype] == icmp-paramprob)) or "
    "(icmp6 and icmp6[icmp6type] >= 1 and icmp6[icmp6type] <= 4)";

// Address resolution (ARP, ICMPv6 neighbour solicitation 135 / advertisement 136) of every
// neighbour, not only of the program's next hops: a connect to an absent host fails
// EHOSTUNREACH with no packet of its flow on the wire, and the requests nobody answered are the
// only evidence. Narrowing them to next hops would need the traced namespace's routes for each
// new destination at the moment the filter widens (the gateway, or the destination when
// on-link); address resolution is a few packets a second at most (the kernel rate-limits its
// probes), so the whole of it is kept and the correlator picks the next hop's.
constexpr char kNeighbourDiscovery[] =
    "arp or (icmp6 and (icmp6[icmp6type] == 135 or icmp6[icmp6type] == 136))";

constexpr char kBroad[] = "tcp or udp";

bool Usable(const FlowTerm& t) {
  if (t.transport != Transport::kTcp && t.transport != Transport::kUdp) return false;
  return t.any_flow || t.remote.addr.is_set() || t.local_port != 0;
}

std::string TermExpression(const FlowTerm& t) {
  const char* proto = t.transport == Transport::kTcp ? "tcp" : "udp";
  if (t.any_flow) return absl::StrCat("(", proto, ")");
  if (!t.remote.addr.is_set()) return absl::StrCat("(", proto, " port ", t.local_port, ")");
  const std::string host = t.remote.addr.ToString();
  if (t.remote.port == 0) return absl::StrCat("(", proto, " and host ", host, ")");
  // Both directions, each with the remote's address and port on the same side, so that another
  // program's flow to the same host but a different port stays out.
  return absl::StrCat("(", proto, " and ((dst host ", host, " and dst port ", t.remote.port,
                      ") or (src host ", host, " and src port ", t.remote.port, ")))");
}

bool EndpointMatches(const Endpoint& want, const Endpoint& got) {
  return want.addr == got.addr && (want.port == 0 || want.port == got.port);
}

bool FlowMatches(const FlowTerm& t, Transport transport, const Endpoint& a, const Endpoint& b) {
  if (transport != t.transport) return false;
  if (t.any_flow) return true;
  if (t.remote.addr.is_set()) return EndpointMatches(t.remote, a) || EndpointMatches(t.remote, b);
  return a.port == t.local_port || b.port == t.local_port;
}

}  // namespace

CaptureFilter BuildCaptureFilter(absl::Span<const FlowTerm> terms, size_t max_terms) {
  std::set<FlowTerm> unique;
  for (const FlowTerm& t : terms) {
    if (Usable(t)) unique.insert(t);
  }
  CaptureFilter f;
  f.term_count = unique.size();
  if (unique.size() > max_terms) {
    f.expression = absl::StrCat(kBroad, " or ", kIcmpErrors, " or ", kNeighbourDiscovery);
    f.needs_userspace_filtering = true;
    return f;
  }
  std::vector<std::string> parts;
  parts.reserve(unique.size() + 1);
  for (const FlowTerm& t : unique) parts.push_back(TermExpression(t));
  parts.push_back(kIcmpErrors);
  parts.push_back(kNeighbourDiscovery);
  f.expression = absl::StrJoin(parts, " or ");
  return f;
}

bool PacketMatchesTerms(const Packet& packet, absl::Span<const FlowTerm> terms) {
  if (packet.neighbour) return true;  // kept whole, as by the kernel filter (above)
  for (const FlowTerm& t : terms) {
    if (!Usable(t)) continue;
    if (packet.icmp_error) {
      const FlowKey& q = packet.icmp_error->original;
      if (FlowMatches(t, q.transport, q.local, q.remote)) return true;
    } else if (FlowMatches(t, packet.transport, packet.src, packet.dst)) {
      // A non-first fragment has no ports: it matches only a term without a remote port.
      return true;
    }
  }
  return false;
}

}  // namespace netcorr::capture
