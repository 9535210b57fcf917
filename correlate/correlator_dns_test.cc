// Whole DNS lookups as resolvers make them: glibc's A and AAAA on one socket, the search list,
// retries, a truncated answer retried over TCP, a socket closed with its query unanswered; and
// every failing call of a session without a capture. One finding per cause throughout.
#include <cerrno>
#include <string>

#include "correlate/correlator_test_fixture.h"
#include "gtest/gtest.h"

namespace netcorr::correlate {
namespace {

using namespace testing;  // NOLINT: the fixture, builders and matchers of these tests

constexpr uint16_t kA = 1;
constexpr uint16_t kAaaa = 28;

class DnsLookupTest : public CorrelatorTest {
 protected:
  // A connected UDP socket on `fd` from the client's port `port` to the server's port 53.
  Endpoint Socket(int fd, uint16_t port, uint64_t id, TimeNs t) {
    const Endpoint local = w.Client(port);
    SyscallEvent conn = Call(id, "connect", fd, t, t + 1000, 0);
    conn.socket = UdpSocket(3000 + fd, local, ns);
    conn.address = ns;
    corr.AddSyscall(conn);
    return local;
  }
  SyscallEvent OnUdp(uint64_t id, std::string_view name, int fd, const Endpoint& local,
                     TimeNs entry, TimeNs exit, int error = 0, int64_t result = 0) {
    SyscallEvent e = Call(id, name, fd, entry, exit, error, result);
    e.socket = UdpSocket(3000 + fd, local, ns);
    return e;
  }
  SyscallEvent Poll(uint64_t id, int fd, const Endpoint& local, TimeNs entry, TimeNs exit) {
    SyscallEvent p = Call(id, "poll", -1, entry, exit, 0, 0);
    p.waited.push_back(FdSocket{fd, UdpSocket(3000 + fd, local, ns)});
    return p;
  }
  // glibc's lookup of `name` on a new socket: A and AAAA at once, both answered with `rcode`,
  // both received, the socket closed. Packet and call ids from `id`.
  void GlibcLookup(uint64_t id, TimeNs t, int fd, uint16_t port, const std::string& name,
                   uint8_t rcode) {
    const Endpoint local = Socket(fd, port, id, t);
    corr.AddSyscall(OnUdp(id + 1, "sendmmsg", fd, local, t + kMs, t + kMs + 1000, 0, 2));
    corr.AddPacket(
        DnsPacket(id, t + kMs, local, ns, static_cast<uint16_t>(id), false, name, 0, kA));
    corr.AddPacket(DnsPacket(id + 1, t + kMs, local, ns, static_cast<uint16_t>(id + 1), false, name,
                             0, kAaaa));
    corr.AddPacket(DnsPacket(id + 2, t + 2 * kMs, ns, local, static_cast<uint16_t>(id), true, name,
                             rcode, kA));
    corr.AddPacket(DnsPacket(id + 3, t + 2 * kMs, ns, local, static_cast<uint16_t>(id + 1), true,
                             name, rcode, kAaaa));
    corr.AddSyscall(OnUdp(id + 2, "recvfrom", fd, local, t + 2 * kMs, t + 2 * kMs + 1000, 0, 40));
    corr.AddSyscall(
        OnUdp(id + 3, "recvfrom", fd, local, t + 2 * kMs + 2000, t + 2 * kMs + 3000, 0, 40));
    corr.AddSyscall(OnUdp(id + 4, "close", fd, local, t + 3 * kMs, t + 3 * kMs + 100));
  }

  // One A query for big.netcorr.test (packet 1) answered with TC set (packet 2), received.
  void TruncatedAnswer() {
    const Endpoint local = Socket(5, 41000, 10, kT0);
    corr.AddSyscall(OnUdp(11, "send", 5, local, kT0 + kMs, kT0 + kMs + 1000, 0, 40));
    corr.AddPacket(DnsPacket(1, kT0 + kMs, local, ns, 0x1234, false, "big.netcorr.test", 0, kA));
    corr.AddPacket(DnsPacket(2, kT0 + 2 * kMs, ns, local, 0x1234, true, "big.netcorr.test", 0, kA,
                             /*truncated=*/true));
    corr.AddSyscall(OnUdp(12, "recv", 5, local, kT0 + kMs, kT0 + 2 * kMs + 1000, 0, 40));
  }
  // A connect (call `id`, fd 6) from port 41500 to TCP port 53, refused with RST (packets 3, 4).
  void RefusedTcpRetry(uint64_t id) {
    const Endpoint tcp_local = w.Client(41500);
    corr.AddPacket(TcpPacket(3, kT0 + 4 * kMs, tcp_local, ns, kTcpSyn, 100));
    corr.AddPacket(TcpPacket(4, kT0 + 5 * kMs, ns, tcp_local, kTcpRst | kTcpAck, 0, 101));
    corr.AddSyscall(
        Connect(id, kT0 + 4 * kMs, kT0 + 5 * kMs + 1000, ECONNREFUSED, tcp_local, ns, 6));
  }

  // The traced process (pid 100, every testing::Call's) exits at t.
  void Exit(TimeNs t) {
    ProcessEvent exited;
    exited.kind = ProcessEvent::Kind::kExited;
    exited.pid = 100;
    exited.time_ns = t;
    corr.AddProcessEvent(exited);
  }

  Endpoint ns = w.Server(53);
};

TEST_P(DnsLookupTest, NxdomainThroughTheSearchListIsOneFinding) {
  // getent ahosts nxdomain.netcorr.test: the name as given, then with the search domain.
  GlibcLookup(10, kT0, 5, 41000, "nxdomain.netcorr.test", 3);
  GlibcLookup(20, kT0 + 10 * kMs, 6, 41001, "nxdomain.netcorr.test.netcorr.test", 3);
  std::vector<Finding> f = All();
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_EQ(f[0].kind, FindingKind::kDnsError);
  EXPECT_EQ(f[0].severity, FindingSeverity::kFailure);
  EXPECT_EQ(f[0].call.id, 12u);  // the first receive of the bad news
  EXPECT_EQ(f[0].dns->rcode_name, "NXDOMAIN");
  EXPECT_EQ(f[0].dns->name, "nxdomain.netcorr.test");
  EXPECT_EQ(f[0].dns->qtype, "A");
  EXPECT_THAT(f[0].summary, HasSubstr("NXDOMAIN for nxdomain.netcorr.test (A, id 0x000a)"));
  EXPECT_THAT(f[0].hint, HasSubstr("does not exist on the DNS server " + ns.ToString()));
  EXPECT_THAT(f[0].hint, HasSubstr("search domains"));
}

TEST_P(DnsLookupTest, TwoNamesThatDoNotExistAreTwoCauses) {
  GlibcLookup(10, kT0, 5, 41000, "one.netcorr.test", 3);
  GlibcLookup(20, kT0 + 10 * kMs, 6, 41001, "two.netcorr.test", 3);
  std::vector<Finding> f = All();
  ASSERT_THAT(f, SizeIs(2));
  EXPECT_EQ(f[0].dns->name, "one.netcorr.test");
  EXPECT_EQ(f[1].dns->name, "two.netcorr.test");
}

TEST_P(DnsLookupTest, RefusedIsOneCauseWhateverTheName) {
  GlibcLookup(10, kT0, 5, 41000, "refused.netcorr.test", 5);
  GlibcLookup(20, kT0 + 10 * kMs, 6, 41001, "refused.netcorr.test.netcorr.test", 5);
  GlibcLookup(30, kT0 + 20 * kMs, 7, 41002, "www.elsewhere.test", 5);
  std::vector<Finding> f = All();
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_EQ(f[0].dns->rcode_name, "REFUSED");
  EXPECT_THAT(f[0].hint, HasSubstr("refuses to answer this client"));
  EXPECT_THAT(f[0].hint, HasSubstr("recursion"));
}

TEST_P(DnsLookupTest, TruncatedAnswerThenRefusedTcpRetryIsOneDnsError) {
  TruncatedAnswer();
  corr.AddSyscall(OnUdp(13, "close", 5, w.Client(41000), kT0 + 3 * kMs, kT0 + 3 * kMs + 100));
  // RFC 1035 4.2.1: ask again over TCP; nothing listens on TCP port 53.
  RefusedTcpRetry(14);
  std::vector<Finding> f = All();
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_EQ(f[0].kind, FindingKind::kDnsError);
  EXPECT_EQ(f[0].call.id, 14u);
  EXPECT_TRUE(f[0].dns->truncated);
  EXPECT_EQ(f[0].dns->tcp_retry, "refused");
  EXPECT_EQ(f[0].dns->name, "big.netcorr.test");
  EXPECT_THAT(f[0].evidence, ElementsAre(1, 2, 3, 4));
  EXPECT_THAT(f[0].summary, HasSubstr("was truncated (TC), and the retry over TCP was refused"));
  EXPECT_THAT(f[0].hint, HasSubstr("TCP port 53"));
}

TEST_P(DnsLookupTest, TruncatedAnswerThenTcpRetryTimingOutFoldsLaterRetries) {
  TruncatedAnswer();
  // Two TCP retries, each SYN unanswered.
  for (uint64_t i = 0; i < 2; ++i) {
    const Endpoint tcp_local = w.Client(static_cast<uint16_t>(41500 + i));
    const TimeNs t = kT0 + 3 * kMs + i * kSec;
    corr.AddPacket(TcpPacket(3 + 2 * i, t, tcp_local, ns, kTcpSyn, 100));
    corr.AddPacket(TcpPacket(4 + 2 * i, t + kSec / 2, tcp_local, ns, kTcpSyn, 100));
    corr.AddSyscall(
        Connect(14 + i, t, t + kSec - kMs, ETIMEDOUT, tcp_local, ns, static_cast<int>(6 + i)));
  }
  std::vector<Finding> f = All();
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_EQ(f[0].kind, FindingKind::kDnsError);
  EXPECT_EQ(f[0].call.id, 14u);
  EXPECT_EQ(f[0].dns->tcp_retry, "timed_out");
  EXPECT_THAT(f[0].summary, HasSubstr("got no SYN-ACK"));
}

// glibc tries the next search domain over TCP too; that connect's packets may be missing from
// the capture (unexplained on its own): it folds into the chain already told, never alone.
TEST_P(DnsLookupTest, UnexplainedTcpRetryFoldsOnlyIntoAChainAlreadyTold) {
  TruncatedAnswer();
  RefusedTcpRetry(14);
  corr.AddSyscall(Connect(15, kT0 + 7 * kMs, kT0 + 7 * kMs + 1000, ECONNREFUSED, w.Client(41501),
                          ns, 7));  // nothing of it captured
  std::vector<Finding> f = All();
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_EQ(f[0].kind, FindingKind::kDnsError);
  EXPECT_EQ(f[0].call.id, 14u);
}

TEST_P(DnsLookupTest, UnexplainedTcpRetryAloneStaysUnexplained) {
  TruncatedAnswer();
  corr.AddSyscall(
      Connect(15, kT0 + 7 * kMs, kT0 + 7 * kMs + 1000, ECONNREFUSED, w.Client(41501), ns, 7));
  std::vector<Finding> f = All();
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_EQ(f[0].kind, FindingKind::kUnexplained);
}

TEST_P(DnsLookupTest, RefusedTcpConnectWithoutTruncationStaysRefusedByRst) {
  RefusedTcpRetry(14);
  std::vector<Finding> f = All();
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_EQ(f[0].kind, FindingKind::kRefusedByRst);
}

// glibc: A and AAAA sent together; A answered at once, AAAA never; poll times out after 1 s,
// AAAA asked again, another second, then the lookup returns the A answer.
TEST_P(DnsLookupTest, UnansweredAaaaBesideAnsweredAIsSlowAndSaysWhatWasLost) {
  const Endpoint local = Socket(5, 41000, 10, kT0);
  corr.AddSyscall(OnUdp(11, "sendmmsg", 5, local, kT0 + kMs, kT0 + kMs + 1000, 0, 2));
  corr.AddPacket(DnsPacket(1, kT0 + kMs, local, ns, 0x0a0a, false, "no-aaaa.netcorr.test", 0, kA));
  corr.AddPacket(
      DnsPacket(2, kT0 + kMs, local, ns, 0x0b0b, false, "no-aaaa.netcorr.test", 0, kAaaa));
  corr.AddPacket(
      DnsPacket(3, kT0 + 2 * kMs, ns, local, 0x0a0a, true, "no-aaaa.netcorr.test", 0, kA));
  corr.AddSyscall(OnUdp(12, "recvfrom", 5, local, kT0 + 2 * kMs, kT0 + 2 * kMs + 1000, 0, 60));
  corr.AddSyscall(Poll(13, 5, local, kT0 + 3 * kMs, kT0 + 3 * kMs + kSec));
  corr.AddSyscall(OnUdp(14, "send", 5, local, kT0 + 4 * kMs + kSec, kT0 + 4 * kMs + kSec, 0, 40));
  corr.AddPacket(DnsPacket(4, kT0 + 4 * kMs + kSec, local, ns, 0x0b0b, false,
                           "no-aaaa.netcorr.test", 0, kAaaa));
  corr.AddSyscall(Poll(15, 5, local, kT0 + 5 * kMs + kSec, kT0 + 5 * kMs + 2 * kSec));
  const TimeNs closed = kT0 + 6 * kMs + 2 * kSec;
  corr.AddSyscall(OnUdp(16, "close", 5, local, closed, closed + 100));
  std::vector<Finding> f = All();
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_EQ(f[0].kind, FindingKind::kNoResponse);
  EXPECT_EQ(f[0].severity, FindingSeverity::kSlow);
  ASSERT_TRUE(f[0].dns.has_value());
  EXPECT_EQ(f[0].dns->qtype, "AAAA");
  EXPECT_EQ(f[0].dns->name, "no-aaaa.netcorr.test");
  EXPECT_EQ(f[0].dns->queries_sent, 2u);
  EXPECT_EQ(f[0].dns->lost_ns, closed - (kT0 + 2 * kMs));
  EXPECT_THAT(f[0].summary, HasSubstr("the AAAA query for no-aaaa.netcorr.test"));
  EXPECT_THAT(f[0].summary, HasSubstr("lost 2.00 s"));
  EXPECT_THAT(f[0].evidence, ElementsAre(1, 2, 3, 4));
}

TEST_P(DnsLookupTest, NeitherQueryAnsweredIsAFailureAtTheFirstTimeout) {
  const Endpoint local = Socket(5, 41000, 10, kT0);
  corr.AddPacket(DnsPacket(1, kT0 + kMs, local, ns, 0x0a0a, false, "gone.netcorr.test", 0, kA));
  corr.AddPacket(DnsPacket(2, kT0 + kMs, local, ns, 0x0b0b, false, "gone.netcorr.test", 0, kAaaa));
  corr.AddSyscall(Poll(13, 5, local, kT0 + 2 * kMs, kT0 + 2 * kMs + kSec));
  corr.AddSyscall(OnUdp(16, "close", 5, local, kT0 + 2 * kSec, kT0 + 2 * kSec + 100));
  std::vector<Finding> f = All();
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_EQ(f[0].kind, FindingKind::kNoResponse);
  EXPECT_EQ(f[0].severity, FindingSeverity::kFailure);
  EXPECT_EQ(f[0].call.id, 13u);
}

// The program waited where the log cannot show it (an epoll set registered before tracing
// began): the close is where it gave up.
TEST_P(DnsLookupTest, ClosedWithTheQueryUnansweredIsNoResponseAtTheClose) {
  const Endpoint local = Socket(5, 41000, 10, kT0);
  corr.AddSyscall(OnUdp(11, "send", 5, local, kT0 + kMs, kT0 + kMs + 1000, 0, 40));
  corr.AddPacket(DnsPacket(1, kT0 + kMs, local, ns, 0x0c0c, false, "quiet.netcorr.test", 0, kA));
  SyscallEvent epoll = Call(12, "epoll_wait", 9, kT0 + 2 * kMs, kT0 + 2 * kMs + kSec, 0, 0);
  corr.AddSyscall(epoll);
  corr.AddSyscall(OnUdp(13, "close", 5, local, kT0 + 3 * kMs + kSec, kT0 + 3 * kMs + kSec));
  std::vector<Finding> f = All();
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_EQ(f[0].kind, FindingKind::kNoResponse);
  EXPECT_EQ(f[0].severity, FindingSeverity::kFailure);
  EXPECT_EQ(f[0].call.id, 13u);
  EXPECT_THAT(f[0].summary, HasSubstr("DNS query for quiet.netcorr.test"));
  EXPECT_THAT(f[0].summary, HasSubstr("closed the socket"));
}

TEST_P(DnsLookupTest, ExitWithTheQueryUnansweredIsNoResponseOnTheLastCall) {
  const Endpoint local = Socket(5, 41000, 10, kT0);
  corr.AddSyscall(OnUdp(11, "send", 5, local, kT0 + kMs, kT0 + kMs + 1000, 0, 40));
  corr.AddPacket(DnsPacket(1, kT0 + kMs, local, ns, 0x0c0c, false, "quiet.netcorr.test", 0, kA));
  Exit(kT0 + 2 * kSec);
  std::vector<Finding> f = All();
  ASSERT_THAT(f, SizeIs(1));
  EXPECT_EQ(f[0].kind, FindingKind::kNoResponse);
  EXPECT_EQ(f[0].severity, FindingSeverity::kFailure);
  EXPECT_EQ(f[0].call.id, 11u);
  EXPECT_THAT(f[0].summary, HasSubstr("the program exited"));
}

TEST_P(DnsLookupTest, ExitAfterEveryAnswerIsNothing) {
  GlibcLookup(10, kT0, 5, 41000, "www.netcorr.test", 0);
  const Endpoint local = Socket(6, 41001, 20, kT0 + 10 * kMs);
  corr.AddSyscall(OnUdp(21, "send", 6, local, kT0 + 11 * kMs, kT0 + 11 * kMs, 0, 40));
  corr.AddPacket(DnsPacket(30, kT0 + 11 * kMs, local, ns, 0x0d0d, false, "www.netcorr.test"));
  corr.AddPacket(DnsPacket(31, kT0 + 12 * kMs, ns, local, 0x0d0d, true, "www.netcorr.test"));
  Exit(kT0 + kSec);
  EXPECT_THAT(All(), IsEmpty());
}

TEST_P(DnsLookupTest, FireAndForgetDatagramIsNeverUnanswered) {
  const Endpoint syslog = w.Server(514);
  SyscallEvent send = Call(11, "sendto", 5, kT0, kT0 + 1000, 0, 80);
  send.socket = UdpSocket(3005, c, std::nullopt);
  send.address = syslog;
  corr.AddSyscall(send);
  corr.AddPacket(UdpPacket(1, kT0 + 500, c, syslog, 80));
  SyscallEvent close = Call(12, "close", 5, kT0 + kSec, kT0 + kSec);
  close.socket = UdpSocket(3005, c, std::nullopt);
  corr.AddSyscall(close);
  EXPECT_THAT(All(), IsEmpty());
}

INSTANTIATE_TEST_SUITE_P(V4AndV6, DnsLookupTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "IPv6" : "IPv4"; });

// Without a capture: each failing or hanging call, from the syscalls alone.
TEST_P(CorrelatorTest, WithoutCaptureEveryFailingOrHangingCallIsToldFromTheSyscalls) {
  CaptureStats stats;
  stats.available = false;
  stats.unavailable_reason = "no capture was given";
  corr.SetCaptureStats(stats);
  corr.AddSyscall(Connect(10, kT0, kT0 + kMs, ECONNREFUSED, c, s));
  corr.AddSyscall(Connect(11, kT0, kT0 + kMs, 0, w.Client(40001), s, 4));  // fine
  const Endpoint ns = w.Server(53);
  SyscallEvent timeout = Call(12, "recvfrom", 5, kT0 + kMs, kT0 + kSec, EAGAIN);
  timeout.socket = UdpSocket(2005, c, ns);
  corr.AddSyscall(timeout);
  SyscallEvent again = Call(13, "recvfrom", 7, kT0 + kMs, kT0 + kMs, EAGAIN);
  again.socket = UdpSocket(2007, c, ns);
  again.nonblocking = true;  // nothing there yet: normal
  corr.AddSyscall(again);
  SyscallEvent blocked = Call(14, "recvfrom", 6, kT0 + kMs, kT0 + 3 * kSec);
  blocked.socket = UdpSocket(2006, c, ns);
  blocked.finished = false;
  corr.AddSyscall(blocked);
  std::vector<Finding> f = All();
  ASSERT_THAT(f, SizeIs(3));
  for (const Finding& x : f) {
    EXPECT_EQ(x.kind, FindingKind::kUnexplained);
    EXPECT_EQ(x.basis, EvidenceBasis::kSyscallsOnly);
    EXPECT_THAT(x.unexplained_reason, HasSubstr("no capture was given"));
    EXPECT_THAT(x.summary, HasSubstr("no packet evidence"));
    EXPECT_TRUE(x.evidence.empty());
  }
  EXPECT_EQ(f[0].call.id, 10u);
  EXPECT_THAT(f[0].summary, HasSubstr("ECONNREFUSED"));
  EXPECT_EQ(f[1].call.id, 12u);
  EXPECT_THAT(f[1].summary, HasSubstr("timed out"));
  EXPECT_EQ(f[2].call.id, 14u);
  EXPECT_THAT(f[2].summary, HasSubstr("still blocked"));
}

}  // namespace
}  // namespace netcorr::correlate
