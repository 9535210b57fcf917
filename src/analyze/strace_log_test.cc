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

// The same refused connect written with -f (pid prefix), without -f, and with -f to stderr.
TEST(StraceLogTest, SameCallWithAndWithoutPidPrefix) {
  const std::string call =
      "1795839800.399055 connect(3<TCP:[26727]>, {sa_family=AF_INET, sin_port=htons(2), "
      "sin_addr=inet_addr(\"127.0.0.1\")}, 16) = -1 ECONNREFUSED (Connection refused) "
      "<0.000242>\n";
  for (const std::string& prefix :
       {std::string("11974 "), std::string("[pid 11974] "), std::string("")}) {
    StraceParseOptions o;
    if (prefix.empty()) o.default_pid = 11974;
    const StraceParseResult r = Parse(prefix + call, o);
    ASSERT_EQ(r.calls.size(), 1u) << prefix;
    const SyscallEvent& c = r.calls[0];
    EXPECT_EQ(c.id, 1u);
    EXPECT_EQ(c.pid, 11974);
    EXPECT_EQ(c.tid, 11974);
    EXPECT_EQ(c.name, "connect");
    EXPECT_EQ(c.entry_ns, 1795839800399055000);
    EXPECT_EQ(c.exit_ns, 1795839800399055000 + 242000);
    EXPECT_TRUE(c.finished);
    EXPECT_EQ(c.fd, 3);
    EXPECT_EQ(c.error, ECONNREFUSED);
    EXPECT_TRUE(c.failed());
    EXPECT_EQ(c.address, Ep("127.0.0.1", 2));
    ASSERT_TRUE(c.socket);
    EXPECT_EQ(c.socket->inode, 26727u);
    EXPECT_EQ(c.socket->transport, Transport::kTcp);
    EXPECT_EQ(c.socket->remote, Ep("127.0.0.1", 2));  // the flow the connect started
    EXPECT_FALSE(c.socket->local);                    // refused: strace never showed it
    EXPECT_EQ(c.args,
              "{sa_family=AF_INET, sin_port=htons(2), sin_addr=inet_addr(\"127.0.0.1\")}, 16");
    EXPECT_TRUE(r.has_socket_decoding);
    EXPECT_TRUE(r.has_timestamps);
    EXPECT_FALSE(r.time_of_day_only);
    EXPECT_EQ(r.timestamp_precision_digits, 6);
  }
}

TEST(StraceLogTest, PidLearntFromSetTidAddressWithoutPrefix) {
  const StraceParseResult r = Parse(
      "execve(\"/usr/bin/curl\", [\"curl\"], 0x7ffe /* 3 vars */) = 0\n"
      "set_tid_address(0x7f5553a31c10) = 11519\n"
      "socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = 5\n"
      "+++ exited with 7 +++\n");
  ASSERT_EQ(r.calls.size(), 1u);
  EXPECT_EQ(r.calls[0].pid, 11519);
  ASSERT_EQ(r.processes.size(), 2u);
  EXPECT_EQ(r.processes[0].kind, ProcessEvent::Kind::kStarted);
  EXPECT_EQ(r.processes[0].pid, 11519);
  EXPECT_EQ(r.processes[0].detail, "/usr/bin/curl");
  EXPECT_EQ(r.processes[1].kind, ProcessEvent::Kind::kExited);
  EXPECT_EQ(r.processes[1].status, 7);
  EXPECT_FALSE(r.has_timestamps);
}

TEST(StraceLogTest, UnfinishedResumedAcrossInterleavedThreads) {
  // Real excerpt (strace 6.1 -f -yy -ttt -T): two threads' connects overlap.
  const StraceParseResult r = Parse(
      "11974 1795839782.387361 clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|"
      "CLONE_THREAD|CLONE_SYSVSEM, child_tid=0x7fc39e283990} => {parent_tid=[11975]}, 88) = "
      "11975 <0.000060>\n"
      "11975 1795839782.387620 socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_IP "
      "<unfinished ...>\n"
      "11974 1795839782.387632 gettid()        = 11974 <0.000002>\n"
      "11975 1795839782.387668 <... socket resumed>) = 3<TCP:[26688]> <0.000042>\n"
      "11975 1795839782.388810 connect(3<TCP:[26688]>, {sa_family=AF_INET, "
      "sin_port=htons(18080), sin_addr=inet_addr(\"127.0.0.1\")}, 16 <unfinished ...>\n"
      "11974 1795839782.389000 socket(AF_INET6, SOCK_STREAM, IPPROTO_IP) = 4<TCPv6:[26695]> "
      "<0.000011>\n"
      "11974 1795839782.389100 connect(4<TCPv6:[26695]>, {sa_family=AF_INET6, "
      "sin6_port=htons(4), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, \"::1\", &sin6_addr), "
      "sin6_scope_id=0}, 28 <unfinished ...>\n"
      "11975 1795839782.389512 <... connect resumed>) = 0 <0.000702>\n"
      "11974 1795839782.389600 <... connect resumed>) = -1 ECONNREFUSED (Connection refused) "
      "<0.000500>\n"
      "11975 1795839782.391387 sendto(3<TCP:[127.0.0.1:39962->127.0.0.1:18080]>, \"GET\"..., "
      "114, 0, NULL, 0) = 114 <0.000044>\n");
  const auto connects = Named(r, "connect");
  ASSERT_EQ(connects.size(), 2u);
  // Entry order: the thread's connect began first.
  EXPECT_EQ(connects[0]->tid, 11975);
  EXPECT_EQ(connects[0]->pid, 11974);  // a thread of 11974 (CLONE_THREAD)
  EXPECT_EQ(connects[0]->entry_ns, 1795839782388810000);
  EXPECT_EQ(connects[0]->exit_ns, 1795839782388810000 + 702000);
  EXPECT_EQ(connects[0]->error, 0);
  // The 5-tuple strace showed on the next call reaches the connect that made it.
  ASSERT_TRUE(connects[0]->socket);
  EXPECT_EQ(connects[0]->socket->local, Ep("127.0.0.1", 39962));
  EXPECT_EQ(connects[0]->socket->remote, Ep("127.0.0.1", 18080));
  EXPECT_EQ(connects[1]->tid, 11974);
  EXPECT_EQ(connects[1]->error, ECONNREFUSED);
  EXPECT_EQ(connects[1]->address, Ep("::1", 4));
  EXPECT_EQ(connects[1]->exit_ns, 1795839782389100000 + 500000);
  // Ids follow entry order.
  for (size_t i = 0; i < r.calls.size(); ++i) EXPECT_EQ(r.calls[i].id, i + 1);
  for (size_t i = 1; i < r.calls.size(); ++i) {
    EXPECT_LE(r.calls[i - 1].entry_ns, r.calls[i].entry_ns);
  }
  EXPECT_TRUE(r.processes.empty());  // a thread is not a process
}

// strace shows a ring being set up and fed, never the connect it carries: the io_uring calls
// are recorded (the report's blind spots come from them), with no socket.
TEST(StraceLogTest, IoUringCallsAreRecordedWithoutASocket) {
  const StraceParseResult r = Parse(
      "4300 1795839754.649193 io_uring_setup(8, {flags=0, sq_thread_cpu=0, sq_thread_idle=0, "
      "sq_entries=8, cq_entries=16, features=IORING_FEAT_SINGLE_MMAP}) = 3<anon_inode:[io_uring]> "
      "<0.000040>\n"
      "4300 1795839754.649300 socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_IP) = "
      "4<TCP:[24850]> <0.000010>\n"
      "4300 1795839754.649400 io_uring_enter(3<anon_inode:[io_uring]>, 2, 2, "
      "IORING_ENTER_GETEVENTS, NULL, 0) = 2 <0.000600>\n");
  const auto setups = Named(r, "io_uring_setup");
  const auto enters = Named(r, "io_uring_enter");
  ASSERT_EQ(setups.size(), 1u);
  ASSERT_EQ(enters.size(), 1u);
  EXPECT_EQ(setups[0]->kind, CallKind::kIoUring);
  EXPECT_EQ(setups[0]->result, 3);
  EXPECT_EQ(enters[0]->kind, CallKind::kIoUring);
  EXPECT_EQ(enters[0]->result, 2) << "entries the kernel consumed";
  EXPECT_EQ(enters[0]->pid, 4300);
  EXPECT_EQ(enters[0]->entry_ns, 1795839754649400000);
  EXPECT_EQ(enters[0]->exit_ns, 1795839754649400000 + 600000);
  EXPECT_FALSE(enters[0]->socket.has_value());
  EXPECT_EQ(Named(r, "connect").size(), 0u);
}

TEST(StraceLogTest, EinprogressConnectResolvedBySoError) {
  const StraceParseResult r = Parse(
      "11519 1795839754.649193 socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = 5<TCP:[24849]> "
      "<0.000010>\n"
      "11519 1795839754.661785 fcntl(5<TCP:[24849]>, F_SETFL, O_RDWR|O_NONBLOCK) = 0 <0.000007>\n"
      "11519 1795839754.662029 connect(5<TCP:[24849]>, {sa_family=AF_INET, sin_port=htons(1), "
      "sin_addr=inet_addr(\"127.0.0.1\")}, 16) = -1 EINPROGRESS (Operation now in progress) "
      "<0.000565>\n"
      "11519 1795839754.662950 poll([{fd=5<TCP:[24849]>, events=POLLOUT}], 1, 186) = 1 "
      "([{fd=5, revents=POLLOUT|POLLERR|POLLHUP}]) <0.000015>\n"
      "11519 1795839754.663813 getsockopt(5<TCP:[24849]>, SOL_SOCKET, SO_ERROR, [ECONNREFUSED], "
      "[4]) = 0 <0.000008>\n"
      "11519 1795839754.664141 close(5<TCP:[24849]>) = 0 <0.000020>\n");
  const auto connects = Named(r, "connect");
  const auto gets = Named(r, "getsockopt");
  const auto polls = Named(r, "poll");
  ASSERT_EQ(connects.size(), 1u);
  ASSERT_EQ(gets.size(), 1u);
  ASSERT_EQ(polls.size(), 1u);
  EXPECT_EQ(connects[0]->error, EINPROGRESS);
  EXPECT_TRUE(connects[0]->nonblocking);  // from the fcntl
  EXPECT_FALSE(polls[0]->resolves_call);  // readiness alone decides nothing
  ASSERT_EQ(polls[0]->waited.size(), 1u);
  EXPECT_EQ(polls[0]->waited[0].fd, 5);
  EXPECT_EQ(polls[0]->waited[0].socket.inode, 24849u);
  ASSERT_TRUE(gets[0]->resolves_call);
  EXPECT_EQ(*gets[0]->resolves_call, connects[0]->id);
  EXPECT_EQ(gets[0]->resolved_error, ECONNREFUSED);
  EXPECT_EQ(Named(r, "close").size(), 1u);
  EXPECT_TRUE(Named(r, "fcntl").empty());  // bookkeeping only, as in the live tracer

  // -X raw: the number instead of the name; SO_ERROR 0 means connected.
  const StraceParseResult raw = Parse(
      "1 1.000001 socket(0x2, 0x1|0x800, 0) = 3<TCP:[7]>\n"
      "1 1.000002 connect(3<TCP:[7]>, {sa_family=0x2, sin_port=\"\\x00\\x50\", "
      "sin_addr=\"\\x0a\\x00\\x00\\x02\"}, 16) = -1 EINPROGRESS (Operation now in progress)\n"
      "1 1.000003 getsockopt(3<TCP:[7]>, 0x1, 0x4, [111], [4]) = 0\n"
      "1 1.000004 connect(3<TCP:[7]>, {sa_family=0x2, sin_port=\"\\x00\\x50\", "
      "sin_addr=\"\\x0a\\x00\\x00\\x02\"}, 16) = -1 EINPROGRESS (Operation now in progress)\n"
      "1 1.000005 getsockopt(3<TCP:[10.0.0.1:5000->10.0.0.2:80]>, 0x1, 0x4, [0], [4]) = 0\n");
  const auto rc = Named(raw, "connect");
  const auto rg = Named(raw, "getsockopt");
  ASSERT_EQ(rc.size(), 2u);
  ASSERT_EQ(rg.size(), 2u);
  EXPECT_TRUE(rc[0]->nonblocking);
  EXPECT_EQ(rc[0]->address, Ep("10.0.0.2", 80));
  EXPECT_EQ(*rg[0]->resolves_call, rc[0]->id);
  EXPECT_EQ(rg[0]->resolved_error, ECONNREFUSED);
  EXPECT_EQ(*rg[1]->resolves_call, rc[1]->id);
  EXPECT_EQ(rg[1]->resolved_error, 0);
}

TEST(StraceLogTest, SecondConnectResolvesThePendingOne) {
  const StraceParseResult r = Parse(
      "9 2.0 socket(AF_INET, SOCK_STREAM|SOCK_NONBLOCK, IPPROTO_TCP) = 3\n"
      "9 2.1 connect(3, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr(\"10.0.0.2\")},"
      " 16) = -1 EINPROGRESS (Operation now in progress)\n"
      "9 2.2 connect(3, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr(\"10.0.0.2\")},"
      " 16) = -1 EALREADY (Operation already in progress)\n"
      "9 2.3 connect(3, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr(\"10.0.0.2\")},"
      " 16) = -1 ETIMEDOUT (Connection timed out)\n");
  const auto c = Named(r, "connect");
  ASSERT_EQ(c.size(), 3u);
  EXPECT_TRUE(c[0]->nonblocking);
  EXPECT_FALSE(c[1]->resolves_call);  // still pending
  ASSERT_TRUE(c[2]->resolves_call);
  EXPECT_EQ(*c[2]->resolves_call, c[0]->id);
  EXPECT_EQ(c[2]->resolved_error, ETIMEDOUT);
  EXPECT_FALSE(r.has_socket_decoding);
}

TEST(StraceLogTest, TimeOfDayLogCrossingMidnight) {
  const StraceParseResult r = Parse(
      "5 23:59:59.900000 socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP) = 3<UDP:[1]> <0.000010>\n"
      "5 00:00:00.100000 sendto(3<UDP:[1]>, \"q\", 1, 0, {sa_family=AF_INET, "
      "sin_port=htons(53), sin_addr=inet_addr(\"10.71.2.2\")}, 16) = 1 <0.000020>\n");
  ASSERT_EQ(r.calls.size(), 2u);
  EXPECT_TRUE(r.time_of_day_only);
  constexpr TimeNs kSecond = 1'000'000'000;
  EXPECT_EQ(r.calls[0].entry_ns, 86399 * kSecond + 900'000'000);
  EXPECT_EQ(r.calls[1].entry_ns, 86400 * kSecond + 100'000'000);  // the next day
  EXPECT_EQ(r.calls[1].address, Ep("10.71.2.2", 53));
  EXPECT_EQ(r.calls[1].socket->transport, Transport::kUdp);
}

TEST(StraceLogTest, AcceptGivesTheNewSocketAndPeer) {
  const StraceParseResult r = Parse(
      "20628 1795839971.723796 accept4(3<TCPv6:[[::1]:46125]>, {sa_family=AF_INET6, "
      "sin6_port=htons(42266), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, \"::1\", &sin6_addr),"
      " sin6_scope_id=0}, [28], SOCK_CLOEXEC|SOCK_NONBLOCK) = 5<TCPv6:[[::1]:46125->[::1]:42266]> "
      "<0.000047>\n"
      "20628 1795839971.725018 epoll_ctl(6<anon_inode:[eventpoll]>, EPOLL_CTL_ADD, "
      "5<TCPv6:[[::1]:46125->[::1]:42266]>, {events=EPOLLIN, data={u32=5, u64=5}}) = 0\n"
      "20628 1795839971.725142 epoll_wait(6<anon_inode:[eventpoll]>, [{events=EPOLLIN, "
      "data={u32=5, u64=5}}], 1023, 1000) = 1 <0.000004>\n"
      "20628 1795839971.725181 read(5<TCPv6:[[::1]:46125->[::1]:42266]>, \"y\", 1024) = 1\n"
      "20628 1795839971.725200 read(7</etc/hosts>, \"x\", 1024) = 1\n");
  const auto a = Named(r, "accept4");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0]->fd, 3);
  EXPECT_EQ(a[0]->result, 5);
  EXPECT_EQ(a[0]->address, Ep("::1", 42266));
  EXPECT_EQ(a[0]->socket->local, Ep("::1", 46125));
  const auto w = Named(r, "epoll_wait");
  ASSERT_EQ(w.size(), 1u);
  ASSERT_EQ(w[0]->waited.size(), 1u);
  EXPECT_EQ(w[0]->waited[0].fd, 5);
  const auto reads = Named(r, "read");
  ASSERT_EQ(reads.size(), 1u);  // the file read is not a network call
  EXPECT_TRUE(reads[0]->nonblocking);
}

TEST(StraceLogTest, SignalsExitsAndForks) {
  const StraceParseResult r = Parse(
      "100 1.0 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, "
      "child_tidptr=0x7f) = 101\n"
      "101 1.1 sendto(3<UNIX-STREAM:[26842->26843]>, \"x\", 1, 0, NULL, 0) = -1 EPIPE (Broken "
      "pipe)\n"
      "101 1.2 --- SIGPIPE {si_signo=SIGPIPE, si_code=SI_USER, si_pid=101, si_uid=0} ---\n"
      "101 1.3 +++ killed by SIGPIPE +++\n"
      "100 1.4 --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_KILLED, si_pid=101} ---\n"
      "100 1.5 +++ exited with 0 +++\n");
  ASSERT_EQ(r.processes.size(), 3u);
  EXPECT_EQ(r.processes[0].kind, ProcessEvent::Kind::kStarted);
  EXPECT_EQ(r.processes[0].pid, 101);
  EXPECT_EQ(r.processes[0].parent_pid, 100);
  EXPECT_EQ(r.processes[1].kind, ProcessEvent::Kind::kKilled);
  EXPECT_EQ(r.processes[1].status, SIGPIPE);
  EXPECT_EQ(r.processes[2].kind, ProcessEvent::Kind::kExited);
  ASSERT_EQ(r.signals.size(), 2u);
  EXPECT_EQ(r.signals[0].signo, SIGPIPE);
  EXPECT_EQ(r.signals[0].pid, 101);
  EXPECT_EQ(r.signals[1].name, "SIGCHLD");
  const auto s = Named(r, "sendto");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0]->error, EPIPE);
  EXPECT_EQ(s[0]->socket->family, AF_UNIX);
}

TEST(StraceLogTest, InterruptedCallsRestartOrEndInEintr) {
  const StraceParseResult r = Parse(
      // Restarted: one call from the first entry to the final exit.
      "7 10.0 connect(3<TCP:[9]>, {sa_family=AF_INET, sin_port=htons(80), "
      "sin_addr=inet_addr(\"10.0.0.2\")}, 16) = ? ERESTARTSYS (To be restarted if SA_RESTART is "
      "set) <1.000000>\n"
      "7 11.0 --- SIGCHLD {si_signo=SIGCHLD} ---\n"
      "7 11.1 rt_sigreturn({mask=[]}) = 42\n"
      "7 11.2 connect(3<TCP:[9]>, {sa_family=AF_INET, sin_port=htons(80), "
      "sin_addr=inet_addr(\"10.0.0.2\")}, 16) = -1 ETIMEDOUT (Connection timed out) <2.000000>\n"
      // Not restarted: EINTR when the handler returns.
      "7 20.0 recvfrom(4<UDP:[10]>, 0x7f, 10, 0, NULL, NULL) = ? ERESTARTSYS (To be restarted if "
      "SA_RESTART is set) <0.500000>\n"
      "7 20.5 --- SIGALRM {si_signo=SIGALRM} ---\n"
      "7 20.6 rt_sigreturn({mask=[]}) = -1 EINTR (Interrupted system call) <0.000003>\n"
      // poll continues through restart_syscall.
      "7 30.0 poll([{fd=4<UDP:[10]>, events=POLLIN}], 1, 5000) = ? ERESTART_RESTARTBLOCK "
      "(Interrupted by signal) <1.000000>\n"
      "7 31.0 --- SIGSTOP {si_signo=SIGSTOP} ---\n"
      "7 31.1 restart_syscall(<... resuming interrupted poll ...>) = 0 <3.900000>\n");
  const auto c = Named(r, "connect");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0]->entry_ns, 10'000'000'000);
  EXPECT_EQ(c[0]->exit_ns, 13'200'000'000);
  EXPECT_EQ(c[0]->error, ETIMEDOUT);
  const auto rf = Named(r, "recvfrom");
  ASSERT_EQ(rf.size(), 1u);
  EXPECT_EQ(rf[0]->error, EINTR);
  EXPECT_EQ(rf[0]->exit_ns, 20'600'003'000);
  const auto p = Named(r, "poll");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0]->entry_ns, 30'000'000'000);
  EXPECT_EQ(p[0]->exit_ns, 35'000'000'000);
  EXPECT_EQ(p[0]->result, 0);
  EXPECT_EQ(r.signals.size(), 3u);
}

TEST(StraceLogTest, CallsStillBlockedWhenTheLogEnds) {
  const StraceParseResult r = Parse(
      "7 1.0 connect(3<TCP:[9]>, {sa_family=AF_INET, sin_port=htons(80), "
      "sin_addr=inet_addr(\"10.0.0.2\")}, 16 <unfinished ...>\n"
      "8 1.5 recvfrom(4<UDP:[10]>, 0x7f, 10, 0, NULL, NULL <detached ...>\n"
      "9 2.5 close(5<TCP:[11]>) = 0\n"
      "10 3.0 connect(6<TCP:[12]>, {sa_family=AF_INET, sin_port=htons(81), "
      "sin_addr=inet_addr(\"10.0.0.2\")}, 16) = ?\n");
  const auto c = Named(r, "connect");
  ASSERT_EQ(c.size(), 2u);
  EXPECT_FALSE(c[0]->finished);
  EXPECT_FALSE(c[0]->failed());
  EXPECT_EQ(c[0]->exit_ns, 3'000'000'000);  // the last time of the log
  EXPECT_FALSE(c[1]->finished);
  const auto rf = Named(r, "recvfrom");
  ASSERT_EQ(rf.size(), 1u);
  EXPECT_FALSE(rf[0]->finished);
}

TEST(StraceLogTest, OlderResumedFormWithBlank) {
  // strace 4.x/5.x wrote "<... connect resumed> )" with a blank before the parenthesis.
  const StraceParseResult r = Parse(
      "7 1.0 connect(3<TCP:[9]>, {sa_family=AF_INET, sin_port=htons(80), "
      "sin_addr=inet_addr(\"10.0.0.2\")}, 16 <unfinished ...>\n"
      "8 1.1 read(4<TCP:[10]>,  <unfinished ...>\n"
      "7 1.2 <... connect resumed> ) = -1 ETIMEDOUT (Connection timed out) <0.200000>\n"
      "8 1.3 <... read resumed> \"abc\", 10) = 3 <0.200000>\n");
  const auto c = Named(r, "connect");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0]->error, ETIMEDOUT);
  EXPECT_EQ(c[0]->address, Ep("10.0.0.2", 80));
  const auto rd = Named(r, "read");
  ASSERT_EQ(rd.size(), 1u);
  EXPECT_EQ(rd[0]->result, 3);
  EXPECT_EQ(rd[0]->fd, 4);
  EXPECT_EQ(rd[0]->args, "\"abc\", 10");
}

TEST(StraceLogTest, ResumedWithoutItsEntry) {
  // A log from `strace -p` begins in the middle of a call: -T gives the entry back.
  const StraceParseResult r =
      Parse("7 5.0 <... connect resumed>) = -1 ECONNREFUSED (Connection refused) <0.250000>\n");
  const auto c = Named(r, "connect");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0]->entry_ns, 4'750'000'000);
  EXPECT_EQ(c[0]->error, ECONNREFUSED);
  EXPECT_EQ(c[0]->fd, -1);  // the fd was in the part strace did not print
}

TEST(StraceLogTest, GarbageEmptyAndTruncatedInput) {
  // Empty and blank: an honest empty result.
  for (const char* text : {"", "\n\n  \n"}) {
    absl::StatusOr<StraceParseResult> r = ParseStraceText(text, {});
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->calls.empty());
    EXPECT_EQ(r->unknown_lines, 0u);
  }
  // Binary data: a one-line error.
  std::string binary(
      "\x7f"
      "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0",
      16);
  absl::StatusOr<StraceParseResult> b = ParseStraceText(binary, {});
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("binary"), std::string::npos);
  EXPECT_EQ(std::string(b.status().message()).find('\n'), std::string::npos);
  // Text that is not strace: a one-line error.
  absl::StatusOr<StraceParseResult> t =
      ParseStraceText("Lorem ipsum dolor sit amet\nconsectetur adipiscing\n", {});
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("not an strace log"), std::string::npos);
  // A log cut in the middle of a line: the good lines count, the cut one is kept as unknown.
  const StraceParseResult cut = Parse(
      "1 1.0 socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = 3<TCP:[5]>\n"
      "1 1.1 connect(3<TCP:[5]>, {sa_family=AF_INET, sin_po");
  EXPECT_EQ(cut.calls.size(), 1u);
  EXPECT_EQ(cut.unknown_lines, 1u);
  ASSERT_EQ(cut.unknown_examples.size(), 1u);
  EXPECT_EQ(cut.unknown_examples[0].substr(0, 11), "1 1.1 conne");
  // Unknown lines in a real log are counted, never fatal, and only a few are kept.
  std::string noisy = "1 1.0 socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = 3\n";
  for (int i = 0; i < 20; ++i) noisy += "  > /usr/lib/libc.so.6(__connect+0x1b) [0x11a0db]\n";
  const StraceParseResult n = Parse(noisy);
  EXPECT_EQ(n.lines, 21u);
  EXPECT_EQ(n.unknown_lines, 20u);
  EXPECT_EQ(n.unknown_examples.size(), 5u);
  EXPECT_EQ(n.calls.size(), 1u);
}

TEST(StraceLogTest, OverlongLineIsUnknownNotFatal) {
  std::string text = "1 1.0 write(3<TCP:[1]>, \"";
  text.append(6 << 20, 'A');
  text += "\", 10) = 10\n1 2.0 close(3<TCP:[1]>) = 0\n";
  const StraceParseResult r = Parse(text);
  EXPECT_EQ(r.unknown_lines, 1u);
  EXPECT_EQ(Named(r, "close").size(), 1u);
}

TEST(StraceLogTest, StreamAndFileErrors) {
  std::istringstream in("1 1.0 socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = 3<TCP:[5]>\n");
  absl::StatusOr<StraceParseResult> r = ParseStraceLog(in, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->calls.size(), 1u);
  absl::StatusOr<StraceParseResult> missing = ParseStraceFile("/nonexistent/app.strace", {});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/app.strace"), std::string::npos);
  EXPECT_FALSE(ParseStraceFile(kTestdata, {}).ok());  // a directory
  EXPECT_FALSE(ParseStraceFiles({}, {}).ok());
}

TEST(StraceLogTest, HostileNumbersNeitherOverflowNorGoBackwards) {
  const StraceParseResult r = Parse(
      "1 9200000000.999999 connect(3<TCP:[1]>, {sa_family=AF_INET, sin_port=htons(80), "
      "sin_addr=inet_addr(\"10.0.0.2\")}, 16) = -1 ECONNREFUSED (x) <999999999.999999>\n"
      "1 5.0 <... connect resumed>) = -9223372036854775808 EFOO (x)\n"
      "1 9.0 connect(3<TCP:[1]>, {sa_family=AF_INET, sin_port=htons(80), "
      "sin_addr=inet_addr(\"10.0.0.2\")}, 16 <unfinished ...>\n"
      "1 2.0 <... connect resumed>) = 0\n");
  ASSERT_EQ(Named(r, "connect").size(), 3u);
  for (const SyscallEvent& c : r.calls) EXPECT_GE(c.exit_ns, c.entry_ns);
}

TEST(StraceLogTest, PidLearntWhileACallIsUnfinished) {
  // The anonymous pid's pending call moves to the learnt pid (found by the fuzzer: the move
  // must not hold a map iterator across an insert).
  const StraceParseResult r = Parse(
      "1.0 connect(3<TCP:[1]>, {sa_family=AF_INET, sin_port=htons(80), "
      "sin_addr=inet_addr(\"10.0.0.2\")}, 16 <unfinished ...>\n"
      "1.5 set_tid_address(0x7f) = 4242\n"
      "2.0 <... connect resumed>) = 0 <1.000000>\n");
  const auto c = Named(r, "connect");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0]->pid, 4242);
  EXPECT_TRUE(c[0]->finished);
  EXPECT_EQ(c[0]->entry_ns, 1'000'000'000);
}

// ---- Real logs written by strace 6.1 on this project's machines (testdata/). ----

}  // namespace
}  // namespace netcorr::analyze
