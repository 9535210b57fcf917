// TraceLoop against a scripted kernel (see trace_loop_test.cc): what happens to processes and
// threads: fork, threads, exec, signals that interrupt calls, job control, and stopping.

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
}  // namespace netcorr::tracer::testing
