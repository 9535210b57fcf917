#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "correlate/flow_state.h"
#include "src/model/endpoint.h"
#include "src/model/packet.h"
#include "src/model/time.h"

namespace netcorr::correlate {

// What the capture showed of address resolution (ARP, ICMPv6 neighbour discovery), per
// neighbour address: who asked for it and whether it ever answered. A next hop that never
// answers makes the kernel drop the packets queued for it and fail the call with EHOSTUNREACH
// (RFC 1122 2.3.2.2, RFC 4861 7.3.3), with nothing of the flow on the wire.
//
// Bounded: the latest kMaxEventsPerNeighbour requests and replies of each address, at most
// kMaxNeighbours addresses (the one quiet longest is forgotten first), and Expire() forgets
// addresses quiet since a horizon.
class NeighbourTable {
 public:
  static constexpr size_t kMaxEventsPerNeighbour = 64;
  static constexpr size_t kMaxNeighbours = 256;

  // Records a packet with p.neighbour set; others, and announcements or duplicate address
  // probes (which resolve nothing), are ignored.
  void Add(const Packet& p);

  // One address's resolution during a time window.
  struct Resolution {
    IpAddress address;
    bool v6 = false;
    std::vector<PacketRef> requests;    // in the window, oldest first (at most kMaxEvents...)
    std::vector<IpAddress> requesters;  // who sent them (distinct)
    bool answered = false;  // a reply came at or after the first of them, within the window
  };
  // The requests for `address` stamped in [from, to], and whether it answered; nullopt when
  // no request for it falls in the window.
  std::optional<Resolution> Find(const IpAddress& address, TimeNs from, TimeNs to) const;
  // Every address of `family` asked for in [from, to] that did not answer, oldest first.
  std::vector<Resolution> Unanswered(IpAddress::Family family, TimeNs from, TimeNs to) const;

  // Forgets the addresses with no request or reply since `before`. Returns how many.
  size_t Expire(TimeNs before);
  size_t size() const { return neighbours_.size(); }

 private:
  struct Event {
    PacketRef ref;
    bool reply = false;
    IpAddress requester;  // requests: the sender's address
  };
  struct Neighbour {
    bool v6 = false;
    std::deque<Event> events;  // in capture order
    TimeNs last_ts = 0;
  };
  static std::optional<Resolution> Resolve(const IpAddress& address, const Neighbour& n,
                                           TimeNs from, TimeNs to);
  void EvictQuietest();

  absl::flat_hash_map<IpAddress, Neighbour> neighbours_;
};

}  // namespace netcorr::correlate
