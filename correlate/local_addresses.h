#pragma once

#include "absl/container/flat_hash_set.h"
#include "src/model/endpoint.h"

namespace netcorr::correlate {

// This host's addresses as far as netcorr knows them: the session's interface list plus every
// local address the traced program's sockets showed. Used to tell an ICMP error this host's own
// firewall generated from one a router or the destination sent.
class LocalAddresses {
 public:
  void Add(const IpAddress& addr) {
    if (addr.is_set() && !addr.is_unspecified()) addrs_.insert(addr);
  }
  bool Contains(const IpAddress& addr) const { return addrs_.contains(addr); }

 private:
  absl::flat_hash_set<IpAddress> addrs_;
};

}  // namespace netcorr::correlate
