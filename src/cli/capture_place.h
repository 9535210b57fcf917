#pragma once

// Where a live session captures — netcorr's own network namespace, the attached process's, or
// the one --netns names — decided before anything is opened, with what the user must be told
// when netcorr may not go there.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "src/cli/options.h"
#include "src/model/endpoint.h"
#include "src/model/port_range.h"
#include "src/report/report.h"

namespace netcorr::cli {

struct CapturePlace {
  // The namespace file the capture enters; "" for netcorr's own (no setns, which would need
  // CAP_SYS_ADMIN even to enter the namespace one is already in).
  std::string netns_path;
  // For messages: "process 42's network namespace", "network namespace /run/netns/blue", or ""
  // for netcorr's own.
  std::string where;
  // The namespace's addresses, which tell the correlator this host's own ICMP errors apart.
  std::vector<IpAddress> local_addresses;
  // Its ephemeral port range, when readable.
  std::optional<PortRange> local_port_range;
  // Attach: the first process's namespaces, read before attaching.
  std::optional<report::TargetNamespace> target;
  // Set when netcorr may not enter the namespace: the one line to print, and the report's
  // reason. Tracing goes on without capture.
  std::string refusal;
  std::string refusal_reason;
  // Things to say once (another -p PID in a namespace that is not captured).
  std::vector<std::string> warnings;
};

// Errors are the one line that ends the session: an attach target netcorr may not look at
// (with the capability to grant), a --netns that does not exist or may not be entered.
absl::StatusOr<CapturePlace> DecideCapturePlace(const Options& options);

}  // namespace netcorr::cli
