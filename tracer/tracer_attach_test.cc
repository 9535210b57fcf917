// Live tracer tests, attach and detach: attaching to a running server (its threads and the
// sockets it already had), detaching or dying without leaving it stopped or traced, and the
// errors of an attach that cannot happen. They need root (ptrace of a process that is not our
// child) and fail without it (tests/support/requirements.h).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tracer/tracer.h"
#include "tracer/testing/live_tracer_fixture.h"

namespace netcorr::tracer {
namespace {

using namespace std::chrono_literals;

// Starts the helper's echo server untraced; returns its pid once it listens.
pid_t StartServer(int port, int seconds) {
  int p[2];
  if (pipe(p) != 0) return -1;
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(p[1], 1);
    // Only stdio: the server must not inherit the test's sockets.
    close_range(3, ~0u, 0);
    execl(TRACER_HELPER_PATH, TRACER_HELPER_PATH, "server", std::to_string(port).c_str(),
          std::to_string(seconds).c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(p[1]);
  pollfd pf{p[0], POLLIN, 0};
  char buf[8] = {};
  const bool ready = poll(&pf, 1, 5000) > 0 && read(p[0], buf, sizeof(buf)) > 0;
  close(p[0]);
  if (!ready) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return -1;
  }
  return pid;
}

// One request to the echo server; true when it answered.
bool Ask(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{3, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
            send(fd, "hi", 2, MSG_NOSIGNAL) == 2;
  char buf[8];
  ok = ok && recv(fd, buf, sizeof(buf), 0) == 2;
  close(fd);
  return ok;
}

void StopServer(pid_t pid) {
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

TEST_F(TracerTest, AttachToServerThenDetachLeavesItRunning) {
  const int port = Listener::FreePort();
  const pid_t server = StartServer(port, 30);
  ASSERT_GT(server, 0);
  absl::StatusOr<std::unique_ptr<Tracer>> t = Tracer::Attach({server}, &sink_);
  ASSERT_TRUE(t.ok()) << t.status();
  Tracer* tracer = t->get();
  EXPECT_EQ(tracer->main_pid(), server);
  std::atomic<bool> answered{false};
  std::thread client([&] {
    std::this_thread::sleep_for(200ms);
    answered = Ask(port);
    std::this_thread::sleep_for(200ms);
    tracer->RequestStop();
  });
  absl::StatusOr<int> rc = tracer->Run();
  client.join();
  ASSERT_TRUE(rc.ok()) << rc.status();
  EXPECT_EQ(*rc, 0);
  EXPECT_TRUE(answered);
  // The listening socket, open before we attached, is reported with its address.
  ASSERT_FALSE(sink_.processes.empty());
  EXPECT_EQ(sink_.processes.front().kind, ProcessEvent::Kind::kAttached);
  ASSERT_EQ(sink_.processes.front().sockets.size(), 1u) << sink_.Dump();
  EXPECT_EQ(sink_.processes.front().sockets[0].socket.local->port, port);
  const auto accepts = sink_.Named("accept");
  ASSERT_EQ(accepts.size(), 1u) << sink_.Dump();
  ASSERT_TRUE(accepts[0]->socket && accepts[0]->socket->Flow()) << sink_.Dump();
  EXPECT_EQ(accepts[0]->socket->local->port, port);
  EXPECT_EQ(sink_.Named("recvfrom").size(), 1u) << sink_.Dump();
  EXPECT_EQ(sink_.processes.back().kind, ProcessEvent::Kind::kDetached);
  // Detached: not stopped, not traced, still answering.
  EXPECT_EQ(ProcState(server).find("TracerPid:\t0") != std::string::npos, true)
      << ProcState(server);
  EXPECT_EQ(ProcState(server).find("(stopped)"), std::string::npos);
  EXPECT_EQ(ProcState(server).find("tracing stop"), std::string::npos);
  EXPECT_TRUE(Ask(port));
  // Both threads were traced, and both are free again.
  int tasks = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(absl::StrCat("/proc/", server, "/task"))) {
    ++tasks;
    const pid_t tid = std::stoi(entry.path().filename().string());
    EXPECT_NE(ProcState(tid).find("TracerPid:\t0"), std::string::npos) << ProcState(tid);
  }
  EXPECT_EQ(tasks, 2);
  StopServer(server);
}

TEST_F(TracerTest, SigkillOfTheTracerLeavesTheAttachedProgramRunning) {
  const int port = Listener::FreePort();
  const pid_t server = StartServer(port, 30);
  ASSERT_GT(server, 0);
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t tracer_pid = fork();
  if (tracer_pid == 0) {
    close(ready[0]);
    RecordingSink sink;
    absl::StatusOr<std::unique_ptr<Tracer>> t = Tracer::Attach({server}, &sink);
    if (!t.ok()) _exit(1);
    (void)!write(ready[1], "x", 1);
    (void)(*t)->Run();
    _exit(0);
  }
  close(ready[1]);
  pollfd pf{ready[0], POLLIN, 0};
  char b;
  ASSERT_TRUE(poll(&pf, 1, 5000) > 0 && read(ready[0], &b, 1) == 1);
  close(ready[0]);
  EXPECT_TRUE(Ask(port)) << "traced server answers";
  kill(tracer_pid, SIGKILL);
  waitpid(tracer_pid, nullptr, 0);
  std::this_thread::sleep_for(100ms);
  EXPECT_NE(ProcState(server).find("TracerPid:\t0"), std::string::npos) << ProcState(server);
  EXPECT_TRUE(Ask(port)) << "still answers after the tracer was killed";
  StopServer(server);
}

TEST_F(TracerTest, AttachToMissingPidIsAOneLineError) {
  absl::StatusOr<std::unique_ptr<Tracer>> t = Tracer::Attach({999999999}, &sink_);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(std::string(t.status().message()).find("999999999"), std::string::npos);
}

TEST_F(TracerTest, AttachWithoutPermissionIsAOneLineError) {
  // A process that may not ptrace its target: an unprivileged child attaching to init.
  int pipefd[2];
  ASSERT_EQ(pipe(pipefd), 0);
  const pid_t child = fork();
  if (child == 0) {
    close(pipefd[0]);
    char verdict = 'x';
    if (setgid(65534) == 0 && setuid(65534) == 0) {
      RecordingSink sink;
      absl::StatusOr<std::unique_ptr<Tracer>> t = Tracer::Attach({1}, &sink);
      if (!t.ok() && t.status().code() == absl::StatusCode::kPermissionDenied &&
          std::string(t.status().message()).find('\n') == std::string::npos) {
        verdict = 'y';
      }
    }
    (void)!write(pipefd[1], &verdict, 1);
    _exit(0);
  }
  close(pipefd[1]);
  char verdict = 0;
  ASSERT_EQ(read(pipefd[0], &verdict, 1), 1);
  close(pipefd[0]);
  waitpid(child, nullptr, 0);
  EXPECT_EQ(verdict, 'y');
  EXPECT_EQ(ProcState(1).find("tracing stop"), std::string::npos);
}

TEST_F(TracerTest, AttachedProcessExitingMidTraceEndsRun) {
  const pid_t pid = fork();
  if (pid == 0) {
    execl(TRACER_HELPER_PATH, TRACER_HELPER_PATH, "sleep", "1", static_cast<char*>(nullptr));
    _exit(127);
  }
  std::this_thread::sleep_for(100ms);
  absl::StatusOr<std::unique_ptr<Tracer>> t = Tracer::Attach({pid}, &sink_);
  ASSERT_TRUE(t.ok()) << t.status();
  absl::StatusOr<int> rc = (*t)->Run();
  ASSERT_TRUE(rc.ok()) << rc.status();
  EXPECT_EQ(*rc, 0);
  EXPECT_EQ(sink_.processes.back().kind, ProcessEvent::Kind::kExited) << sink_.Dump();
  // We are the parent too: the exit status was consumed by the tracer's wait; nothing is left.
  waitpid(pid, nullptr, WNOHANG);
}

}  // namespace
}  // namespace netcorr::tracer
