// Fuzzes the whole decoder stack: link layer, ARP, IP, TCP/UDP, ICMP quoting, ICMPv6
// neighbour discovery, DNS and TLS, plus the userspace flow matcher that runs on decoded
// packets. The first byte picks the link type.
#include <cstddef>
#include <cstdint>

#include "capture/decode.h"
#include "capture/filter.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace netcorr::capture;  // NOLINT
  static constexpr int kLinks[] = {kLinkEthernet, kLinkLinuxSll, kLinkLinuxSll2, kLinkNull,
                                   kLinkLoop,     kLinkRaw,      kLinkRawDlt};
  if (size < 1) return 0;
  const int link = kLinks[data[0] % (sizeof(kLinks) / sizeof(kLinks[0]))];
  absl::Span<const uint8_t> bytes(data + 1, size - 1);
  DecodeNotes notes;
  absl::StatusOr<netcorr::Packet> p =
      DecodePacket(link, bytes, static_cast<uint32_t>(bytes.size()), 1, &notes);
  if (!p.ok()) __builtin_trap();  // every link type in kLinks is supported
  if (p->tcp) (void)p->tcp->FlagsString();
  if (p->icmp_error) (void)p->icmp_error->Describe();
  if (p->neighbour) {
    (void)p->neighbour->resolved();
    (void)p->neighbour->IsAddressProbe();
    if (p->neighbour->sender_mac) (void)netcorr::FormatMac(*p->neighbour->sender_mac);
  }
  FlowTerm term;
  term.transport = p->transport;
  term.remote = p->dst;
  (void)PacketMatchesTerms(*p, {&term, 1});
  return 0;
}
