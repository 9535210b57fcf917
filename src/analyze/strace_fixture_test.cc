// The strace reader on logs the real strace wrote (testdata/), in every output form.

#include "src/analyze/strace_log.h"

#include <sys/socket.h>

#include <cerrno>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "src/analyze/strace_test_util.h"

namespace netcorr::analyze {
namespace {

using namespace ::netcorr::analyze::testing;  // NOLINT: test helpers

TEST(StraceFixtureTest, ThreadsWithYyTttT) {
  const StraceParseResult r = ParseFixture("threads_f_yy_ttt_T.strace");
  EXPECT_EQ(r.unknown_lines, 0u);
  EXPECT_TRUE(r.has_socket_decoding);
  EXPECT_TRUE(r.has_durations);
  // Four threads connect at once, as the client script does.
  const auto connects = Named(r, "connect");
  ASSERT_GE(connects.size(), 8u);
  int inprogress = 0;
  int refused = 0;
  bool saw_mapped = false;
  bool saw_v6 = false;
  for (const SyscallEvent* c : connects) {
    EXPECT_EQ(c->pid, 11974);
    if (c->error == EINPROGRESS) ++inprogress;
    if (c->error == ECONNREFUSED) ++refused;
    if (c->address == Ep("127.0.0.1", 18082)) {
      saw_mapped = true;  // connect to ::ffff:127.0.0.1 from an AF_INET6 socket
      EXPECT_EQ(c->socket->family, AF_INET6);
      EXPECT_EQ(c->socket->local->addr, *IpAddress::Parse("127.0.0.1"));
    }
    if (c->address == Ep("::1", 18081)) saw_v6 = true;
  }
  EXPECT_EQ(inprogress, 4);
  EXPECT_EQ(refused, 2);
  EXPECT_TRUE(saw_mapped);
  EXPECT_TRUE(saw_v6);
  // Every EINPROGRESS connect is resolved by its getsockopt(SO_ERROR), one of them refused.
  int resolved = 0;
  int resolved_refused = 0;
  for (const SyscallEvent* g : Named(r, "getsockopt")) {
    if (!g->resolves_call) continue;
    ++resolved;
    const SyscallEvent* c = ById(r, *g->resolves_call);
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->name, "connect");
    EXPECT_EQ(c->error, EINPROGRESS);
    EXPECT_EQ(c->fd, g->fd);
    EXPECT_EQ(c->tid, g->tid);
    if (g->resolved_error == ECONNREFUSED) ++resolved_refused;
  }
  EXPECT_EQ(resolved, 4);
  EXPECT_EQ(resolved_refused, 1);
  // recvfrom ECONNRESET on the connection the server reset, UDP ECONNREFUSED, poll timeouts.
  bool reset = false;
  bool udp_refused = false;
  for (const SyscallEvent* c : Named(r, "recvfrom")) {
    if (c->error == ECONNRESET) {
      reset = true;
      EXPECT_EQ(c->socket->remote, Ep("127.0.0.1", 18083));
      EXPECT_TRUE(c->socket->Flow().has_value());
    }
    if (c->error == ECONNREFUSED) {
      udp_refused = true;
      EXPECT_EQ(c->socket->transport, Transport::kUdp);
    }
  }
  EXPECT_TRUE(reset);
  EXPECT_TRUE(udp_refused);
  int timeouts = 0;
  for (const SyscallEvent* p : Named(r, "poll")) {
    if (p->result == 0) {
      ++timeouts;
      EXPECT_FALSE(p->waited.empty());
      EXPECT_GT(p->duration_ns(), 100'000'000);
    }
  }
  EXPECT_EQ(timeouts, 2);
  // The forked child died of SIGPIPE after its write failed with EPIPE.
  bool killed = false;
  for (const ProcessEvent& p : r.processes) {
    if (p.kind == ProcessEvent::Kind::kKilled) {
      killed = true;
      EXPECT_EQ(p.status, SIGPIPE);
    }
  }
  EXPECT_TRUE(killed);
  bool epipe = false;
  for (const SyscallEvent* c : Named(r, "sendto")) epipe |= c->error == EPIPE;
  EXPECT_TRUE(epipe);
}

TEST(StraceFixtureTest, NonFollowNanosecondsCurl) {
  const StraceParseResult r = ParseFixture("curl_nonf_ns.strace");
  EXPECT_EQ(r.timestamp_precision_digits, 9);
  ASSERT_EQ(Named(r, "connect").size(), 3u);  // two nscd probes, one TCP connect
  const SyscallEvent* tcp = nullptr;
  for (const SyscallEvent* c : Named(r, "connect")) {
    EXPECT_EQ(c->pid, 12090);  // learnt from set_tid_address
    if (c->socket->transport == Transport::kTcp) tcp = c;
  }
  ASSERT_NE(tcp, nullptr);
  EXPECT_EQ(tcp->entry_ns, 1795839800179404330);
  EXPECT_TRUE(tcp->nonblocking);
  EXPECT_EQ(tcp->error, EINPROGRESS);
  const auto g = Named(r, "getsockopt");
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(*g[0]->resolves_call, tcp->id);
  EXPECT_EQ(g[0]->resolved_error, ECONNREFUSED);
}

// The same program (two threads, two refused connects) under each output form.
TEST(StraceFixtureTest, EveryOutputFormGivesTheSameCalls) {
  struct Case {
    std::vector<std::string> files;
    bool yy;
    bool tod;
    bool times;
  };
  const std::vector<Case> cases = {
      {{"refused_f_tt_y.strace"}, false, true, true},
      {{"refused_f_noy_notime.strace"}, false, false, false},
      {{"refused_stderr_pid.strace"}, true, false, true},
      {{"refused_xverbose.strace"}, true, false, true},
      {{"refused_xraw.strace"}, true, false, true},
      {{"ff/app.strace.12125", "ff/app.strace.12137"}, true, false, true},
  };
  for (const Case& c : cases) {
    std::vector<std::string> paths;
    for (const std::string& f : c.files) paths.push_back(kTestdata + "/" + f);
    absl::StatusOr<StraceParseResult> parsed = ParseStraceFiles(paths, {});
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    const StraceParseResult& r = *parsed;
    SCOPED_TRACE(c.files[0]);
    EXPECT_EQ(r.unknown_lines, 0u);
    EXPECT_EQ(r.has_socket_decoding, c.yy);
    EXPECT_EQ(r.time_of_day_only, c.tod);
    EXPECT_EQ(r.has_timestamps, c.times);
    const auto connects = Named(r, "connect");
    ASSERT_EQ(connects.size(), 2u);
    std::vector<Endpoint> addresses;
    for (const SyscallEvent* k : connects) {
      EXPECT_EQ(k->error, ECONNREFUSED);
      ASSERT_TRUE(k->address.has_value());
      addresses.push_back(*k->address);
      ASSERT_TRUE(k->socket);
      EXPECT_EQ(k->socket->transport, Transport::kTcp);
      EXPECT_EQ(k->socket->remote, k->address);
      EXPECT_EQ(k->pid, connects[0]->pid);  // two threads of one process
    }
    EXPECT_NE(connects[0]->tid, connects[1]->tid);
    std::sort(addresses.begin(), addresses.end());
    EXPECT_EQ(addresses[0], Ep("127.0.0.1", 3));
    EXPECT_EQ(addresses[1], Ep("::1", 4));
    EXPECT_EQ(Named(r, "socket").size(), 2u);
    EXPECT_EQ(Named(r, "close").size(), 2u);
  }
}

TEST(StraceFixtureTest, FfPrefixDiscovery) {
  absl::StatusOr<std::vector<std::string>> files = FindStraceFfFiles(kTestdata + "/ff/app.strace");
  ASSERT_TRUE(files.ok()) << files.status();
  ASSERT_EQ(files->size(), 2u);
  EXPECT_EQ((*files)[0], kTestdata + "/ff/app.strace.12125");
  EXPECT_EQ((*files)[1], kTestdata + "/ff/app.strace.12137");
  absl::StatusOr<std::vector<std::string>> none = FindStraceFfFiles(kTestdata + "/ff/nothing");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(StraceFixtureTest, UnixSelectEpollAndFionbio) {
  const StraceParseResult r = ParseFixture("unix_select_epoll.strace");
  EXPECT_EQ(r.unknown_lines, 0u);
  bool unix_connect = false;
  bool v6_connect = false;
  for (const SyscallEvent* c : Named(r, "connect")) {
    if (c->socket->family == AF_UNIX) {
      unix_connect = true;
      EXPECT_EQ(c->socket->unix_path, "/tmp/sw/u.sock");
    } else {
      v6_connect = true;
      EXPECT_TRUE(c->nonblocking);  // ioctl(FIONBIO, [1])
      EXPECT_EQ(c->error, EINPROGRESS);
      EXPECT_TRUE(c->socket->local.has_value());
    }
  }
  EXPECT_TRUE(unix_connect);
  EXPECT_TRUE(v6_connect);
  const auto sel = Named(r, "pselect6");
  ASSERT_EQ(sel.size(), 1u);
  ASSERT_EQ(sel[0]->waited.size(), 1u);
  EXPECT_EQ(sel[0]->waited[0].fd, 4);
  const auto g = Named(r, "getsockopt");
  ASSERT_EQ(g.size(), 1u);
  ASSERT_TRUE(g[0]->resolves_call);
  EXPECT_EQ(g[0]->resolved_error, 0);
  EXPECT_EQ(Named(r, "epoll_wait").size(), 1u);
  EXPECT_EQ(Named(r, "accept4").size(), 2u);
}

TEST(StraceFixtureTest, NetlinkWithoutFollowOrTimes) {
  const StraceParseResult r = ParseFixture("netlink_nonf_notime.strace");
  EXPECT_EQ(r.unknown_lines, 0u);
  EXPECT_FALSE(r.has_timestamps);
  const auto s = Named(r, "socket");
  ASSERT_FALSE(s.empty());
  EXPECT_EQ(s[0]->socket->family, AF_NETLINK);
  EXPECT_EQ(s[0]->socket->transport, Transport::kUnknown);
}

TEST(StraceFixtureTest, InterruptedByRealSignals) {
  const StraceParseResult r = ParseFixture("interrupted_eintr.strace");
  EXPECT_EQ(r.unknown_lines, 0u);
  // The blocked connect ended with EINTR when SIGINT's handler returned; the poll interrupted
  // by SIGALRM ended with EINTR too (Python retried with a new poll).
  bool connect_eintr = false;
  for (const SyscallEvent* c : Named(r, "connect")) {
    if (c->error == EINTR) {
      connect_eintr = true;
      EXPECT_GT(c->duration_ns(), 2'000'000'000);
    }
  }
  EXPECT_TRUE(connect_eintr);
  bool poll_eintr = false;
  for (const SyscallEvent* p : Named(r, "poll")) poll_eintr |= p->error == EINTR;
  EXPECT_TRUE(poll_eintr);
  for (const SyscallEvent& c : r.calls) EXPECT_LT(c.error, 512) << c.name;
}

TEST(StraceFixtureTest, AttachedThenDetachedMidPoll) {
  const StraceParseResult r = ParseFixture("attach_detached.strace");
  const auto p = Named(r, "poll");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_FALSE(p[0]->finished);
  ASSERT_EQ(p[0]->waited.size(), 1u);
  EXPECT_EQ(p[0]->waited[0].socket.remote, Ep("127.0.0.1", 18091));
}

TEST(StraceFixtureTest, LogWithoutNetworkCalls) {
  const StraceParseResult r = ParseFixture("no_network.strace");
  EXPECT_GT(r.lines, 100u);
  EXPECT_EQ(r.unknown_lines, 0u);
  EXPECT_TRUE(r.calls.empty());
  ASSERT_FALSE(r.processes.empty());
  EXPECT_EQ(r.processes[0].detail, "/usr/bin/ls");
}

}  // namespace
}  // namespace netcorr::analyze
