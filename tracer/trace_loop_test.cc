// TraceLoop's per-call and fork/exec logic against a scripted kernel (FakeTraceeOs): no root,
// no real tracee. Each test scripts the stops a real program would make the kernel report in
// attach mode (PTRACE_SYSCALL: every call stops at entry and at exit) and checks what a user
// of the events would: the call, its result, its socket, and the connect it resolved.

#include "tracer/trace_loop.h"

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

namespace netcorr::tracer {
namespace {

using ::netcorr::tracer::testing::EventStopStatus;
using ::netcorr::tracer::testing::ExitedStatus;
using ::netcorr::tracer::testing::FakeTraceeOs;
using ::netcorr::tracer::testing::KilledStatus;
using ::netcorr::tracer::testing::RecordingSink;
using ::netcorr::tracer::testing::SignalStopStatus;
using ::netcorr::tracer::testing::SyscallStopStatus;
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

IpAddress Ip(std::string_view text) { return *IpAddress::Parse(text); }
Endpoint Ep(std::string_view ip, uint16_t port) { return Endpoint{Ip(ip), port}; }
std::string Text(const std::optional<Endpoint>& e) { return e ? e->ToString() : "none"; }

std::vector<uint8_t> SockaddrIn(const Endpoint& e) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(e.port);
  std::memcpy(&sin.sin_addr, e.addr.data(), 4);
  std::vector<uint8_t> bytes(sizeof(sin));
  std::memcpy(bytes.data(), &sin, sizeof(sin));
  return bytes;
}

SocketIdentity TcpSocket(uint64_t inode, std::optional<Endpoint> local = std::nullopt,
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

const Endpoint kServer = Ep("10.0.0.2", 80);
const Endpoint kClient = Ep("10.0.0.1", 40000);

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

// ---- The fake itself ----

TEST(FakeTraceeOsTest, StatusWordsDecodeLikeTheKernelsOnes) {
  EXPECT_EQ(WaitStatus::Decode(SyscallStopStatus()).kind, WaitStatus::Kind::kSyscallStop);
  EXPECT_EQ(WaitStatus::Decode(EventStopStatus(PTRACE_EVENT_FORK)).kind,
            WaitStatus::Kind::kForkEvent);
  EXPECT_EQ(WaitStatus::Decode(EventStopStatus(PTRACE_EVENT_CLONE)).kind,
            WaitStatus::Kind::kCloneEvent);
  EXPECT_EQ(WaitStatus::Decode(EventStopStatus(PTRACE_EVENT_EXEC)).kind,
            WaitStatus::Kind::kExecEvent);
  EXPECT_EQ(WaitStatus::Decode(EventStopStatus(PTRACE_EVENT_STOP)).kind,
            WaitStatus::Kind::kInterruptStop);
  EXPECT_EQ(WaitStatus::Decode(EventStopStatus(PTRACE_EVENT_STOP, SIGTSTP)).kind,
            WaitStatus::Kind::kGroupStop);
  const WaitStatus sig = WaitStatus::Decode(SignalStopStatus(SIGALRM));
  EXPECT_EQ(sig.kind, WaitStatus::Kind::kSignalStop);
  EXPECT_EQ(sig.code, SIGALRM);
  const WaitStatus exited = WaitStatus::Decode(ExitedStatus(3));
  EXPECT_EQ(exited.kind, WaitStatus::Kind::kExited);
  EXPECT_EQ(exited.code, 3);
  const WaitStatus killed = WaitStatus::Decode(KilledStatus(SIGKILL));
  EXPECT_EQ(killed.kind, WaitStatus::Kind::kKilled);
  EXPECT_EQ(killed.code, SIGKILL);
  // The same words as the C library's macros read them.
  EXPECT_TRUE(WIFSTOPPED(SyscallStopStatus()));
  EXPECT_EQ(WSTOPSIG(SyscallStopStatus()), SIGTRAP | 0x80);
  EXPECT_EQ(EventStopStatus(PTRACE_EVENT_FORK) >> 16, PTRACE_EVENT_FORK);
}

TEST(FakeTraceeOsTest, ExhaustedScriptEndsEveryTraceeThreadsFirst) {
  FakeTraceeOs os;
  os.AddProcess(kPid, {kPid, kThread});
  ASSERT_EQ(os.Seize(kPid, 0), 0);
  ASSERT_EQ(os.Seize(kThread, 0), 0);
  int status = 0;
  EXPECT_EQ(os.Wait(&status, false), kThread);
  EXPECT_EQ(WaitStatus::Decode(status).kind, WaitStatus::Kind::kExited);
  EXPECT_EQ(os.Wait(&status, false), kPid);
  EXPECT_EQ(os.Wait(&status, true), -1);
  EXPECT_EQ(errno, ECHILD);
  EXPECT_THAT(os.violations(), IsEmpty());
}

TEST(FakeTraceeOsTest, FlagsAStopOfATraceeThatWasNeverResumed) {
  FakeTraceeOs os;
  os.AddProcess(kPid);
  ASSERT_EQ(os.Seize(kPid, 0), 0);
  os.Entry(kPid, "close", {3});
  os.Exit(kPid, 0);
  int status = 0;
  EXPECT_EQ(os.Wait(&status, false), kPid);
  EXPECT_EQ(os.Wait(&status, false), kPid);  // no Resume() in between
  EXPECT_THAT(os.violations(), Not(IsEmpty()));
}

// ---- Attach ----

TEST_F(TraceLoopTest, AttachSeizesEveryThreadReportsOpenSocketsAndTheEnd) {
  os_->AddProcess(kPid, {kPid, kThread});
  os_->SetSocket(kPid, 3, TcpSocket(7000, kClient, kServer));
  os_->SetFdLink(kPid, 4, FdLink{FdLinkKind::kOther, 0});
  AttachAndRun();

  ASSERT_EQ(os_->seizes().size(), 2u);
  for (const auto& [tid, options] : os_->seizes()) {
    EXPECT_EQ(options & PTRACE_O_EXITKILL, 0) << "attach must never kill the program with netcorr";
    EXPECT_NE(options & PTRACE_O_TRACESYSGOOD, 0);
    EXPECT_NE(options & PTRACE_O_TRACEFORK, 0) << "follow_forks";
  }
  // Every resume of an attached tracee asks for the next syscall stop: without the seccomp
  // filter, the exit stop is the only way to see a call's result.
  EXPECT_THAT(os_->resumes(),
              Contains(Field(&FakeTraceeOs::ResumeRequest::to_next_syscall_stop, true)));
  EXPECT_THAT(os_->resumes(),
              Not(Contains(Field(&FakeTraceeOs::ResumeRequest::to_next_syscall_stop, false))));

  ASSERT_EQ(sink_.processes.size(), 2u) << Trace();
  const ProcessEvent& attached = sink_.processes[0];
  EXPECT_EQ(attached.kind, ProcessEvent::Kind::kAttached);
  EXPECT_EQ(attached.pid, kPid);
  EXPECT_EQ(attached.detail, "/usr/bin/fake-program");
  ASSERT_EQ(attached.sockets.size(), 1u);
  EXPECT_EQ(attached.sockets[0].fd, 3);
  EXPECT_EQ(attached.sockets[0].socket.inode, 7000u);
  EXPECT_EQ(Text(attached.sockets[0].socket.local), "10.0.0.1:40000");
  EXPECT_EQ(Text(attached.sockets[0].socket.remote), "10.0.0.2:80");
  EXPECT_EQ(sink_.processes[1].kind, ProcessEvent::Kind::kExited);
  EXPECT_EQ(sink_.processes[1].pid, kPid);
  EXPECT_THAT(os_->forgotten(), Contains(kPid));
  EXPECT_THAT(sink_.calls, IsEmpty());
}

// ---- 1. A blocking connect refused ----

TEST_F(TraceLoopTest, BlockingConnectRefused) {
  os_->PutBytes(kSockaddrAddr, SockaddrIn(kServer));
  os_->SetSourceAddress(kServer.addr, kClient.addr);
  os_->Call(kPid, "socket", {AF_INET, SOCK_STREAM, 0}, 3,
            [](FakeTraceeOs& os) { os.SetSocket(kPid, 3, TcpSocket(7001)); });
  const TimeNs entry = os_->Entry(kPid, "connect", {3, kSockaddrAddr, sizeof(sockaddr_in)});
  // The SYN left from an ephemeral port; refused, the kernel reports 0.0.0.0:port and no peer.
  os_->Then([](FakeTraceeOs& os) { os.SetSocket(kPid, 3, TcpSocket(7001, Ep("0.0.0.0", 40000))); });
  const TimeNs exit = os_->Exit(kPid, -ECONNREFUSED);
  AttachAndRun();

  const SyscallEvent socket = Only("socket");
  EXPECT_EQ(socket.result, 3);
  const SyscallEvent c = Only("connect");
  EXPECT_EQ(c.kind, CallKind::kConnect);
  EXPECT_EQ(c.pid, kPid);
  EXPECT_EQ(c.fd, 3);
  EXPECT_TRUE(c.finished);
  EXPECT_EQ(c.error, ECONNREFUSED);
  EXPECT_TRUE(c.failed());
  EXPECT_EQ(c.entry_ns, entry);
  EXPECT_EQ(c.exit_ns, exit);
  EXPECT_EQ(Text(c.address), "10.0.0.2:80");
  ASSERT_TRUE(c.socket.has_value());
  EXPECT_EQ(c.socket->inode, 7001u);
  EXPECT_EQ(c.socket->transport, Transport::kTcp);
  EXPECT_EQ(Text(c.socket->remote), "10.0.0.2:80");
  // The routed source address, so the flow matches the SYN on the wire.
  EXPECT_EQ(Text(c.socket->local), "10.0.0.1:40000");
  EXPECT_FALSE(c.resolves_call.has_value());

  // The capture heard of the flow before the SYN left.
  ASSERT_EQ(sink_.intents.size(), 1u);
  EXPECT_EQ(sink_.intents[0].syscall, "connect");
  EXPECT_EQ(sink_.intents[0].transport, Transport::kTcp);
  EXPECT_EQ(Text(sink_.intents[0].remote), "10.0.0.2:80");
}

// ---- 2. A non-blocking connect resolved by getsockopt(SO_ERROR) ----

TEST_F(TraceLoopTest, NonBlockingConnectResolvedBySoError) {
  os_->PutBytes(kSockaddrAddr, SockaddrIn(kServer));
  os_->PutValue(kPollfdAddr, pollfd{3, POLLOUT, 0});
  os_->Call(kPid, "socket", {AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0}, 3,
            [](FakeTraceeOs& os) { os.SetSocket(kPid, 3, TcpSocket(7002), /*nonblocking=*/true); });
  os_->Call(kPid, "connect", {3, kSockaddrAddr, sizeof(sockaddr_in)}, -EINPROGRESS,
            [](FakeTraceeOs& os) {
              os.SetSocket(kPid, 3, TcpSocket(7002, kClient), /*nonblocking=*/true);
            });
  os_->Call(kPid, "poll", {kPollfdAddr, 1, 5000}, 1);
  os_->Call(kPid, "getsockopt", {3, SOL_SOCKET, SO_ERROR, kOptvalAddr, kOptlenAddr}, 0,
            [](FakeTraceeOs& os) {
              os.PutValue<int>(kOptvalAddr, ECONNREFUSED);
              os.PutValue<socklen_t>(kOptlenAddr, sizeof(int));
            });
  AttachAndRun();

  const SyscallEvent connect = Only("connect");
  EXPECT_EQ(connect.error, EINPROGRESS);
  EXPECT_TRUE(connect.nonblocking);
  EXPECT_EQ(Text(connect.address), "10.0.0.2:80");

  const SyscallEvent poll = Only("poll");
  EXPECT_EQ(poll.kind, CallKind::kWait);
  EXPECT_EQ(poll.result, 1);
  ASSERT_EQ(poll.waited.size(), 1u);
  EXPECT_EQ(poll.waited[0].fd, 3);
  EXPECT_EQ(poll.waited[0].socket.inode, 7002u);
  EXPECT_EQ(Text(poll.waited[0].socket.remote), "10.0.0.2:80");
  EXPECT_FALSE(poll.resolves_call.has_value()) << "readiness alone says neither way";

  const SyscallEvent so_error = Only("getsockopt");
  EXPECT_EQ(so_error.kind, CallKind::kGetsockopt);
  EXPECT_EQ(so_error.fd, 3);
  EXPECT_EQ(so_error.error, 0);
  ASSERT_TRUE(so_error.resolves_call.has_value()) << Trace();
  EXPECT_EQ(*so_error.resolves_call, connect.id);
  EXPECT_EQ(so_error.resolved_error, ECONNREFUSED);
  ASSERT_TRUE(so_error.socket.has_value());
  EXPECT_EQ(Text(so_error.socket->remote), "10.0.0.2:80");
}

// ---- 3. dup2 of a socket, then calls on the duplicate ----

TEST_F(TraceLoopTest, Dup2DuplicateCarriesTheSocketAndSurvivesCloseOfTheOriginal) {
  const SocketIdentity sock = TcpSocket(7003, kClient, kServer);
  os_->SetSocket(kPid, 3, sock);
  os_->Call(kPid, "dup2", {3, 10}, 10, [&](FakeTraceeOs& os) { os.SetSocket(kPid, 10, sock); });
  os_->Call(kPid, "close", {3}, 0, [](FakeTraceeOs& os) { os.RemoveFd(kPid, 3); });
  os_->Call(kPid, "sendto", {10, kBufAddr, 5, 0, 0, 0}, 5);
  AttachAndRun();

  EXPECT_THAT(sink_.Named("dup2"), IsEmpty()) << "dup2 is bookkeeping, not a socket call";
  const SyscallEvent close = Only("close");
  EXPECT_EQ(close.fd, 3);
  ASSERT_TRUE(close.socket.has_value());
  EXPECT_EQ(close.socket->inode, 7003u);

  const SyscallEvent send = Only("sendto");
  EXPECT_EQ(send.kind, CallKind::kSend);
  EXPECT_EQ(send.fd, 10);
  EXPECT_EQ(send.result, 5);
  ASSERT_TRUE(send.socket.has_value()) << Trace();
  EXPECT_EQ(send.socket->inode, 7003u);
  EXPECT_EQ(Text(send.socket->local), "10.0.0.1:40000");
  EXPECT_EQ(Text(send.socket->remote), "10.0.0.2:80");
  EXPECT_EQ(Text(send.address), "10.0.0.2:80");
  // Known from the dup, not learnt again from /proc after the close.
  EXPECT_EQ(FdLinkReads(kPid, 10), 0) << Trace();
}

TEST_F(TraceLoopTest, FailedDup2KeepsTheTargetsPendingConnect) {
  // dup2(oldfd, newfd) with an invalid oldfd fails with EBADF and leaves newfd open, as it was:
  // a non-blocking connect pending on newfd is still resolved by its SO_ERROR read.
  os_->PutBytes(kSockaddrAddr, SockaddrIn(kServer));
  os_->Call(kPid, "socket", {AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0}, 3,
            [](FakeTraceeOs& os) { os.SetSocket(kPid, 3, TcpSocket(7010), true); });
  os_->Call(kPid, "connect", {3, kSockaddrAddr, sizeof(sockaddr_in)}, -EINPROGRESS,
            [](FakeTraceeOs& os) { os.SetSocket(kPid, 3, TcpSocket(7010, kClient), true); });
  os_->Call(kPid, "dup2", {99, 3}, -EBADF);
  os_->Call(kPid, "getsockopt", {3, SOL_SOCKET, SO_ERROR, kOptvalAddr, kOptlenAddr}, 0,
            [](FakeTraceeOs& os) { os.PutValue<int>(kOptvalAddr, ETIMEDOUT); });
  AttachAndRun();

  const SyscallEvent connect = Only("connect");
  const SyscallEvent so_error = Only("getsockopt");
  ASSERT_TRUE(so_error.resolves_call.has_value())
      << "the failed dup2 made the tracer forget fd 3's pending connect\n"
      << Trace();
  EXPECT_EQ(*so_error.resolves_call, connect.id);
  EXPECT_EQ(so_error.resolved_error, ETIMEDOUT);
}

// ---- 4. fork: the child inherits the sockets ----

// The kernel may report the child's first stop before its parent's fork event or after it;
// when first, the loop finds the parent through /proc (PPid).
class ForkTest : public TraceLoopTest, public ::testing::WithParamInterface<bool> {};

TEST_P(ForkTest, ChildCallOnInheritedSocketHasItsIdentity) {
  const bool child_stop_first = GetParam();
  os_->SetSocket(kPid, 3, TcpSocket(7004, kClient, kServer));
  os_->EntryNr(kPid, SYS_clone, {SIGCHLD});
  if (child_stop_first) os_->ChildFirstStop(kChild);
  os_->Fork(kPid, kChild);
  if (!child_stop_first) os_->ChildFirstStop(kChild);
  os_->Exit(kPid, kChild);
  os_->Call(kChild, "sendto", {3, kBufAddr, 5, 0, 0, 0}, 5);
  AttachAndRun();

  const std::vector<const ProcessEvent*> started = sink_.OfKind(ProcessEvent::Kind::kStarted);
  ASSERT_EQ(started.size(), 1u) << Trace();
  EXPECT_EQ(started[0]->pid, kChild);
  EXPECT_EQ(started[0]->parent_pid, kPid);
  EXPECT_EQ(started[0]->detail, "/usr/bin/fake-program");

  const SyscallEvent send = Only("sendto");
  EXPECT_EQ(send.pid, kChild);
  EXPECT_EQ(send.tid, kChild);
  EXPECT_EQ(send.fd, 3);
  ASSERT_TRUE(send.socket.has_value()) << Trace();
  EXPECT_EQ(send.socket->inode, 7004u);
  EXPECT_EQ(Text(send.socket->remote), "10.0.0.2:80");
  EXPECT_EQ(FdLinkReads(kChild, 3), 0) << "the child's table is a copy of its parent's";

  // Both processes end, each reported once.
  const std::vector<const ProcessEvent*> exited = sink_.OfKind(ProcessEvent::Kind::kExited);
  EXPECT_THAT(exited, Contains(Pointee(Field(&ProcessEvent::pid, kChild))));
  EXPECT_THAT(exited, Contains(Pointee(Field(&ProcessEvent::pid, kPid))));
  EXPECT_EQ(exited.size(), 2u);
}

INSTANTIATE_TEST_SUITE_P(EitherOrder, ForkTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "ChildStopFirst" : "ForkEventFirst";
                         });

TEST_F(TraceLoopTest, ThreadSharesItsProcessFdTable) {
  os_->PutBytes(kSockaddrAddr, SockaddrIn(kServer));
  os_->CloneThread(kPid, kThread);
  os_->ChildFirstStop(kThread);
  os_->Call(kThread, "socket", {AF_INET, SOCK_STREAM, 0}, 7,
            [](FakeTraceeOs& os) { os.SetSocket(kPid, 7, TcpSocket(7006)); });
  os_->Call(kPid, "connect", {7, kSockaddrAddr, sizeof(sockaddr_in)}, 0,
            [](FakeTraceeOs& os) { os.SetSocket(kPid, 7, TcpSocket(7006, kClient, kServer)); });
  AttachAndRun();

  EXPECT_THAT(sink_.OfKind(ProcessEvent::Kind::kStarted), IsEmpty()) << "a thread, not a process";
  const SyscallEvent connect = Only("connect");
  EXPECT_EQ(connect.pid, kPid);
  EXPECT_EQ(connect.tid, kPid);
  EXPECT_EQ(connect.error, 0);
  ASSERT_TRUE(connect.socket.has_value());
  EXPECT_EQ(connect.socket->inode, 7006u);
  EXPECT_EQ(Text(connect.socket->local), "10.0.0.1:40000");
  EXPECT_EQ(FdLinkReads(kPid, 7), 0) << "the leader knew the thread's socket";
  EXPECT_EQ(sink_.OfKind(ProcessEvent::Kind::kExited).size(), 1u);
}

TEST_F(TraceLoopTest, WithoutFollowForksANewChildProcessIsLeftUntraced) {
  // A raw clone() (not a thread) reports PTRACE_EVENT_CLONE even without the fork options.
  os_->SetSocket(kPid, 3, TcpSocket(7007, kClient, kServer));
  os_->EntryNr(kPid, SYS_clone, {0});
  os_->Fork(kPid, kChild, PTRACE_EVENT_CLONE);
  os_->ChildFirstStop(kChild);
  os_->Exit(kPid, kChild);
  AttachAndRun(/*follow_forks=*/false);

  for (const auto& [tid, options] : os_->seizes()) EXPECT_EQ(options & PTRACE_O_TRACEFORK, 0);
  EXPECT_THAT(os_->detaches(), Contains(Field(&FakeTraceeOs::DetachRequest::tid, kChild)));
  EXPECT_THAT(sink_.OfKind(ProcessEvent::Kind::kStarted), IsEmpty());
}

// ---- 5. exec forgets the fds ----

TEST_F(TraceLoopTest, ExecForgetsFdsAndLearnsThemAgainFromProc) {
  os_->SetSocket(kPid, 3, TcpSocket(7008, kClient, kServer));
  os_->SetSocket(kPid, 5, TcpSocket(7009, Ep("10.0.0.1", 40001), Ep("10.0.0.3", 443)));
  os_->Call(kPid, "write", {3, kBufAddr, 5}, 5);
  os_->EntryNr(kPid, SYS_execve, {kBufAddr, 0, 0});
  // fd 3 was close-on-exec; the new program opened a file at that number. fd 5 survived.
  os_->Then([](FakeTraceeOs& os) {
    os.SetFdLink(kPid, 3, FdLink{FdLinkKind::kOther, 0});
    os.SetExe(kPid, "/usr/bin/next-program");
  });
  os_->Exec(kPid);
  os_->Exit(kPid, 0);
  os_->Call(kPid, "write", {3, kBufAddr, 5}, 5);
  os_->Call(kPid, "write", {5, kBufAddr, 5}, 5);
  AttachAndRun();

  const std::vector<const ProcessEvent*> exec = sink_.OfKind(ProcessEvent::Kind::kExec);
  ASSERT_EQ(exec.size(), 1u);
  EXPECT_EQ(exec[0]->pid, kPid);
  EXPECT_EQ(exec[0]->detail, "/usr/bin/next-program");

  const std::vector<const SyscallEvent*> writes = sink_.Named("write");
  ASSERT_EQ(writes.size(), 2u) << "the write on the file is not a socket call\n" << Trace();
  EXPECT_EQ(writes[0]->fd, 3);
  EXPECT_LT(writes[0]->entry_ns, exec[0]->time_ns);
  ASSERT_TRUE(writes[0]->socket.has_value());
  EXPECT_EQ(writes[0]->socket->inode, 7008u);
  EXPECT_EQ(writes[1]->fd, 5);
  ASSERT_TRUE(writes[1]->socket.has_value());
  EXPECT_EQ(writes[1]->socket->inode, 7009u);
  EXPECT_EQ(Text(writes[1]->socket->remote), "10.0.0.3:443");
  // Learnt at attach, then again lazily after exec.
  EXPECT_EQ(FdLinkReads(kPid, 3), 2) << Trace();
  EXPECT_EQ(FdLinkReads(kPid, 5), 2) << Trace();
}

TEST_F(TraceLoopTest, ExecByAThreadReportsTheLeadersBlockedCallUnfinished) {
  // A non-leader thread execs while the leader is blocked in recvfrom: the kernel kills the
  // leader (without an exit report) and the exec'ing thread takes its tid. The leader's call
  // never completes; tracer.md promises it as finished=false ("or the thread dies").
  os_->AddProcess(kPid, {kPid, kThread});
  os_->SetSocket(kPid, 3, TcpSocket(7011, kClient, kServer));
  const TimeNs entry = os_->Entry(kPid, "recvfrom", {3, kBufAddr, 100, 0, 0, 0});
  os_->EntryNr(kThread, SYS_execve, {kBufAddr, 0, 0});
  os_->Exec(kPid, kThread);
  os_->Exit(kPid, 0);
  AttachAndRun();

  const std::vector<const ProcessEvent*> exec = sink_.OfKind(ProcessEvent::Kind::kExec);
  ASSERT_EQ(exec.size(), 1u);
  const std::vector<const SyscallEvent*> recv = sink_.Named("recvfrom");
  ASSERT_EQ(recv.size(), 1u) << "the leader's blocked recvfrom vanished without an event\n"
                             << Trace();
  EXPECT_FALSE(recv[0]->finished);
  EXPECT_EQ(recv[0]->entry_ns, entry);
  EXPECT_EQ(recv[0]->tid, kPid);
  ASSERT_TRUE(recv[0]->socket.has_value());
  EXPECT_EQ(recv[0]->socket->inode, 7011u);
}

// ---- 6. A call interrupted by a signal ----

TEST_F(TraceLoopTest, InterruptedCallRestartedIsOneCallFromItsFirstEntry) {
  os_->SetSocket(kPid, 3, TcpSocket(7012, kClient, kServer));
  const TimeNs entry = os_->Entry(kPid, "recvfrom", {3, kBufAddr, 100, 0, 0, 0});
  os_->Exit(kPid, kErestartsys);
  os_->SignalStop(kPid, SIGCHLD);  // no handler: the kernel restarts the call
  os_->Entry(kPid, "recvfrom", {3, kBufAddr, 100, 0, 0, 0});
  const TimeNs exit = os_->Exit(kPid, 0);
  AttachAndRun();

  const SyscallEvent recv = Only("recvfrom");
  EXPECT_TRUE(recv.finished);
  EXPECT_EQ(recv.error, 0);
  EXPECT_EQ(recv.result, 0);
  EXPECT_EQ(recv.entry_ns, entry) << "the original entry time";
  EXPECT_EQ(recv.exit_ns, exit);
  EXPECT_EQ(recv.fd, 3);
  // The signal was passed on to the program.
  EXPECT_THAT(os_->resumes(), Contains(Field(&FakeTraceeOs::ResumeRequest::sig, SIGCHLD)));
}

TEST_F(TraceLoopTest, InterruptedCallRestartedAfterItsSignalHandler) {
  os_->SetSocket(kPid, 3, TcpSocket(7013, kClient, kServer));
  const TimeNs entry = os_->Entry(kPid, "recvfrom", {3, kBufAddr, 100, 0, 0, 0});
  os_->Exit(kPid, kErestartsys);
  os_->SignalStop(kPid, SIGALRM);
  // The SA_RESTART handler returns; rt_sigreturn restores the registers of the call to restart.
  os_->Call(kPid, "rt_sigreturn", {}, static_cast<int64_t>(testing::SyscallNr("recvfrom")));
  os_->Entry(kPid, "recvfrom", {3, kBufAddr, 100, 0, 0, 0});
  const TimeNs exit = os_->Exit(kPid, 7);
  AttachAndRun();

  const SyscallEvent recv = Only("recvfrom");
  EXPECT_EQ(recv.result, 7);
  EXPECT_EQ(recv.error, 0);
  EXPECT_EQ(recv.entry_ns, entry);
  EXPECT_EQ(recv.exit_ns, exit);
  EXPECT_THAT(sink_.Named("rt_sigreturn"), IsEmpty());
}

TEST_F(TraceLoopTest, InterruptedCallFollowedByAnotherCallWasEintr) {
  os_->SetSocket(kPid, 3, TcpSocket(7014, kClient, kServer));
  const TimeNs entry = os_->Entry(kPid, "recvfrom", {3, kBufAddr, 100, 0, 0, 0});
  const TimeNs interrupted = os_->Exit(kPid, kErestartsys);
  os_->Call(kPid, "close", {3}, 0, [](FakeTraceeOs& os) { os.RemoveFd(kPid, 3); });
  AttachAndRun();

  const SyscallEvent recv = Only("recvfrom");
  EXPECT_TRUE(recv.finished);
  EXPECT_EQ(recv.error, EINTR);
  EXPECT_EQ(recv.entry_ns, entry);
  EXPECT_EQ(recv.exit_ns, interrupted);
  ASSERT_TRUE(recv.socket.has_value());
  EXPECT_EQ(recv.socket->inode, 7014u);
  // The EINTR comes first, then the call that revealed it.
  ASSERT_EQ(sink_.calls.size(), 2u) << Trace();
  EXPECT_EQ(sink_.calls[0].name, "recvfrom");
  EXPECT_EQ(sink_.calls[1].name, "close");
}

TEST_F(TraceLoopTest, InterruptedCallAfterAHandlerThatDidNotRestartItWasEintr) {
  os_->SetSocket(kPid, 3, TcpSocket(7015, kClient, kServer));
  os_->Entry(kPid, "recvfrom", {3, kBufAddr, 100, 0, 0, 0});
  const TimeNs interrupted = os_->Exit(kPid, kErestartsys);
  os_->SignalStop(kPid, SIGALRM);
  os_->Call(kPid, "rt_sigreturn", {}, -EINTR);  // no SA_RESTART: the call returns EINTR
  os_->Call(kPid, "sendto", {3, kBufAddr, 5, 0, 0, 0}, 5);
  AttachAndRun();

  const SyscallEvent recv = Only("recvfrom");
  EXPECT_EQ(recv.error, EINTR);
  EXPECT_EQ(recv.exit_ns, interrupted);
  EXPECT_EQ(Only("sendto").result, 5);
}

TEST_F(TraceLoopTest, InterruptedCallWhoseSignalKillsTheProcessNeverFinished) {
  os_->SetSocket(kPid, 3, TcpSocket(7016, kClient, kServer));
  const TimeNs entry = os_->Entry(kPid, "recvfrom", {3, kBufAddr, 100, 0, 0, 0});
  const TimeNs interrupted = os_->Exit(kPid, kErestartsys);
  os_->SignalStop(kPid, SIGTERM);
  os_->Stop(kPid, KilledStatus(SIGTERM));
  AttachAndRun();

  const SyscallEvent recv = Only("recvfrom");
  EXPECT_FALSE(recv.finished);
  EXPECT_EQ(recv.entry_ns, entry);
  EXPECT_EQ(recv.exit_ns, interrupted);
  const std::vector<const ProcessEvent*> killed = sink_.OfKind(ProcessEvent::Kind::kKilled);
  ASSERT_EQ(killed.size(), 1u) << Trace();
  EXPECT_EQ(killed[0]->status, SIGTERM);
}

TEST_F(TraceLoopTest, PollContinuedThroughRestartSyscallIsOnePoll) {
  os_->SetSocket(kPid, 3, TcpSocket(7019, kClient, kServer));
  os_->PutValue(kPollfdAddr, pollfd{3, POLLIN, 0});
  const TimeNs entry = os_->Entry(kPid, "poll", {kPollfdAddr, 1, 5000});
  os_->Exit(kPid, -516);  // ERESTART_RESTARTBLOCK: continued by restart_syscall
  os_->SignalStop(kPid, SIGALRM);
  os_->Call(kPid, "rt_sigreturn", {}, static_cast<int64_t>(testing::SyscallNr("restart_syscall")));
  os_->Entry(kPid, "restart_syscall");
  const TimeNs exit = os_->Exit(kPid, 1);
  AttachAndRun();

  const SyscallEvent poll = Only("poll");
  EXPECT_EQ(poll.result, 1);
  EXPECT_EQ(poll.entry_ns, entry);
  EXPECT_EQ(poll.exit_ns, exit);
  ASSERT_EQ(poll.waited.size(), 1u);
  EXPECT_EQ(poll.waited[0].socket.inode, 7019u);
  EXPECT_THAT(sink_.Named("restart_syscall"), IsEmpty());
}

// ---- 7. epoll ----

TEST_F(TraceLoopTest, EpollWaitListsTheSocketsAddedToTheSet) {
  os_->SetSocket(kPid, 3, TcpSocket(7017, kClient, kServer));
  os_->SetFdLink(kPid, 5, FdLink{FdLinkKind::kEpoll, 0});
  os_->SetFdLink(kPid, 6, FdLink{FdLinkKind::kOther, 0});  // a pipe
  os_->Call(kPid, "epoll_ctl", {5, EPOLL_CTL_ADD, 3, kEpollEventAddr}, 0);
  os_->Call(kPid, "epoll_ctl", {5, EPOLL_CTL_ADD, 6, kEpollEventAddr}, 0);
  os_->Call(kPid, "epoll_wait", {5, kEpollEventAddr, 16, 1000}, 1);
  os_->Call(kPid, "epoll_ctl", {5, EPOLL_CTL_DEL, 3, 0}, 0);
  os_->Call(kPid, "epoll_wait", {5, kEpollEventAddr, 16, 1000}, 1);  // waits on the pipe only
  AttachAndRun();

  EXPECT_THAT(sink_.Named("epoll_ctl"), IsEmpty());
  const SyscallEvent wait = Only("epoll_wait");
  EXPECT_EQ(wait.kind, CallKind::kWait);
  EXPECT_EQ(wait.result, 1);
  ASSERT_EQ(wait.waited.size(), 1u) << Trace();
  EXPECT_EQ(wait.waited[0].fd, 3);
  EXPECT_EQ(wait.waited[0].socket.inode, 7017u);
  EXPECT_EQ(Text(wait.waited[0].socket.remote), "10.0.0.2:80");
}

// ---- Signals and job control ----

TEST_F(TraceLoopTest, GroupStopIsListenedToAndSignalsArePassedOn) {
  os_->SignalStop(kPid, SIGTSTP);                                // Ctrl-Z reaches the program
  os_->Stop(kPid, EventStopStatus(PTRACE_EVENT_STOP, SIGTSTP));  // it stops (group stop)
  os_->SignalStop(kPid, SIGCONT);                                // `fg`
  AttachAndRun();

  EXPECT_EQ(os_->listens(), std::vector<pid_t>{kPid}) << "stopped, as without netcorr";
  std::vector<int> passed;
  for (const FakeTraceeOs::ResumeRequest& r : os_->resumes()) passed.push_back(r.sig);
  // The attach interrupt, SIGTSTP delivered, (the group stop is not resumed), SIGCONT delivered.
  EXPECT_EQ(passed, (std::vector<int>{0, SIGTSTP, SIGCONT})) << os_->Log();
}

// ---- Launch mode: the filter's stops ----

TEST_F(TraceLoopTest, SeccompStopsAskForTheExitStopOnlyWhenTheResultMatters) {
  os_->SetSocket(kPid, 3, TcpSocket(7020, kClient, kServer));
  os_->SetFdLink(kPid, 4, FdLink{FdLinkKind::kOther, 0});  // a file
  os_->Seccomp(kPid, "read", {4, kBufAddr, 4096});         // no exit stop: PTRACE_CONT
  const TimeNs entry = os_->Seccomp(kPid, "recvfrom", {3, kBufAddr, 100, 0, 0, 0});
  os_->Exit(kPid, -ECONNRESET);
  os_->Exited(kPid, 3);
  const absl::StatusOr<int> status = RunInLaunchMode();
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(*status, 3) << "the program's exit status";

  std::vector<bool> asked_exit;
  for (const FakeTraceeOs::ResumeRequest& r : os_->resumes()) {
    asked_exit.push_back(r.to_next_syscall_stop);
  }
  // The first stop, the read on a file, the recvfrom on a socket, the recvfrom's exit.
  EXPECT_EQ(asked_exit, (std::vector<bool>{false, false, true, false})) << os_->Log();
  EXPECT_THAT(sink_.Named("read"), IsEmpty());
  const SyscallEvent recv = Only("recvfrom");
  EXPECT_EQ(recv.error, ECONNRESET);
  EXPECT_EQ(recv.entry_ns, entry);
  ASSERT_TRUE(recv.socket.has_value());
  EXPECT_EQ(recv.socket->inode, 7020u);
  const std::vector<const ProcessEvent*> exited = sink_.OfKind(ProcessEvent::Kind::kExited);
  ASSERT_EQ(exited.size(), 1u);
  EXPECT_EQ(exited[0]->status, 3);
}

// ---- Stopping ----

TEST_F(TraceLoopTest, RequestStopReportsTheBlockedCallUnfinishedAndDetaches) {
  os_->AddProcess(kPid, {kPid, kThread});
  os_->SetSocket(kPid, 3, TcpSocket(7018, kClient, kServer));
  const TimeNs entry = os_->Entry(kPid, "recvfrom", {3, kBufAddr, 100, 0, 0, 0});
  os_->Then([this](FakeTraceeOs&) { loop_->RequestStop(); });  // e.g. Ctrl-C in netcorr
  os_->Entry(kThread, "close", {9});  // the loop sees the request once it handled this stop
  AttachAndRun();
  // RequestStop wakes waitpid() with a child of its own that exits at once: reap it.
  int status = 0;
  waitpid(-1, &status, __WALL);

  const SyscallEvent recv = Only("recvfrom");
  EXPECT_FALSE(recv.finished);
  EXPECT_EQ(recv.entry_ns, entry);
  EXPECT_EQ(recv.fd, 3);
  EXPECT_THAT(os_->detaches(), Contains(Field(&FakeTraceeOs::DetachRequest::tid, kPid)));
  EXPECT_THAT(os_->detaches(), Contains(Field(&FakeTraceeOs::DetachRequest::tid, kThread)));
  EXPECT_EQ(sink_.OfKind(ProcessEvent::Kind::kDetached).size(), 1u) << Trace();
  EXPECT_THAT(sink_.OfKind(ProcessEvent::Kind::kExited), IsEmpty()) << "left running";
}

}  // namespace
}  // namespace netcorr::tracer
