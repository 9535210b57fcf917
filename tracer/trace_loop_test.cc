// TraceLoop's per-call and fork/exec logic against a scripted kernel (FakeTraceeOs): no root,
// no real tracee. Each test scripts the stops a real program would make the kernel report in
// attach mode (PTRACE_SYSCALL: every call stops at entry and at exit) and checks what a user
// of the events would: the call, its result, its socket, and the connect it resolved.
//
// This file: the calls themselves (connect, SO_ERROR, dup, epoll) and launch-mode stops.

#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <cerrno>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tracer/testing/trace_loop_fixture.h"

namespace netcorr::tracer::testing {
namespace {

using ::testing::Contains;
using ::testing::Field;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Pointee;

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

// ---- io_uring: the ring's operations never stop; its setup and submissions do ----

TEST_F(TraceLoopTest, IoUringCallsAreRecordedAndTheCaptureTakesEveryFlowBeforeTheRing) {
  os_->Call(kPid, "io_uring_setup", {8, kOptvalAddr}, 3);
  os_->Call(kPid, "socket", {AF_INET, SOCK_STREAM, 0}, 4,
            [](FakeTraceeOs& os) { os.SetSocket(kPid, 4, TcpSocket(7010)); });
  // Two entries submitted (a connect and its linked timeout), both completions awaited.
  os_->Call(kPid, "io_uring_enter", {3, 2, 2, 1 /* IORING_ENTER_GETEVENTS */, 0, 0}, 2);
  AttachAndRun();

  const SyscallEvent setup = Only("io_uring_setup");
  EXPECT_EQ(setup.kind, CallKind::kIoUring);
  EXPECT_EQ(setup.result, 3);
  const SyscallEvent enter = Only("io_uring_enter");
  EXPECT_EQ(enter.kind, CallKind::kIoUring);
  EXPECT_EQ(enter.result, 2) << "how many submissions the kernel consumed";
  EXPECT_EQ(enter.fd, -1) << "the ring is not a socket";
  EXPECT_EQ(enter.args, "3, 2, 2, 0x1");
  // Announced at io_uring_setup's entry, before any ring exists: the connect through the ring
  // will never stop, so only a capture of every flow sees its SYN.
  ASSERT_EQ(sink_.intents.size(), 1u);
  EXPECT_EQ(sink_.intents[0].syscall, "io_uring_setup");
  EXPECT_TRUE(sink_.intents[0].unseen_flows);
  EXPECT_EQ(sink_.intents[0].pid, kPid);
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


TEST_F(TraceLoopTest, CloseOfASocketIsCompleteAtEntryUnlessSoLingerMakesItWait) {
  // close() of a socket returns 0 and, without a lingering SO_LINGER, returns at once: one
  // stop. With SO_LINGER on and a timeout it may block until the data is sent: its exit stop
  // stays, so a close that hangs is seen.
  os_->SetSocket(kPid, 3, TcpSocket(7030, kClient, kServer));
  os_->SetSocket(kPid, 5, TcpSocket(7031, kClient, kServer));
  const TimeNs closed = os_->Seccomp(kPid, "close", {3});
  os_->PutValue<linger>(kOptvalAddr, linger{1, 5});
  os_->Seccomp(kPid, "setsockopt", {5, SOL_SOCKET, SO_LINGER, kOptvalAddr, sizeof(linger)});
  os_->Exit(kPid, 0);
  os_->Seccomp(kPid, "close", {5});
  os_->Exit(kPid, 0);
  os_->Exited(kPid, 0);
  const absl::StatusOr<int> status = RunInLaunchMode();
  ASSERT_TRUE(status.ok()) << status.status();

  std::vector<bool> asked_exit;
  for (const FakeTraceeOs::ResumeRequest& r : os_->resumes()) {
    asked_exit.push_back(r.to_next_syscall_stop);
  }
  // The first stop; close(3): no exit stop; setsockopt and its exit; close(5) and its exit.
  EXPECT_EQ(asked_exit, (std::vector<bool>{false, false, true, false, true, false})) << os_->Log();
  const std::vector<const SyscallEvent*> closes = sink_.Named("close");
  ASSERT_EQ(closes.size(), 2u) << Trace();
  EXPECT_EQ(closes[0]->fd, 3);
  EXPECT_EQ(closes[0]->result, 0);
  EXPECT_EQ(closes[0]->error, 0);
  EXPECT_TRUE(closes[0]->finished);
  EXPECT_EQ(closes[0]->entry_ns, closed);
  EXPECT_EQ(closes[0]->exit_ns, closed);
  ASSERT_TRUE(closes[0]->socket.has_value());
  EXPECT_EQ(closes[0]->socket->inode, 7030u);
  EXPECT_EQ(closes[1]->fd, 5);
  EXPECT_THAT(Only("setsockopt").args, ::testing::HasSubstr("{l_onoff=1, l_linger=5}"));
}

}  // namespace
}  // namespace netcorr::tracer::testing
