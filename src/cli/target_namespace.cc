#include "src/cli/target_namespace.h"

#include <sys/stat.h>

#include <cerrno>
#include <filesystem>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "src/cli/proc_status.h"

namespace netcorr::cli {

namespace {

// Docker, podman, containerd and cri-o name containers by 64 hex digits.
bool IsContainerHexId(absl::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// systemd escapes '-' and other bytes of unit names as \xNN (machine-my\x2dbox.scope).
std::string UnescapeSystemdName(absl::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    int byte = 0;
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] == 'x' &&
        absl::SimpleHexAtoi(s.substr(i + 2, 2), &byte)) {
      out.push_back(static_cast<char>(byte));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// "<prefix>ID.scope" or "<prefix>ID" with a 64-hex-digit ID: the ID, else "".
std::string IdAfterPrefix(absl::string_view segment, absl::string_view prefix) {
  if (!absl::ConsumePrefix(&segment, prefix)) return "";
  absl::ConsumeSuffix(&segment, ".scope");
  return IsContainerHexId(segment) ? std::string(segment) : "";
}

// The container one path component names, if any: {id, runtime}.
std::pair<std::string, std::string> ContainerOfSegment(absl::string_view segment,
                                                       absl::string_view parent, bool kubepods) {
  struct Pattern {
    absl::string_view prefix;
    absl::string_view runtime;
  };
  // conmon's scopes (libpod-conmon-ID, crio-conmon-ID) are the monitors, not the containers:
  // their IDs fail IsContainerHexId after these prefixes, so they never match.
  static constexpr Pattern kPatterns[] = {
      {"docker-", "docker"},
      {"libpod-", "podman"},
      {"cri-containerd-", "containerd"},
      {"crio-", "cri-o"},
  };
  for (const Pattern& p : kPatterns) {
    if (std::string id = IdAfterPrefix(segment, p.prefix); !id.empty()) {
      return {id, std::string(p.runtime)};
    }
  }
  if (parent == "docker" && IsContainerHexId(segment)) return {std::string(segment), "docker"};
  if (kubepods && IsContainerHexId(segment)) return {std::string(segment), "kubernetes"};
  if (absl::StartsWith(segment, "lxc.payload.") && segment.size() > 12) {
    return {std::string(segment.substr(12)), "lxc"};
  }
  if (parent == "lxc" && !segment.empty()) return {std::string(segment), "lxc"};
  if (absl::StartsWith(segment, "machine-") && absl::EndsWith(segment, ".scope") &&
      segment.size() > 14) {
    return {UnescapeSystemdName(segment.substr(8, segment.size() - 14)), "systemd-nspawn"};
  }
  return {"", ""};
}

// The innermost container a cgroup path names.
std::pair<std::string, std::string> ContainerOfPath(absl::string_view path) {
  std::pair<std::string, std::string> found;
  const bool kubepods = absl::StrContains(path, "kubepods");
  absl::string_view parent;
  for (absl::string_view segment : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    if (auto c = ContainerOfSegment(segment, parent, kubepods); !c.first.empty()) found = c;
    parent = segment;
  }
  return found;
}

struct NsId {
  dev_t dev = 0;
  ino_t ino = 0;
  bool operator==(const NsId&) const = default;
};

absl::StatusOr<NsId> StatNamespace(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return absl::ErrnoToStatus(errno, absl::StrCat("stat ", path));
  return NsId{st.st_dev, st.st_ino};
}

// `ip netns identify`: the /run/netns entry that is a bind mount of this namespace.
std::string NetnsName(const NsId& id) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/run/netns", ec)) {
    auto entry_id = StatNamespace(entry.path().string());
    if (entry_id.ok() && *entry_id == id) return entry.path().filename().string();
  }
  return "";
}

}  // namespace

CgroupInfo ParseProcCgroup(absl::string_view text) {
  // "hierarchy-ID:controllers:path" per line; cgroup v2 is "0::path".
  std::string v2, systemd, first_named;
  std::vector<std::string> paths;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> parts = absl::StrSplit(line, absl::MaxSplits(':', 2));
    if (parts.size() != 3) continue;
    const std::string path(parts[2]);
    paths.push_back(path);
    if (parts[0] == "0" && parts[1].empty()) v2 = path;
    if (parts[1] == "name=systemd") systemd = path;
    if (first_named.empty() && path != "/") first_named = path;
  }
  CgroupInfo info;
  for (const std::string* candidate : {&v2, &systemd, &first_named}) {
    if (!candidate->empty() && *candidate != "/") {
      info.path = *candidate;
      break;
    }
  }
  if (info.path.empty() && !paths.empty()) info.path = v2.empty() ? paths.front() : v2;
  // The chosen path first; in a cgroup v1 hierarchy a runtime may show only in some lines.
  paths.insert(paths.begin(), info.path);
  for (const std::string& path : paths) {
    auto [id, runtime] = ContainerOfPath(path);
    if (!id.empty()) {
      info.container_id = id;
      info.runtime = runtime;
      break;
    }
  }
  return info;
}

int ParseNsPid(absl::string_view status) {
  const std::vector<int64_t> pids = StatusNumbers(status, "NSpid:");
  return pids.empty() ? 0 : static_cast<int>(pids.back());
}

absl::StatusOr<report::TargetNamespace> DescribeTargetNamespace(pid_t pid) {
  const std::string proc = absl::StrCat("/proc/", pid);
  report::TargetNamespace ns;
  absl::StatusOr<NsId> net = StatNamespace(proc + "/ns/net");
  if (!net.ok()) return net.status();
  ns.netns_inode = net->ino;
  ns.netns_name = NetnsName(*net);
  if (auto own = StatNamespace("/proc/self/ns/net"); own.ok()) ns.own_netns = *own == *net;
  if (auto pidns = StatNamespace(proc + "/ns/pid"); pidns.ok()) {
    ns.pidns_inode = pidns->ino;
    if (auto own = StatNamespace("/proc/self/ns/pid"); own.ok()) ns.own_pidns = *own == *pidns;
  }
  ns.ns_pid = ParseNsPid(ReadWholeFile(proc + "/status"));
  const CgroupInfo cgroup = ParseProcCgroup(ReadWholeFile(proc + "/cgroup"));
  ns.cgroup = cgroup.path;
  ns.own_cgroup = ParseProcCgroup(ReadWholeFile("/proc/self/cgroup")).path == cgroup.path;
  ns.container_id = cgroup.container_id;
  ns.container_runtime = cgroup.runtime;
  return ns;
}

}  // namespace netcorr::cli
