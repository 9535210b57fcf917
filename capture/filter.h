#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/types/span.h"
#include "src/model/endpoint.h"
#include "src/model/packet.h"

namespace netcorr::capture {

// One flow of the traced program to let through the kernel filter.
struct FlowTerm {
  Transport transport = Transport::kUnknown;  // kTcp or kUdp (others are ignored)
  // A connected/sending socket: the remote address and port (port 0: any port of that host).
  Endpoint remote;
  // A listening/bound socket with no remote: its local port (remote.addr unset).
  uint16_t local_port = 0;
  // Every flow of `transport`, whatever its addresses: for a program whose flows the tracer
  // cannot see one by one (io_uring), so none of them can be announced before its first packet.
  bool any_flow = false;

  friend bool operator==(const FlowTerm&, const FlowTerm&) = default;
  friend auto operator<=>(const FlowTerm&, const FlowTerm&) = default;
};

// Past this many distinct terms the filter program would grow past what the kernel accepts
// cheaply (each term costs ~20 BPF instructions, the kernel limit is 4096): fall back.
inline constexpr size_t kMaxFilterTerms = 64;

struct CaptureFilter {
  // tcpdump syntax, compiled by pcap_compile for any link type netcorr captures on.
  std::string expression;
  // True when the expression is the broad fallback: the caller must drop packets that match
  // no term itself (PacketMatchesTerms).
  bool needs_userspace_filtering = false;
  size_t term_count = 0;  // distinct usable terms
};

// The expression for the kernel filter: the terms' packets in both directions, plus every
// ICMP error (types 3, 11, 12) and ICMPv6 error (types 1-4), which are matched to flows in
// userspace by the header they quote, and all address resolution (ARP, ICMPv6 neighbour
// solicitations and advertisements), which explains a next hop that never answered. No terms:
// only the ICMP errors and address resolution.
CaptureFilter BuildCaptureFilter(absl::Span<const FlowTerm> terms,
                                 size_t max_terms = kMaxFilterTerms);

// Userspace version of the same filter, for the fallback: true if the packet belongs to a
// term's flow in either direction, is an ICMP/ICMPv6 error quoting such a flow, or is ARP or
// neighbour discovery.
bool PacketMatchesTerms(const Packet& packet, absl::Span<const FlowTerm> terms);

}  // namespace netcorr::capture
