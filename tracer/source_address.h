#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "src/model/endpoint.h"

namespace netcorr::tracer {

// The source address the kernel picks to reach a destination from a process's network
// namespace. Needed after a failed blocking connect: the kernel then reports the socket's local
// address as 0.0.0.0 (the port survives), yet its SYN left from a real address that the
// capture must match. A UDP socket is created once per namespace (on a short-lived thread that
// setns()es there) and connect()ed to the destination: UDP connect only routes, it sends
// nothing; getsockname() then tells the source.
class SourceAddressFinder {
 public:
  SourceAddressFinder() = default;
  ~SourceAddressFinder();
  SourceAddressFinder(const SourceAddressFinder&) = delete;
  SourceAddressFinder& operator=(const SourceAddressFinder&) = delete;

  std::optional<IpAddress> SourceFor(pid_t pid, const Endpoint& destination);

 private:
  struct Probes {
    int v4 = -1;
    int v6 = -1;
  };
  absl::flat_hash_map<uint64_t, Probes> by_netns_;  // netns inode -> probe sockets
};

}  // namespace netcorr::tracer
