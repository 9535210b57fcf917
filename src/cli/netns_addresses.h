#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "src/model/endpoint.h"
#include "src/model/port_range.h"

namespace netcorr::cli {

// The IP addresses configured in a network namespace (`netns_path` such as /proc/PID/ns/net;
// empty: netcorr's own). The correlator needs them to tell an ICMP error sent by this host's
// own firewall from one sent by a router or the destination.
absl::StatusOr<std::vector<IpAddress>> AddressesInNetns(const std::string& netns_path);

// The namespace's ephemeral port range (net.ipv4.ip_local_port_range, which IPv6 uses too),
// named when a connect finds no free local port.
absl::StatusOr<PortRange> LocalPortRangeInNetns(const std::string& netns_path);

}  // namespace netcorr::cli
