// The scripted kernel the trace-loop tests run on: its status words and its end of script.

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


}  // namespace
}  // namespace netcorr::tracer::testing
