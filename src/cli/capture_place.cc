#include "src/cli/capture_place.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "src/cli/netns_addresses.h"
#include "src/cli/privileges.h"
#include "src/cli/target_namespace.h"

namespace netcorr::cli {

namespace {

absl::Status AttachPlace(const Options& options, CapturePlace& place) {
  const int pid = options.pids.front();
  auto ns = DescribeTargetNamespace(pid);
  if (!ns.ok()) {
    if (!absl::IsPermissionDenied(ns.status())) return ns.status();
    // /proc/PID/ns/* needs the same ptrace access as attaching: the attach would fail too.
    const std::string line =
        AttachDeniedLine(pid, options.capture ? CaptureNeeds(false) : CapSet{});
    return absl::PermissionDeniedError(
        line.empty() ? absl::StrCat("cannot attach to process ", pid, ": ", ns.status().message())
                     : line);
  }
  place.target = *ns;
  if (!ns->own_netns) {
    place.netns_path = absl::StrCat("/proc/", pid, "/ns/net");
    place.where = absl::StrCat("process ", pid, "'s network namespace");
  }
  for (size_t i = 1; i < options.pids.size(); ++i) {
    auto other = DescribeTargetNamespace(options.pids[i]);
    if (other.ok() && other->netns_inode != ns->netns_inode) {
      place.warnings.push_back(
          absl::StrCat("process ", options.pids[i], " is in another network namespace (net:[",
                       other->netns_inode, "]) than process ", pid, ": only net:[", ns->netns_inode,
                       "] is captured; run one netcorr per namespace"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CapturePlace> DecideCapturePlace(const Options& options) {
  CapturePlace place;
  if (options.mode == Mode::kAttach) {
    if (absl::Status s = AttachPlace(options, place); !s.ok()) return s;
  } else if (!options.netns_path.empty()) {
    place.netns_path = options.netns_path;
    place.where = absl::StrCat("network namespace ", options.netns_path);
  }
  auto addresses = AddressesInNetns(place.netns_path);
  if (addresses.ok()) {
    place.local_addresses = *addresses;
    // Only a hint's detail: a namespace whose /proc/sys cannot be read goes without it.
    if (absl::StatusOr<PortRange> range = LocalPortRangeInNetns(place.netns_path); range.ok()) {
      place.local_port_range = *range;
    }
    return place;
  }
  if (absl::IsNotFound(addresses.status()) && options.mode == Mode::kLaunch) {
    return absl::NotFoundError(
        absl::StrCat("--netns: no network namespace ", options.netns_path, " (see ip netns list)"));
  }
  if (!absl::IsPermissionDenied(addresses.status())) {
    // Not a privilege problem (not a namespace file...): the launch or capture will say what.
    if (options.mode == Mode::kLaunch) return addresses.status();
    return place;
  }
  if (options.mode == Mode::kAttach && !options.capture) return place;  // nothing to enter
  if (options.mode == Mode::kLaunch) {
    // The program itself must start in there: without it there is no session.
    std::vector<Need> needs = {
        {absl::StrCat("running the command in ", place.where), CapSet{false, true, false}}};
    // Entering is named once, in the step above.
    if (options.capture) needs.push_back({"capturing packets there", CaptureNeeds(false)});
    const std::string line = GrantLine(needs, EffectiveCaps(), OwnExecutable());
    return absl::PermissionDeniedError(line.empty() ? addresses.status().message() : line);
  }
  place.refusal = CaptureDeniedLine(place.where, std::string(addresses.status().message()));
  place.refusal_reason = CaptureDeniedReason(true);
  return place;
}

}  // namespace netcorr::cli
