#include "tracer/source_address.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"

namespace netcorr::tracer {

SourceAddressFinder::~SourceAddressFinder() {
  for (auto& [ns, p] : by_netns_) {
    if (p.v4 >= 0) close(p.v4);
    if (p.v6 >= 0) close(p.v6);
  }
}

std::optional<IpAddress> SourceAddressFinder::SourceFor(pid_t pid, const Endpoint& destination) {
  if (!destination.addr.is_set()) return std::nullopt;
  const std::string ns_path = absl::StrCat("/proc/", pid, "/ns/net");
  struct stat st {};
  if (stat(ns_path.c_str(), &st) != 0) return std::nullopt;
  auto it = by_netns_.find(st.st_ino);
  if (it == by_netns_.end()) {
    Probes p;
    // setns() changes only the calling thread's namespace: do it on a thread of our own that
    // ends right after; the sockets stay in the namespace they were created in.
    std::thread([&] {
      const int ns = open(ns_path.c_str(), O_RDONLY | O_CLOEXEC);
      if (ns < 0) return;
      if (setns(ns, CLONE_NEWNET) == 0) {
        p.v4 = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        p.v6 = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      }
      close(ns);
    }).join();
    it = by_netns_.emplace(st.st_ino, p).first;
  }
  sockaddr_storage ss{};
  socklen_t len;
  int fd;
  if (destination.addr.is_v4()) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(destination.port == 0 ? 9 : destination.port);
    std::memcpy(&a->sin_addr, destination.addr.data(), 4);
    len = sizeof(*a);
    fd = it->second.v4;
  } else {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(destination.port == 0 ? 9 : destination.port);
    std::memcpy(&a->sin6_addr, destination.addr.data(), 16);
    len = sizeof(*a);
    fd = it->second.v6;
  }
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) return std::nullopt;
  sockaddr_storage local{};
  socklen_t local_len = sizeof(local);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len) != 0) return std::nullopt;
  if (local.ss_family == AF_INET) {
    std::array<uint8_t, 4> b{};
    std::memcpy(b.data(), &reinterpret_cast<sockaddr_in*>(&local)->sin_addr, 4);
    return IpAddress::V4(b);
  }
  std::array<uint8_t, 16> b{};
  std::memcpy(b.data(), &reinterpret_cast<sockaddr_in6*>(&local)->sin6_addr, 16);
  return IpAddress::V6(b);
}

}  // namespace netcorr::tracer
