#pragma once

// Where a traced process lives — its network and PID namespaces, its cgroup and, when the cgroup
// is a container runtime's, the container — so that a report about a container's process says
// so (the packets are that namespace's, the pids are the host's).

#include <sys/types.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "src/report/report.h"

namespace netcorr::cli {

// What /proc/PID/cgroup says: the cgroup path (cgroup v2's "0::" line, else the first
// hierarchy that is not the root) and the container it belongs to, if the path has a runtime's
// pattern: docker-ID.scope or /docker/ID (docker), libpod-ID (podman), cri-containerd-ID
// (containerd), crio-ID (cri-o), a 64-hex-digit last component under kubepods (kubernetes),
// lxc.payload.NAME or /lxc/NAME (lxc), machine-NAME.scope (systemd-nspawn).
struct CgroupInfo {
  std::string path;
  std::string container_id;
  std::string runtime;
};
CgroupInfo ParseProcCgroup(absl::string_view proc_pid_cgroup);

// The last pid of the "NSpid:" line of /proc/PID/status: the pid in the innermost PID
// namespace. 0 when the line is missing (kernels before 4.1) or unreadable.
int ParseNsPid(absl::string_view proc_pid_status);

// Reads /proc/PID/ns/{net,pid}, /proc/PID/status and /proc/PID/cgroup and compares them with
// netcorr's own. The namespace's name is the /run/netns entry bound to the same namespace
// (as `ip netns identify PID` finds it). Errors when /proc/PID/ns/net cannot be read (the
// process is gone, or ptrace access to it is not permitted).
absl::StatusOr<report::TargetNamespace> DescribeTargetNamespace(pid_t pid);

}  // namespace netcorr::cli
