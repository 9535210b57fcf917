// Live tracer tests, launch and follow: starting tracer/testdata/tracer_helper.cc, following
// its threads, forks and execs, its exit status, signals, job control, stopping, and the errors
// of a launch that cannot happen. They need root (ptrace) and fail without it
// (tests/support/requirements.h).

#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tracer/tracer.h"
#include "tracer/testing/live_tracer_fixture.h"

namespace netcorr::tracer {
namespace {

using namespace std::chrono_literals;

TEST_F(TracerTest, ThreadsAreFollowed) {
  const int port = Listener::ClosedPort(AF_INET);
  absl::StatusOr<int> rc = RunHelper({"threads", "127.0.0.1", std::to_string(port)});
  ASSERT_TRUE(rc.ok()) << rc.status();
  EXPECT_EQ(*rc, 0);
  const auto connects = sink_.Named("connect");
  ASSERT_EQ(connects.size(), 2u) << sink_.Dump();
  EXPECT_NE(connects[0]->tid, connects[1]->tid);
  EXPECT_EQ(connects[0]->pid, connects[1]->pid);
  EXPECT_NE(connects[0]->tid, connects[0]->pid);
  for (const SyscallEvent* c : connects) EXPECT_EQ(c->error, ECONNREFUSED);
}

TEST_F(TracerTest, ForksAreFollowed) {
  const int port = Listener::ClosedPort(AF_INET);
  absl::StatusOr<int> rc = RunHelper({"fork", "127.0.0.1", std::to_string(port)});
  ASSERT_TRUE(rc.ok()) << rc.status();
  EXPECT_EQ(*rc, 0);
  const auto connects = sink_.Named("connect");
  ASSERT_EQ(connects.size(), 1u) << sink_.Dump();
  EXPECT_EQ(connects[0]->error, ECONNREFUSED);
  const pid_t main = sink_.processes.front().pid;
  EXPECT_NE(connects[0]->pid, main);
  bool child_started = false;
  for (const ProcessEvent& p : sink_.processes) {
    if (p.kind == ProcessEvent::Kind::kStarted && p.pid == connects[0]->pid) {
      child_started = true;
      EXPECT_EQ(p.parent_pid, main);
    }
  }
  EXPECT_TRUE(child_started) << sink_.Dump();
}

TEST_F(TracerTest, ExecIsFollowed) {
  const int port = Listener::ClosedPort(AF_INET);
  absl::StatusOr<int> rc = RunHelper({"exec", "127.0.0.1", std::to_string(port)});
  ASSERT_TRUE(rc.ok()) << rc.status();
  EXPECT_EQ(*rc, 0);
  bool exec_seen = false;
  for (const ProcessEvent& p : sink_.processes) exec_seen |= p.kind == ProcessEvent::Kind::kExec;
  EXPECT_TRUE(exec_seen) << sink_.Dump();
  const auto connects = sink_.Named("connect");
  ASSERT_EQ(connects.size(), 1u) << sink_.Dump();
  EXPECT_EQ(connects[0]->error, ECONNREFUSED);
}

TEST_F(TracerTest, ExitStatusIsTheProgramsOwn) {
  absl::StatusOr<int> rc = RunHelper({"exit", "7"});
  ASSERT_TRUE(rc.ok()) << rc.status();
  EXPECT_EQ(*rc, 7);
}

TEST_F(TracerTest, ProgramNotFoundIsAOneLineError) {
  LaunchSpec spec;
  spec.argv = {"/nonexistent/netcorr-no-such-program"};
  absl::StatusOr<std::unique_ptr<Tracer>> t = Tracer::Launch(spec, &sink_);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kNotFound);
  const std::string msg(t.status().message());
  EXPECT_NE(msg.find("netcorr-no-such-program"), std::string::npos);
  EXPECT_EQ(msg.find('\n'), std::string::npos);
  // The failed child was reaped: no zombie and no stopped child left behind.
  EXPECT_EQ(waitpid(-1, nullptr, WNOHANG | __WALL), -1);
  EXPECT_EQ(errno, ECHILD);
}

TEST_F(TracerTest, NotExecutableIsPermissionDenied) {
  LaunchSpec spec;
  spec.argv = {"/etc/passwd"};
  absl::StatusOr<std::unique_ptr<Tracer>> t = Tracer::Launch(spec, &sink_);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kPermissionDenied) << t.status();
}

TEST_F(TracerTest, StopReportsBlockedCallsUnfinishedAndEndsTheProgram) {
  Listener server(AF_INET, SOCK_STREAM);
  server.ServeEcho(/*silent=*/true);
  LaunchSpec spec;
  spec.argv = {TRACER_HELPER_PATH, "hang", "127.0.0.1", std::to_string(server.port())};
  absl::StatusOr<std::unique_ptr<Tracer>> t = Tracer::Launch(spec, &sink_);
  ASSERT_TRUE(t.ok()) << t.status();
  Tracer* tracer = t->get();
  std::thread stopper([tracer] {
    std::this_thread::sleep_for(500ms);
    tracer->RequestStop();
  });
  absl::StatusOr<int> rc = tracer->Run();
  stopper.join();
  ASSERT_TRUE(rc.ok()) << rc.status();
  EXPECT_EQ(*rc, 128 + SIGTERM);
  const auto recvs = sink_.Named("recvfrom");
  ASSERT_EQ(recvs.size(), 1u) << sink_.Dump();
  EXPECT_FALSE(recvs[0]->finished);
  EXPECT_GE(recvs[0]->duration_ns(), 300'000'000) << "blocked ~0.5 s before the stop";
  EXPECT_FALSE(recvs[0]->failed());
}

TEST_F(TracerTest, CallRestartedAfterASignalIsOneCall) {
  absl::StatusOr<int> rc = RunHelper({"restart"});
  ASSERT_TRUE(rc.ok()) << rc.status();
  EXPECT_EQ(*rc, 0);
  const std::vector<const SyscallEvent*> recvs = sink_.NamedInFirstProcess("recvfrom");
  ASSERT_EQ(recvs.size(), 1u) << sink_.Dump();
  EXPECT_TRUE(recvs[0]->finished);
  EXPECT_EQ(recvs[0]->error, 0) << "ERESTARTSYS is not what the program saw";
  EXPECT_EQ(recvs[0]->result, 1);
  EXPECT_GE(recvs[0]->duration_ns(), 250'000'000) << "entry time is the first entry's";
}

TEST_F(TracerTest, CallInterruptedWithoutRestartIsEintr) {
  absl::StatusOr<int> rc = RunHelper({"eintr"});
  ASSERT_TRUE(rc.ok()) << rc.status();
  EXPECT_EQ(*rc, 0);
  const std::vector<const SyscallEvent*> recvs = sink_.NamedInFirstProcess("recvfrom");
  ASSERT_EQ(recvs.size(), 1u) << sink_.Dump();
  EXPECT_EQ(recvs[0]->error, EINTR);
  EXPECT_LT(recvs[0]->duration_ns(), 250'000'000);
}

TEST_F(TracerTest, JobControlStopAndContinueWork) {
  LaunchSpec spec;
  spec.argv = {TRACER_HELPER_PATH, "sleep", "1"};
  absl::StatusOr<std::unique_ptr<Tracer>> t = Tracer::Launch(spec, &sink_);
  ASSERT_TRUE(t.ok()) << t.status();
  const pid_t pid = (*t)->main_pid();
  std::string while_stopped;
  std::thread job([&] {
    std::this_thread::sleep_for(200ms);
    kill(pid, SIGSTOP);
    std::this_thread::sleep_for(300ms);
    while_stopped = ProcState(pid);
    kill(pid, SIGCONT);
  });
  absl::StatusOr<int> rc = (*t)->Run();
  job.join();
  ASSERT_TRUE(rc.ok()) << rc.status();
  EXPECT_EQ(*rc, 0) << "SIGSTOP/SIGCONT must not kill or hang the program";
  EXPECT_TRUE(while_stopped.find("(stopped)") != std::string::npos ||
              while_stopped.find("(tracing stop)") != std::string::npos)
      << while_stopped;
}

TEST_F(TracerTest, RunsAsTheRequestedUser) {
  LaunchSpec spec;
  spec.argv = {TRACER_HELPER_PATH, "uid", "65534"};
  spec.uid = 65534;
  spec.gid = 65534;
  spec.groups = {65534};
  absl::StatusOr<std::unique_ptr<Tracer>> t = Tracer::Launch(spec, &sink_);
  ASSERT_TRUE(t.ok()) << t.status();
  absl::StatusOr<int> rc = (*t)->Run();
  ASSERT_TRUE(rc.ok()) << rc.status();
  EXPECT_EQ(*rc, 0) << "the program must run as nobody, traced (no_new_privs path)";
}

TEST_F(TracerTest, CtrlCReachesTheProgramFirst) {
  // A terminal's Ctrl-C sends SIGINT to netcorr and to the program together: the program's
  // own reaction decides its exit status, not a SIGTERM from netcorr.
  LaunchSpec spec;
  spec.argv = {TRACER_HELPER_PATH, "sleep", "5"};
  absl::StatusOr<std::unique_ptr<Tracer>> t = Tracer::Launch(spec, &sink_);
  ASSERT_TRUE(t.ok()) << t.status();
  Tracer* tracer = t->get();
  const pid_t pid = tracer->main_pid();
  std::thread terminal([tracer, pid] {
    std::this_thread::sleep_for(200ms);
    kill(pid, SIGINT);
    tracer->RequestStop();
  });
  absl::StatusOr<int> rc = tracer->Run();
  terminal.join();
  ASSERT_TRUE(rc.ok()) << rc.status();
  EXPECT_EQ(*rc, 128 + SIGINT);
}

TEST_F(TracerTest, RunOnAnotherThreadIsRefused) {
  LaunchSpec spec;
  spec.argv = {TRACER_HELPER_PATH, "exit", "0"};
  absl::StatusOr<std::unique_ptr<Tracer>> t = Tracer::Launch(spec, &sink_);
  ASSERT_TRUE(t.ok()) << t.status();
  absl::StatusOr<int> rc = absl::InternalError("not run");
  std::thread([&] { rc = (*t)->Run(); }).join();
  EXPECT_EQ(rc.status().code(), absl::StatusCode::kFailedPrecondition);
  // Destroying the tracer kills and reaps the program it launched.
  const pid_t pid = (*t)->main_pid();
  t->reset();
  EXPECT_EQ(kill(pid, 0), -1);
}

}  // namespace
}  // namespace netcorr::tracer
