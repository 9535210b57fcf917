// Tier-2 tests: the real tracer on a real helper program (tracer/testdata/tracer_helper.cc),
// on loopback only. They need root (ptrace of a child is allowed to anyone, but attaching to a
// non-child and the benchmarks' setups are not), and fail without it
// (tests/support/requirements.h).

#include "tracer/tracer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "src/model/errno_name.h"
#include "tests/support/requirements.h"
#include "tracer/event_format.h"

namespace netcorr::tracer {
namespace {

using namespace std::chrono_literals;

class RecordingSink : public EventSink {
 public:
  void OnSyscall(const SyscallEvent& e) override { calls.push_back(e); }
  void OnProcess(const ProcessEvent& e) override { processes.push_back(e); }
  void BeforeTraffic(const TrafficIntent& i) override { intents.push_back(i); }

  std::vector<const SyscallEvent*> Named(const std::string& name) const {
    std::vector<const SyscallEvent*> out;
    for (const SyscallEvent& e : calls) {
      if (e.name == name) out.push_back(&e);
    }
    return out;
  }
  std::string Dump() const {
    std::string s;
    for (const ProcessEvent& p : processes) absl::StrAppend(&s, FormatProcessLine(p), "\n");
    for (const SyscallEvent& e : calls) absl::StrAppend(&s, FormatEventLine(e), "\n");
    return s;
  }

  std::vector<SyscallEvent> calls;
  std::vector<ProcessEvent> processes;
  std::vector<TrafficIntent> intents;
};

// A loopback socket the test owns: a closed port for refusals, or a live server.
class Listener {
 public:
  Listener(int family, int type) : family_(family) {
    fd_ = socket(family, type, 0);
    sockaddr_storage ss{};
    socklen_t len;
    if (family == AF_INET) {
      auto* a = reinterpret_cast<sockaddr_in*>(&ss);
      a->sin_family = AF_INET;
      a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      len = sizeof(*a);
    } else {
      auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
      a->sin6_family = AF_INET6;
      a->sin6_addr = in6addr_loopback;
      len = sizeof(*a);
    }
    bind(fd_, reinterpret_cast<sockaddr*>(&ss), len);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len);
    port_ = ntohs(family == AF_INET ? reinterpret_cast<sockaddr_in*>(&ss)->sin_port
                                    : reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
    if (type == SOCK_STREAM) listen(fd_, 16);
  }
  ~Listener() {
    stop_ = true;
    if (server_.joinable()) server_.join();
    if (fd_ >= 0) close(fd_);
  }
  // A TCP port nobody listens on. It stays bound (not listening) for the whole test run, and
  // is below the ephemeral range so that a connect can never pick it as its own source port
  // (a TCP self-connect to an unused ephemeral port succeeds). Root only, like these tests.
  static int ClosedPort(int family) {
    static std::mutex mu;
    static std::vector<int> held;
    std::lock_guard<std::mutex> lock(mu);
    for (int port = 900; port < 1024; ++port) {
      const int fd = socket(family, SOCK_STREAM, 0);
      sockaddr_storage ss{};
      socklen_t len;
      if (family == AF_INET) {
        auto* a = reinterpret_cast<sockaddr_in*>(&ss);
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a->sin_port = htons(port);
        len = sizeof(*a);
      } else {
        auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_loopback;
        a->sin6_port = htons(port);
        len = sizeof(*a);
      }
      if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0) {
        held.push_back(fd);
        return port;
      }
      close(fd);
    }
    return 1;
  }
  // An unused port for a server the test starts (free when asked).
  static int FreePort() {
    Listener l(AF_INET, SOCK_DGRAM);
    return l.port();
  }
  int port() const { return port_; }
  std::string host() const { return family_ == AF_INET ? "127.0.0.1" : "::1"; }

  // Answers each TCP connection's first message (or each datagram) with the same bytes.
  // `silent`: accept and keep the connection open without answering.
  void ServeEcho(bool silent = false) {
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

 private:
  int family_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread server_;
};

class TracerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    NETCORR_REQUIRE(testing::Root("ptrace"));
  }

  absl::StatusOr<int> RunHelper(const std::vector<std::string>& args) {
    LaunchSpec spec;
    spec.argv.push_back(TRACER_HELPER_PATH);
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    absl::StatusOr<std::unique_ptr<Tracer>> t = Tracer::Launch(spec, &sink_);
    if (!t.ok()) return t.status();
    return (*t)->Run();
  }

  RecordingSink sink_;
};

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

TEST_F(TracerTest, RefusedConnectIpv4) {
  const int port = Listener::ClosedPort(AF_INET);
  absl::StatusOr<int> rc = RunHelper({"refused", "127.0.0.1", std::to_string(port)});
  ASSERT_TRUE(rc.ok()) << rc.status();
  EXPECT_EQ(*rc, 0);
  const auto connects = sink_.Named("connect");
  ASSERT_EQ(connects.size(), 1u) << sink_.Dump();
  const SyscallEvent& c = *connects[0];
  EXPECT_EQ(c.error, ECONNREFUSED);
  EXPECT_TRUE(c.finished);
  EXPECT_GE(c.exit_ns, c.entry_ns);
  ASSERT_TRUE(c.address);
  EXPECT_EQ(c.address->ToString(), absl::StrCat("127.0.0.1:", port));
  ASSERT_TRUE(c.socket);
  EXPECT_EQ(c.socket->transport, Transport::kTcp);
  ASSERT_TRUE(c.socket->remote);
  EXPECT_EQ(*c.socket->remote, *c.address);
  ASSERT_TRUE(c.socket->local) << "the SYN's source must be known to match packets";
  EXPECT_NE(c.socket->local->port, 0);
  EXPECT_EQ(c.socket->local->addr.ToString(), "127.0.0.1") << "the routed source, not 0.0.0.0";
  EXPECT_FALSE(c.nonblocking);
  ASSERT_EQ(sink_.Named("socket").size(), 1u);
  EXPECT_EQ(sink_.Named("socket")[0]->result, c.fd);
  ASSERT_EQ(sink_.Named("close").size(), 1u);
  // The capture is told before the SYN leaves.
  ASSERT_FALSE(sink_.intents.empty());
  EXPECT_EQ(sink_.intents[0].syscall, "connect");
  EXPECT_EQ(sink_.intents[0].remote, c.address);
  // Started, then exited.
  ASSERT_GE(sink_.processes.size(), 2u);
  EXPECT_EQ(sink_.processes.front().kind, ProcessEvent::Kind::kStarted);
  EXPECT_EQ(sink_.processes.back().kind, ProcessEvent::Kind::kExited);
}

TEST_F(TracerTest, RefusedConnectIpv6) {
  const int port = Listener::ClosedPort(AF_INET6);
  absl::StatusOr<int> rc = RunHelper({"refused", "::1", std::to_string(port)});
  ASSERT_TRUE(rc.ok()) << rc.status();
  EXPECT_EQ(*rc, 0);
  const auto connects = sink_.Named("connect");
  ASSERT_EQ(connects.size(), 1u) << sink_.Dump();
  EXPECT_EQ(connects[0]->error, ECONNREFUSED);
  ASSERT_TRUE(connects[0]->socket);
  EXPECT_EQ(connects[0]->socket->family, AF_INET6);
  EXPECT_EQ(connects[0]->address->ToString(), absl::StrCat("[::1]:", port));
  EXPECT_NE(connects[0]->socket->ToString().find("TCPv6:[[::1]:"), std::string::npos)
      << connects[0]->socket->ToString();
}

TEST_F(TracerTest, TcpConnectSendRecvWithFiveTuple) {
  Listener server(AF_INET, SOCK_STREAM);
  server.ServeEcho();
  absl::StatusOr<int> rc = RunHelper({"tcp", "127.0.0.1", std::to_string(server.port())});
  ASSERT_TRUE(rc.ok()) << rc.status();
  EXPECT_EQ(*rc, 0) << sink_.Dump();
  const auto connects = sink_.Named("connect");
  ASSERT_EQ(connects.size(), 1u) << sink_.Dump();
  EXPECT_EQ(connects[0]->error, 0);
  const std::optional<FlowKey> flow = connects[0]->socket->Flow();
  ASSERT_TRUE(flow) << sink_.Dump();
  EXPECT_EQ(flow->remote.port, server.port());
  EXPECT_EQ(flow->local.addr.ToString(), "127.0.0.1");
  // send() and recv() are sendto/recvfrom on x86-64; byte counts are the results.
  const auto sends = sink_.Named("sendto");
  const auto recvs = sink_.Named("recvfrom");
  ASSERT_EQ(sends.size(), 1u) << sink_.Dump();
  ASSERT_EQ(recvs.size(), 1u) << sink_.Dump();
  EXPECT_EQ(sends[0]->result, 4);
  EXPECT_EQ(recvs[0]->result, 4);
  EXPECT_EQ(sends[0]->socket->Flow(), flow);
  EXPECT_EQ(recvs[0]->socket->Flow(), flow);
  // Ids increase in entry order.
  EXPECT_LT(connects[0]->id, sends[0]->id);
  EXPECT_LT(sends[0]->id, recvs[0]->id);
}

TEST_F(TracerTest, UdpSendtoRecvfrom) {
  Listener server(AF_INET6, SOCK_DGRAM);
  server.ServeEcho();
  absl::StatusOr<int> rc = RunHelper({"udp", "::1", std::to_string(server.port())});
  ASSERT_TRUE(rc.ok()) << rc.status();
  EXPECT_EQ(*rc, 0) << sink_.Dump();
  const auto sends = sink_.Named("sendto");
  const auto recvs = sink_.Named("recvfrom");
  ASSERT_EQ(sends.size(), 1u) << sink_.Dump();
  ASSERT_EQ(recvs.size(), 1u) << sink_.Dump();
  EXPECT_EQ(sends[0]->address->ToString(), absl::StrCat("[::1]:", server.port()));
  EXPECT_EQ(recvs[0]->address, sends[0]->address) << "recvfrom reports the peer";
  ASSERT_TRUE(sends[0]->socket && sends[0]->socket->local) << "autobound port known after sendto";
  EXPECT_EQ(sends[0]->socket->transport, Transport::kUdp);
  const auto sockopts = sink_.Named("setsockopt");
  ASSERT_EQ(sockopts.size(), 1u);
  EXPECT_NE(sockopts[0]->args.find("{tv_sec=2, tv_usec=0}"), std::string::npos)
      << sockopts[0]->args;
  ASSERT_FALSE(sink_.intents.empty());
  EXPECT_EQ(sink_.intents[0].transport, Transport::kUdp);
}

TEST_F(TracerTest, NonBlockingConnectResolvedBySoError) {
  const int port = Listener::ClosedPort(AF_INET);
  absl::StatusOr<int> rc = RunHelper({"nonblock", "127.0.0.1", std::to_string(port)});
  ASSERT_TRUE(rc.ok()) << rc.status();
  EXPECT_EQ(*rc, 0) << sink_.Dump();
  const auto connects = sink_.Named("connect");
  ASSERT_EQ(connects.size(), 1u);
  EXPECT_TRUE(connects[0]->nonblocking);
  EXPECT_EQ(connects[0]->error, EINPROGRESS);
  const auto polls = sink_.Named("poll");
  ASSERT_EQ(polls.size(), 1u) << sink_.Dump();
  ASSERT_EQ(polls[0]->waited.size(), 1u);
  EXPECT_EQ(polls[0]->waited[0].fd, connects[0]->fd);
  const auto gets = sink_.Named("getsockopt");
  ASSERT_EQ(gets.size(), 1u) << sink_.Dump();
  ASSERT_TRUE(gets[0]->resolves_call);
  EXPECT_EQ(*gets[0]->resolves_call, connects[0]->id);
  EXPECT_EQ(gets[0]->resolved_error, ECONNREFUSED);
  ASSERT_TRUE(gets[0]->socket && gets[0]->socket->Flow()) << sink_.Dump();
  EXPECT_EQ(gets[0]->socket->Flow(), connects[0]->socket->Flow()) << "same flow after the failure";
  EXPECT_FALSE(gets[0]->socket->local->addr.is_unspecified());
}

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
  std::vector<const SyscallEvent*> recvs;
  for (const SyscallEvent* e : sink_.Named("recvfrom")) {
    if (e->pid == sink_.processes.front().pid) recvs.push_back(e);
  }
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
  std::vector<const SyscallEvent*> recvs;
  for (const SyscallEvent* e : sink_.Named("recvfrom")) {
    if (e->pid == sink_.processes.front().pid) recvs.push_back(e);
  }
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

TEST_F(TracerTest, EpollWaitOnAPendingConnect) {
  const int port = Listener::ClosedPort(AF_INET);
  absl::StatusOr<int> rc = RunHelper({"epoll", "127.0.0.1", std::to_string(port)});
  ASSERT_TRUE(rc.ok()) << rc.status();
  EXPECT_EQ(*rc, 0) << sink_.Dump();
  const auto waits = sink_.Named("epoll_wait");
  ASSERT_EQ(waits.size(), 1u) << sink_.Dump();
  const auto connects = sink_.Named("connect");
  ASSERT_EQ(connects.size(), 1u);
  ASSERT_EQ(waits[0]->waited.size(), 1u);
  EXPECT_EQ(waits[0]->waited[0].fd, connects[0]->fd);
  EXPECT_EQ(waits[0]->result, 1);
  const auto gets = sink_.Named("getsockopt");
  ASSERT_EQ(gets.size(), 1u);
  EXPECT_EQ(gets[0]->resolves_call, connects[0]->id);
  EXPECT_EQ(gets[0]->resolved_error, ECONNREFUSED);
}

TEST_F(TracerTest, EveryTcpFdCallIsDecoded) {
  for (int family : {AF_INET, AF_INET6}) {
    SCOPED_TRACE(family == AF_INET ? "v4" : "v6");
    sink_ = RecordingSink();
    Listener server(family, SOCK_STREAM);
    server.ServeEcho();
    absl::StatusOr<int> rc = RunHelper({"tcpcalls", server.host(), std::to_string(server.port())});
    ASSERT_TRUE(rc.ok()) << rc.status();
    ASSERT_EQ(*rc, 0) << sink_.Dump();
    const std::optional<FlowKey> flow = sink_.Named("connect")[0]->socket->Flow();
    ASSERT_TRUE(flow);
    for (const char* name : {"writev", "readv", "recvmsg", "read", "shutdown"}) {
      const auto calls = sink_.Named(name);
      ASSERT_EQ(calls.size(), 1u) << name << "\n" << sink_.Dump();
      EXPECT_EQ(calls[0]->socket->Flow(), flow) << name;
      EXPECT_EQ(calls[0]->error, 0) << name;
    }
    EXPECT_EQ(sink_.Named("writev")[0]->result, 4);
    EXPECT_EQ(sink_.Named("readv")[0]->result, 4);
    EXPECT_EQ(sink_.Named("read")[0]->result, 0) << "EOF after the server closed";
    // glibc implements select() with the pselect6 system call.
    ASSERT_EQ(sink_.Named("ppoll").size(), 1u) << sink_.Dump();
    ASSERT_EQ(sink_.Named("pselect6").size(), 2u) << sink_.Dump();
    for (const char* name : {"ppoll", "pselect6"}) {
      for (const SyscallEvent* call : sink_.Named(name)) {
        ASSERT_EQ(call->waited.size(), 1u) << name;
        EXPECT_EQ(call->waited[0].socket.Flow(), flow) << name;
        EXPECT_EQ(call->result, 1) << name;
      }
    }
    // dup2 copied the identity to fd 40; fcntl(F_SETFL, O_NONBLOCK) made it non-blocking.
    const auto shut = sink_.Named("shutdown");
    EXPECT_EQ(shut[0]->fd, 40);
    EXPECT_TRUE(shut[0]->nonblocking);
    EXPECT_EQ(shut[0]->args, "SHUT_WR");
    EXPECT_EQ(sink_.Named("close").size(), 2u) << sink_.Dump();
  }
}

TEST_F(TracerTest, EveryUdpMessageCallIsDecoded) {
  for (int family : {AF_INET, AF_INET6}) {
    SCOPED_TRACE(family == AF_INET ? "v4" : "v6");
    sink_ = RecordingSink();
    Listener server(family, SOCK_DGRAM);
    server.ServeEcho();
    absl::StatusOr<int> rc = RunHelper({"udpcalls", server.host(), std::to_string(server.port())});
    ASSERT_TRUE(rc.ok()) << rc.status();
    ASSERT_EQ(*rc, 0) << sink_.Dump();
    const std::string dest =
        Endpoint{*IpAddress::Parse(server.host()), static_cast<uint16_t>(server.port())}.ToString();
    for (const char* name : {"sendmsg", "recvmsg", "sendmmsg", "connect", "sendto", "recvfrom"}) {
      const auto calls = sink_.Named(name);
      ASSERT_EQ(calls.size(), 1u) << name << "\n" << sink_.Dump();
      ASSERT_TRUE(calls[0]->address) << name;
      EXPECT_EQ(calls[0]->address->ToString(), dest) << name;
      EXPECT_EQ(calls[0]->error, 0) << name;
    }
    EXPECT_EQ(sink_.Named("sendmmsg")[0]->result, 2);
    EXPECT_FALSE(sink_.Named("recvmmsg").empty());
    const auto sends = sink_.Named("sendto");
    ASSERT_TRUE(sends[0]->socket->Flow()) << "a connected UDP socket has a full flow";
    EXPECT_EQ(sends[0]->socket->Flow()->remote.ToString(), dest);
  }
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

// The same program under strace -f -yy -e trace=network: the same network-class calls, in the
// same order, with the same errnos and the same remote ends.
struct StraceCall {
  std::string name;
  std::string error;   // "" on success
  std::string remote;  // "->127.0.0.1:80" from the -yy annotation, "" when none
};

std::string RemoteOf(const std::string& annotation) {
  const size_t arrow = annotation.find("->");
  if (arrow == std::string::npos) return "";
  const size_t end = annotation.find(']', arrow);
  return annotation.substr(arrow, end == std::string::npos ? std::string::npos : end - arrow);
}

std::vector<StraceCall> ParseStrace(const std::string& path) {
  std::vector<StraceCall> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    // With -f and -o, every line starts with the pid.
    const size_t first = line.find_first_not_of("0123456789 ");
    if (first == std::string::npos) continue;
    line = line.substr(first);
    const size_t paren = line.find('(');
    if (paren == std::string::npos || line.rfind("+++", 0) == 0 || line.rfind("---", 0) == 0)
      continue;
    StraceCall c;
    c.name = line.substr(0, paren);
    const size_t lt = line.find('<', paren);
    const size_t gt = line.find('>', lt);
    if (lt != std::string::npos && gt != std::string::npos && lt < line.find(',', paren)) {
      c.remote = RemoteOf(line.substr(lt, gt - lt));
    }
    const size_t eq = line.rfind(") = ");
    if (eq != std::string::npos && line.compare(eq + 4, 2, "-1") == 0) {
      const size_t s = eq + 7;
      c.error = line.substr(s, line.find(' ', s) - s);
    }
    out.push_back(c);
  }
  return out;
}

TEST_F(TracerTest, SameCallsErrnosAndRemoteEndsAsStrace) {
  NETCORR_REQUIRE(testing::Program("/usr/bin/strace"));
  Listener tcp(AF_INET, SOCK_STREAM);
  tcp.ServeEcho();
  Listener udp(AF_INET6, SOCK_DGRAM);
  udp.ServeEcho();
  const int closed = Listener::ClosedPort(AF_INET);
  const std::vector<std::vector<std::string>> runs = {
      {"refused", "127.0.0.1", std::to_string(closed)},
      {"tcp", "127.0.0.1", std::to_string(tcp.port())},
      {"udp", "::1", std::to_string(udp.port())},
      {"nonblock", "127.0.0.1", std::to_string(closed)},
  };
  for (const auto& args : runs) {
    SCOPED_TRACE(args[0]);
    char path[] = "/tmp/netcorr-strace-XXXXXX";
    const int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    close(fd);
    std::string cmd =
        absl::StrCat("/usr/bin/strace -f -yy -e trace=network -o ", path, " ", TRACER_HELPER_PATH);
    for (const std::string& a : args) absl::StrAppend(&cmd, " ", a);
    ASSERT_EQ(system(cmd.c_str()), 0) << cmd;
    const std::vector<StraceCall> theirs = ParseStrace(path);
    unlink(path);

    RecordingSink sink;
    LaunchSpec spec;
    spec.argv = {TRACER_HELPER_PATH};
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    absl::StatusOr<std::unique_ptr<Tracer>> t = Tracer::Launch(spec, &sink);
    ASSERT_TRUE(t.ok()) << t.status();
    ASSERT_TRUE((*t)->Run().ok());
    std::vector<StraceCall> ours;
    for (const SyscallEvent& e : sink.calls) {
      // strace's network class has no close/read/write/poll: compare the calls it has.
      if (e.name == "close" || e.name == "poll" || e.name == "read" || e.name == "write") continue;
      StraceCall c;
      c.name = e.name;
      c.error = e.error == 0 ? "" : ErrnoName(e.error);
      if (e.socket && e.name != "socket") c.remote = RemoteOf(e.socket->ToString());
      ours.push_back(c);
    }
    std::vector<StraceCall> comparable;
    for (const StraceCall& c : theirs) {
      // Calls we do not trace (getsockname...) are left out.
      if (c.name == "getsockname" || c.name == "getpeername") continue;
      comparable.push_back(c);
    }
    ASSERT_EQ(ours.size(), comparable.size()) << sink.Dump();
    for (size_t i = 0; i < ours.size(); ++i) {
      EXPECT_EQ(ours[i].name, comparable[i].name) << i;
      EXPECT_EQ(ours[i].error, comparable[i].error) << ours[i].name;
      // strace -yy asks sock_diag after the call; a failed connect's socket is gone from its
      // table, so it shows no remote where we show the destination: compare when it has one.
      if (!comparable[i].remote.empty()) {
        EXPECT_EQ(ours[i].remote, comparable[i].remote) << ours[i].name;
      }
    }
  }
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
