#include "src/cli/netns_addresses.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <sched.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string_view>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "src/model/port_range.h"

namespace netcorr::cli {

namespace {

absl::StatusOr<std::vector<IpAddress>> AddressesHere() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return absl::ErrnoToStatus(errno, "getifaddrs");
  std::vector<IpAddress> out;
  for (const ifaddrs* it = list; it != nullptr; it = it->ifa_next) {
    if (it->ifa_addr == nullptr) continue;
    if (it->ifa_addr->sa_family == AF_INET) {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(it->ifa_addr);
      std::array<uint8_t, 4> b{};
      std::memcpy(b.data(), &sin->sin_addr, 4);
      out.push_back(IpAddress::V4(b));
    } else if (it->ifa_addr->sa_family == AF_INET6) {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(it->ifa_addr);
      std::array<uint8_t, 16> b{};
      std::memcpy(b.data(), &sin6->sin6_addr, 16);
      out.push_back(IpAddress::V6(b));
    }
  }
  freeifaddrs(list);
  return out;
}

// Runs `read` on a thread of its own inside `netns_path` (empty: right here): setns() changes
// only the calling thread's namespace, so the rest of netcorr stays where it is. /proc/sys/net
// answers for the namespace of the thread that reads it.
template <typename T>
absl::StatusOr<T> InNetns(const std::string& netns_path, absl::StatusOr<T> (*read)()) {
  if (netns_path.empty()) return read();
  absl::StatusOr<T> result = absl::InternalError("not run");
  std::thread worker([&] {
    const int fd = open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      result = absl::ErrnoToStatus(errno, absl::StrCat("open ", netns_path));
      return;
    }
    const int rc = setns(fd, CLONE_NEWNET);
    const int saved = errno;
    close(fd);
    if (rc != 0) {
      result = absl::ErrnoToStatus(saved, absl::StrCat("setns ", netns_path));
      return;
    }
    result = read();
  });
  worker.join();
  return result;
}

absl::StatusOr<PortRange> PortRangeHere() {
  constexpr char kPath[] = "/proc/sys/net/ipv4/ip_local_port_range";
  const int fd = open(kPath, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::ErrnoToStatus(errno, absl::StrCat("open ", kPath));
  char buf[64];
  const ssize_t n = read(fd, buf, sizeof(buf));
  const int saved = errno;
  close(fd);
  if (n < 0) return absl::ErrnoToStatus(saved, absl::StrCat("read ", kPath));
  std::optional<PortRange> range = ParsePortRange(std::string_view(buf, static_cast<size_t>(n)));
  if (!range) return absl::DataLossError(absl::StrCat(kPath, ": not a port range"));
  return *range;
}

}  // namespace

absl::StatusOr<std::vector<IpAddress>> AddressesInNetns(const std::string& netns_path) {
  return InNetns(netns_path, &AddressesHere);
}

absl::StatusOr<PortRange> LocalPortRangeInNetns(const std::string& netns_path) {
  return InNetns(netns_path, &PortRangeHere);
}

}  // namespace netcorr::cli
