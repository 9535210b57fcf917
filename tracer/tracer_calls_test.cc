// Live tracer tests, call decoding: what each socket call of tracer/testdata/tracer_helper.cc
// is recorded as (fd, socket identity and 5-tuple, address, result, errno, the outcome of a
// non-blocking connect), on loopback only, and that strace agrees. They need root (ptrace) and
// fail without it (tests/support/requirements.h).

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "src/model/errno_name.h"
#include "tests/support/requirements.h"
#include "tracer/tracer.h"
#include "tracer/testing/live_tracer_fixture.h"

namespace netcorr::tracer {
namespace {

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
  NETCORR_REQUIRE(::netcorr::testing::Program("/usr/bin/strace"));
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

}  // namespace
}  // namespace netcorr::tracer
