#include "capture/live_capture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "capture/decode.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/model/time.h"
#include "tests/support/requirements.h"

namespace netcorr::capture {
namespace {

using ::netcorr::testing::Root;
using ::testing::HasSubstr;

// A network namespace of the test's own, with lo up, deleted on every exit path.
class ScopedNetns {
 public:
  ScopedNetns() : name_("nccap" + std::to_string(getpid())) {
    ok_ = std::system(("ip netns add " + name_ + " 2>/dev/null").c_str()) == 0 &&
          std::system(("ip -n " + name_ + " link set lo up").c_str()) == 0;
  }
  ~ScopedNetns() { std::system(("ip netns delete " + name_ + " 2>/dev/null").c_str()); }
  bool ok() const { return ok_; }
  std::string path() const { return "/var/run/netns/" + name_; }

 private:
  std::string name_;
  bool ok_ = false;
};

// Collects what the capture threads deliver.
class Sink {
 public:
  PacketCallback Callback() {
    return [this](RawPacket&& p) {
      absl::MutexLock lock(&mu_);
      packets_.push_back(std::move(p));
    };
  }
  // Waits (bounded) until at least n packets arrived; returns a copy of them.
  std::vector<RawPacket> WaitFor(size_t n, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto enough = [this, n] {
      mu_.AssertReaderHeld();
      return packets_.size() >= n;
    };
    mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
    return packets_;
  }

 private:
  absl::Mutex mu_;
  std::vector<RawPacket> packets_ ABSL_GUARDED_BY(mu_);
};

struct ConnectResult {
  int err = 0;
  TimeNs entry = 0;
  TimeNs exit = 0;
  uint16_t local_port = 0;
};

// connect() to 127.0.0.1:port from a thread inside the namespace; the port has no listener.
ConnectResult ConnectInNetns(const std::string& netns_path, uint16_t port) {
  ConnectResult r;
  std::thread t([&] {
    const int ns = open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (ns < 0 || setns(ns, CLONE_NEWNET) != 0) {
      r.err = -1;
      if (ns >= 0) close(ns);
      return;
    }
    close(ns);
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    r.entry = NowRealtimeNs();
    const int rc = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    r.err = rc == 0 ? 0 : errno;
    r.exit = NowRealtimeNs();
    sockaddr_in local{};
    socklen_t len = sizeof(local);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) == 0) {
      r.local_port = ntohs(local.sin_port);
    }
    close(fd);
  });
  t.join();
  return r;
}

FlowTerm ToLoopback(uint16_t port) {
  FlowTerm t;
  t.transport = Transport::kTcp;
  t.remote = Endpoint{*IpAddress::Parse("127.0.0.1"), port};
  return t;
}

TEST(LiveCaptureTest, SynAndRstOfARefusedConnectInANamespace) {
  NETCORR_REQUIRE(Root("network namespaces and capture"));
  ScopedNetns ns;
  ASSERT_TRUE(ns.ok()) << "ip netns add failed";
  Sink sink;
  LiveCaptureOptions options;
  options.netns_path = ns.path();
  absl::StatusOr<std::unique_ptr<LiveCapture>> capture =
      LiveCapture::Open(options, sink.Callback());
  ASSERT_TRUE(capture.ok()) << capture.status();
  const std::vector<FlowTerm> terms = {ToLoopback(9)};
  absl::StatusOr<CaptureFilter> filter = (*capture)->UpdateFilter(terms);
  ASSERT_TRUE(filter.ok()) << filter.status();
  EXPECT_FALSE(filter->needs_userspace_filtering);

  // A refused connect to a port outside the filter must not show up.
  ConnectResult other = ConnectInNetns(ns.path(), 10);
  ASSERT_EQ(other.err, ECONNREFUSED);
  ConnectResult ours = ConnectInNetns(ns.path(), 9);
  ASSERT_EQ(ours.err, ECONNREFUSED);

  std::vector<RawPacket> packets = sink.WaitFor(2, absl::Seconds(5));
  (*capture)->Stop();
  const CaptureStats stats = (*capture)->Stats();
  packets = sink.WaitFor(2, absl::ZeroDuration());
  ASSERT_EQ(packets.size(), 2u);

  std::vector<Packet> decoded;
  for (const RawPacket& raw : packets) {
    EXPECT_EQ(raw.interface, "any");
    absl::StatusOr<Packet> p = DecodePacket(raw);
    ASSERT_TRUE(p.ok()) << p.status();
    decoded.push_back(*p);
  }
  const Packet& syn = decoded[0];
  const Packet& rst = decoded[1];
  ASSERT_TRUE(syn.tcp && rst.tcp);
  EXPECT_EQ(syn.tcp->flags, kTcpSyn);
  EXPECT_EQ(rst.tcp->flags, kTcpRst | kTcpAck);
  EXPECT_EQ(syn.src.port, ours.local_port);
  EXPECT_EQ(syn.dst.port, 9);
  EXPECT_EQ(rst.src.port, 9);
  EXPECT_EQ(rst.tcp->ack, syn.tcp->seq + 1);
  EXPECT_TRUE(syn.tcp->mss.has_value());
  // One clock: both packets lie between the connect's entry and exit.
  EXPECT_LE(ours.entry, syn.ts_ns);
  EXPECT_LE(syn.ts_ns, rst.ts_ns);
  EXPECT_LE(rst.ts_ns, ours.exit);
  // Nanosecond precision: a microsecond clock would make both multiples of 1000.
  EXPECT_TRUE(syn.ts_ns % 1000 != 0 || rst.ts_ns % 1000 != 0);

  EXPECT_GE(stats.received, 2u);
  EXPECT_EQ(stats.kernel_dropped, 0u);
  EXPECT_EQ(stats.interface_dropped, 0u);
}

// A program that ends right after its last packet: Stop() comes while the packets still wait in
// the ring (the thread lets them gather between reads) and must deliver them, not drop them.
TEST(LiveCaptureTest, StopDeliversWhatTheRingStillHolds) {
  NETCORR_REQUIRE(Root("network namespaces and capture"));
  ScopedNetns ns;
  ASSERT_TRUE(ns.ok()) << "ip netns add failed";
  Sink sink;
  LiveCaptureOptions options;
  options.netns_path = ns.path();
  options.batch_interval_ms = 10'000;  // the thread sleeps past the connect: only Stop() reads
  absl::StatusOr<std::unique_ptr<LiveCapture>> capture =
      LiveCapture::Open(options, sink.Callback());
  ASSERT_TRUE(capture.ok()) << capture.status();
  const std::vector<FlowTerm> terms = {ToLoopback(9)};
  ASSERT_TRUE((*capture)->UpdateFilter(terms).ok());
  ASSERT_EQ(ConnectInNetns(ns.path(), 9).err, ECONNREFUSED);
  (*capture)->Stop();
  EXPECT_EQ(sink.WaitFor(2, absl::ZeroDuration()).size(), 2u);
}

TEST(LiveCaptureTest, StopIsPromptAndIdempotent) {
  NETCORR_REQUIRE(Root("capture"));
  ScopedNetns ns;
  ASSERT_TRUE(ns.ok());
  Sink sink;
  LiveCaptureOptions options;
  options.netns_path = ns.path();
  options.interfaces = {"lo"};
  options.poll_timeout_ms = 50;
  auto capture = LiveCapture::Open(options, sink.Callback());
  ASSERT_TRUE(capture.ok()) << capture.status();
  EXPECT_EQ((*capture)->link_types(), std::vector<int>{kLinkEthernet});
  const absl::Time start = absl::Now();
  (*capture)->Stop();
  (*capture)->Stop();
  // Not a performance assertion: a Stop() that waited on a blocking read would never return.
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_FALSE((*capture)->SetFilter(CaptureFilter{}).ok());
}

TEST(LiveCaptureTest, BadFilterIsRejectedAndCaptureKeepsRunning) {
  NETCORR_REQUIRE(Root("capture"));
  ScopedNetns ns;
  ASSERT_TRUE(ns.ok());
  Sink sink;
  LiveCaptureOptions options;
  options.netns_path = ns.path();
  auto capture = LiveCapture::Open(options, sink.Callback());
  ASSERT_TRUE(capture.ok()) << capture.status();
  CaptureFilter bad;
  bad.expression = "tcp and and";
  absl::Status s = (*capture)->SetFilter(bad);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE((*capture)->UpdateFilter({ToLoopback(7)}).ok());
}

TEST(LiveCaptureTest, OneLineErrorsForBadOptions) {
  NETCORR_REQUIRE(Root("capture"));
  ScopedNetns ns;
  ASSERT_TRUE(ns.ok());
  Sink sink;
  LiveCaptureOptions options;
  options.netns_path = ns.path();
  options.interfaces = {"nccap-no-such-if"};
  auto missing = LiveCapture::Open(options, sink.Callback());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound) << missing.status();
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("nccap-no-such-if"));

  options.interfaces.clear();
  options.netns_path = "/nonexistent/ns/net";
  auto bad_ns = LiveCapture::Open(options, sink.Callback());
  ASSERT_FALSE(bad_ns.ok());
  EXPECT_THAT(std::string(bad_ns.status().message()), HasSubstr("/nonexistent/ns/net"));

  options.netns_path.clear();
  options.snaplen = 0;
  EXPECT_EQ(LiveCapture::Open(options, sink.Callback()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// Enters the namespace on the calling thread; false on failure.
bool EnterNetns(const std::string& path) {
  const int ns = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (ns < 0) return false;
  const bool ok = setns(ns, CLONE_NEWNET) == 0;
  close(ns);
  return ok;
}

bool SendAll(int fd, const char* data, size_t len) {
  while (len > 0) {
    const ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
    if (n <= 0) return false;
    data += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

bool RecvAll(int fd, char* data, size_t len) {
  while (len > 0) {
    const ssize_t n = recv(fd, data, len, 0);
    if (n <= 0) return false;
    data += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

// The capture keeps up with a loopback request/response workload while decoding every packet:
// every data segment is delivered, and the kernel reports no drops.
TEST(LiveCaptureTest, KeepsUpWithLoopbackRequestResponse) {
  NETCORR_REQUIRE(Root("network namespaces and capture"));
  ScopedNetns ns;
  ASSERT_TRUE(ns.ok());
  constexpr int kRoundTrips = 5000;
  constexpr size_t kMessage = 64;
  constexpr uint16_t kPort = 7777;

  absl::Mutex mu;
  uint64_t delivered = 0, data_segments = 0, undecoded = 0;
  LiveCaptureOptions options;
  options.netns_path = ns.path();
  auto capture = LiveCapture::Open(options, [&](RawPacket&& raw) {
    absl::StatusOr<Packet> p = DecodePacket(raw);
    absl::MutexLock lock(&mu);
    ++delivered;
    if (!p.ok() || !p->tcp) {
      ++undecoded;
    } else if (p->payload_len > 0) {
      ++data_segments;
    }
  });
  ASSERT_TRUE(capture.ok()) << capture.status();
  ASSERT_TRUE((*capture)->UpdateFilter({ToLoopback(kPort)}).ok());

  // The listener is ready before the client connects.
  absl::Notification listening;
  bool server_ok = false;
  std::thread server([&] {
    if (!EnterNetns(ns.path())) {
      listening.Notify();
      return;
    }
    const int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(kPort);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool bound =
        bind(ls, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 && listen(ls, 1) == 0;
    listening.Notify();
    if (!bound) {
      close(ls);
      return;
    }
    const int c = accept4(ls, nullptr, nullptr, SOCK_CLOEXEC);
    close(ls);
    if (c < 0) return;
    timeval tv{10, 0};  // bounded: a stuck client cannot hang the test
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    char buf[kMessage];
    int served = 0;
    while (served < kRoundTrips && RecvAll(c, buf, kMessage) && SendAll(c, buf, kMessage)) ++served;
    server_ok = served == kRoundTrips;
    close(c);
  });
  listening.WaitForNotification();

  bool client_ok = false;
  std::thread client([&] {
    if (!EnterNetns(ns.path())) return;
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    timeval tv{10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(kPort);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
      close(fd);
      return;
    }
    char buf[kMessage] = {'q'};
    int done = 0;
    while (done < kRoundTrips && SendAll(fd, buf, kMessage) && RecvAll(fd, buf, kMessage)) ++done;
    client_ok = done == kRoundTrips;
    close(fd);
  });
  client.join();
  server.join();
  ASSERT_TRUE(client_ok && server_ok);

  // Stop drains what the ring still holds; then the counts are final.
  (*capture)->Stop();
  const CaptureStats stats = (*capture)->Stats();
  absl::MutexLock lock(&mu);
  EXPECT_EQ(stats.kernel_dropped, 0u);
  EXPECT_EQ(stats.received, delivered);
  EXPECT_EQ(undecoded, 0u);
  // Strict request/response: every message is its own segment, none may be missing.
  EXPECT_EQ(data_segments, 2u * kRoundTrips);
}

// Without CAP_NET_RAW (an unprivileged user), Open says so and how to grant it.
TEST(LiveCaptureTest, MissingPrivilegeSaysHowToGrantIt) {
  if (geteuid() != 0) {
    auto capture = LiveCapture::Open(LiveCaptureOptions{}, [](RawPacket&&) {});
    NETCORR_REQUIRE(::netcorr::testing::Requirement{
        "root, or a user who may not capture (this one may, so the refusal cannot be tested)",
        !capture.ok()});
    EXPECT_EQ(capture.status().code(), absl::StatusCode::kPermissionDenied);
    EXPECT_THAT(std::string(capture.status().message()), HasSubstr("setcap"));
    return;
  }
  // As root, drop to nobody in a child so the test process keeps its privileges.
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0) _exit(2);
    auto capture = LiveCapture::Open(LiveCaptureOptions{}, [](RawPacket&&) {});
    if (capture.ok()) _exit(3);
    if (capture.status().code() != absl::StatusCode::kPermissionDenied) _exit(4);
    if (std::string(capture.status().message()).find("setcap cap_net_raw") == std::string::npos) {
      _exit(5);
    }
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "2: could not drop privileges, 3: capture opened, "
                                       "4: wrong status code, 5: no setcap hint";
}

}  // namespace
}  // namespace netcorr::capture
