#include "tracer/testing/live_tracer_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "tests/support/requirements.h"
#include "tracer/event_format.h"

namespace netcorr::tracer {
namespace {

// The loopback address of `family` with `port`, in `ss`; its length.
socklen_t Loopback(int family, int port, sockaddr_storage* ss) {
  *ss = sockaddr_storage{};
  if (family == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(ss);
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a->sin_port = htons(port);
    return sizeof(*a);
  }
  auto* a = reinterpret_cast<sockaddr_in6*>(ss);
  a->sin6_family = AF_INET6;
  a->sin6_addr = in6addr_loopback;
  a->sin6_port = htons(port);
  return sizeof(*a);
}

}  // namespace

Listener::Listener(int family, int type) : family_(family) {
  fd_ = socket(family, type, 0);
  sockaddr_storage ss;
  socklen_t len = Loopback(family, 0, &ss);
  bind(fd_, reinterpret_cast<sockaddr*>(&ss), len);
  getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len);
  port_ = ntohs(family == AF_INET ? reinterpret_cast<sockaddr_in*>(&ss)->sin_port
                                  : reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  if (type == SOCK_STREAM) listen(fd_, 16);
}

Listener::~Listener() {
  stop_ = true;
  if (server_.joinable()) server_.join();
  if (fd_ >= 0) close(fd_);
}

int Listener::ClosedPort(int family) {
  static std::mutex mu;
  static std::vector<int> held;
  std::lock_guard<std::mutex> lock(mu);
  for (int port = 900; port < 1024; ++port) {
    const int fd = socket(family, SOCK_STREAM, 0);
    sockaddr_storage ss;
    const socklen_t len = Loopback(family, port, &ss);
    if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0) {
      held.push_back(fd);
      return port;
    }
    close(fd);
  }
  return 1;
}

int Listener::FreePort() {
  Listener l(AF_INET, SOCK_DGRAM);
  return l.port();
}

void Listener::ServeEcho(bool silent) {
  server_ = std::thread([this, silent] {
    std::vector<int> held;
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      char buf[64];
      sockaddr_storage from{};
      socklen_t from_len = sizeof(from);
      int type = 0;
      socklen_t tl = sizeof(type);
      getsockopt(fd_, SOL_SOCKET, SO_TYPE, &type, &tl);
      if (type == SOCK_DGRAM) {
        const ssize_t n =
            recvfrom(fd_, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &from_len);
        if (n > 0) sendto(fd_, buf, n, 0, reinterpret_cast<sockaddr*>(&from), from_len);
        continue;
      }
      const int c = accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      if (silent) {
        held.push_back(c);
        continue;
      }
      pollfd pc{c, POLLIN, 0};
      if (poll(&pc, 1, 2000) > 0) {
        const ssize_t n = recv(c, buf, sizeof(buf), 0);
        if (n > 0) send(c, buf, n, MSG_NOSIGNAL);
      }
      close(c);
    }
    for (int c : held) close(c);
  });
}

void TracerTest::SetUp() { NETCORR_REQUIRE(::netcorr::testing::Root("ptrace")); }

absl::StatusOr<int> TracerTest::RunHelper(const std::vector<std::string>& args) {
  LaunchSpec spec;
  spec.argv.push_back(TRACER_HELPER_PATH);
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  absl::StatusOr<std::unique_ptr<Tracer>> t = Tracer::Launch(spec, &sink_);
  if (!t.ok()) return t.status();
  return (*t)->Run();
}

std::string ProcState(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  std::string state;
  std::string tracer;
  while (std::getline(in, line)) {
    if (line.rfind("State:", 0) == 0) state = line;
    if (line.rfind("TracerPid:", 0) == 0) tracer = line;
  }
  return absl::StrCat(state, " ", tracer);
}

}  // namespace netcorr::tracer
