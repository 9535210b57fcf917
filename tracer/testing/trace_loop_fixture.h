#pragma once

// The fixture of the trace-loop tests: a TraceLoop over a scripted kernel (FakeTraceeOs),
// attached to a fake process, with everything it reports recorded. Test-only.


#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tracer/testing/fake_tracee_os.h"
#include "tracer/testing/recording_sink.h"
#include "tracer/wait_status.h"
#include "tracer/trace_loop.h"

namespace netcorr::tracer::testing {


using ::testing::Contains;
using ::testing::Field;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Pointee;

constexpr pid_t kPid = 4242;
constexpr pid_t kThread = 4243;
constexpr pid_t kChild = 4300;

// Where the scripted calls' buffers live in the tracee's (fake) memory.
constexpr uint64_t kSockaddrAddr = 0x7ffd'0000'1000;
constexpr uint64_t kBufAddr = 0x7ffd'0000'2000;
constexpr uint64_t kPollfdAddr = 0x7ffd'0000'3000;
constexpr uint64_t kOptvalAddr = 0x7ffd'0000'4000;
constexpr uint64_t kOptlenAddr = 0x7ffd'0000'4100;
constexpr uint64_t kEpollEventAddr = 0x7ffd'0000'5000;

// The kernel's restart code a signal leaves in an interrupted blocking call.
constexpr int64_t kErestartsys = -512;

inline IpAddress Ip(std::string_view text) { return *IpAddress::Parse(text); }
inline Endpoint Ep(std::string_view ip, uint16_t port) { return Endpoint{Ip(ip), port}; }
inline std::string Text(const std::optional<Endpoint>& e) { return e ? e->ToString() : "none"; }

inline std::vector<uint8_t> SockaddrIn(const Endpoint& e) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(e.port);
  std::memcpy(&sin.sin_addr, e.addr.data(), 4);
  std::vector<uint8_t> bytes(sizeof(sin));
  std::memcpy(bytes.data(), &sin, sizeof(sin));
  return bytes;
}

inline SocketIdentity TcpSocket(uint64_t inode, std::optional<Endpoint> local = std::nullopt,
                         std::optional<Endpoint> remote = std::nullopt) {
  SocketIdentity s;
  s.inode = inode;
  s.family = AF_INET;
  s.type = SOCK_STREAM;
  s.transport = Transport::kTcp;
  s.local = local;
  s.remote = remote;
  return s;
}

inline const Endpoint kServer = Ep("10.0.0.2", 80);
inline const Endpoint kClient = Ep("10.0.0.1", 40000);

class TraceLoopTest : public ::testing::Test {
 protected:
  TraceLoopTest() : owned_os_(std::make_unique<FakeTraceeOs>()), os_(owned_os_.get()) {
    os_->AddProcess(kPid);
  }

  void TearDown() override { EXPECT_THAT(os_->violations(), IsEmpty()) << os_->Log(); }

  // Attaches to kPid (as `netcorr -p`) and traces until the script is over and every tracee has
  // exited. The fake stays readable through os_ until the test ends.
  void AttachAndRun(bool follow_forks = true) {
    loop_ = std::make_unique<TraceLoop>(TraceLoop::Mode::kAttach, &sink_, follow_forks,
                                        std::move(owned_os_));
    const absl::Status attached = loop_->AttachProcesses({kPid});
    ASSERT_TRUE(attached.ok()) << attached;
    const absl::StatusOr<int> status = loop_->Run();
    ASSERT_TRUE(status.ok()) << status.status();
    EXPECT_EQ(*status, 0);
    EXPECT_TRUE(os_->script_done()) << os_->Log();
  }

  // The launch mode's loop: seccomp stops, PTRACE_CONT unless a call's result matters.
  // LaunchProgram forks and execs a real child, so the loop is entered through AttachProcesses
  // instead (the same tracee bookkeeping, plus the attach-time scan of open fds).
  absl::StatusOr<int> RunInLaunchMode() {
    loop_ = std::make_unique<TraceLoop>(TraceLoop::Mode::kLaunch, &sink_, /*follow_forks=*/true,
                                        std::move(owned_os_));
    if (absl::Status attached = loop_->AttachProcesses({kPid}); !attached.ok()) return attached;
    absl::StatusOr<int> status = loop_->Run();
    EXPECT_TRUE(os_->script_done()) << os_->Log();
    return status;
  }

  // The only event of that call; fails the test (with everything seen) otherwise.
  SyscallEvent Only(std::string_view name) {
    const std::vector<const SyscallEvent*> events = sink_.Named(name);
    EXPECT_EQ(events.size(), 1u) << name << " events in:\n" << Trace();
    return events.empty() ? SyscallEvent{} : *events[0];
  }

  std::string Trace() const {
    return absl::StrCat("events:\n", sink_.Dump(), "kernel:\n", os_->Log());
  }

  int FdLinkReads(pid_t pid, int fd) const {
    int n = 0;
    for (const FakeTraceeOs::FdRef& r : os_->fd_link_reads())
      n += r == FakeTraceeOs::FdRef{pid, fd};
    return n;
  }

  RecordingSink sink_;
  std::unique_ptr<FakeTraceeOs> owned_os_;
  FakeTraceeOs* os_;
  std::unique_ptr<TraceLoop> loop_;
};


}  // namespace netcorr::tracer::testing
