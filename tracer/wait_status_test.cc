#include "tracer/wait_status.h"

#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gtest/gtest.h"

namespace netcorr::tracer {
namespace {

// A stop status as the kernel builds it: (event << 16) | (sig << 8) | 0x7f.
int Stopped(int sig, int event = 0) { return (event << 16) | (sig << 8) | 0x7f; }

TEST(WaitStatusTest, RealExitAndKill) {
  pid_t pid = fork();
  if (pid == 0) _exit(3);
  int st = 0;
  ASSERT_EQ(waitpid(pid, &st, 0), pid);
  WaitStatus ws = WaitStatus::Decode(st);
  EXPECT_EQ(ws.kind, WaitStatus::Kind::kExited);
  EXPECT_EQ(ws.code, 3);

  pid = fork();
  if (pid == 0) {
    pause();
    _exit(0);
  }
  kill(pid, SIGKILL);
  ASSERT_EQ(waitpid(pid, &st, 0), pid);
  ws = WaitStatus::Decode(st);
  EXPECT_EQ(ws.kind, WaitStatus::Kind::kKilled);
  EXPECT_EQ(ws.code, SIGKILL);
}

TEST(WaitStatusTest, PtraceStops) {
  EXPECT_EQ(WaitStatus::Decode(Stopped(SIGTRAP | 0x80)).kind, WaitStatus::Kind::kSyscallStop);
  EXPECT_EQ(WaitStatus::Decode(Stopped(SIGTRAP, PTRACE_EVENT_SECCOMP)).kind,
            WaitStatus::Kind::kSeccompStop);
  EXPECT_EQ(WaitStatus::Decode(Stopped(SIGTRAP, PTRACE_EVENT_FORK)).kind,
            WaitStatus::Kind::kForkEvent);
  EXPECT_EQ(WaitStatus::Decode(Stopped(SIGTRAP, PTRACE_EVENT_VFORK)).kind,
            WaitStatus::Kind::kVforkEvent);
  EXPECT_EQ(WaitStatus::Decode(Stopped(SIGTRAP, PTRACE_EVENT_CLONE)).kind,
            WaitStatus::Kind::kCloneEvent);
  EXPECT_EQ(WaitStatus::Decode(Stopped(SIGTRAP, PTRACE_EVENT_EXEC)).kind,
            WaitStatus::Kind::kExecEvent);
  EXPECT_EQ(WaitStatus::Decode(Stopped(SIGTRAP, PTRACE_EVENT_EXIT)).kind,
            WaitStatus::Kind::kExitEvent);
  EXPECT_EQ(WaitStatus::Decode(Stopped(SIGTRAP, PTRACE_EVENT_VFORK_DONE)).kind,
            WaitStatus::Kind::kVforkDoneEvent);
}

TEST(WaitStatusTest, SeizeStopsTellGroupStopFromInterrupt) {
  for (int sig : {SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU}) {
    EXPECT_EQ(WaitStatus::Decode(Stopped(sig, PTRACE_EVENT_STOP)).kind,
              WaitStatus::Kind::kGroupStop);
  }
  EXPECT_EQ(WaitStatus::Decode(Stopped(SIGTRAP, PTRACE_EVENT_STOP)).kind,
            WaitStatus::Kind::kInterruptStop);
}

TEST(WaitStatusTest, SignalDeliveryStopsKeepTheSignal) {
  WaitStatus ws = WaitStatus::Decode(Stopped(SIGINT));
  EXPECT_EQ(ws.kind, WaitStatus::Kind::kSignalStop);
  EXPECT_EQ(ws.code, SIGINT);
  // A plain SIGTRAP (no 0x80) is a real signal, not a syscall stop.
  EXPECT_EQ(WaitStatus::Decode(Stopped(SIGTRAP)).kind, WaitStatus::Kind::kSignalStop);
}

}  // namespace
}  // namespace netcorr::tracer
