// The one-line forms of packets and calls, and the terminal text helpers.

#include <cerrno>

#include "gtest/gtest.h"
#include "src/model/protocol_names.h"
#include "src/report/call_format.h"
#include "src/report/packet_format.h"
#include "src/report/terminal_text.h"
#include "src/report/testing/report_test_util.h"

namespace netcorr::report {
namespace {

using namespace testing;  // NOLINT: the test builders

const Endpoint kLocalEp = Ep("10.71.1.2", 40000);
const Endpoint kThem = Ep("10.71.2.2", 81);

TEST(FormatPacketTest, TcpLikeTcpdump) {
  EXPECT_EQ(FormatPacket(Tcp(1, kT0, kLocalEp, kThem, kTcpSyn, 123)),
            "10.71.1.2.40000 > 10.71.2.2.81: Flags [S], seq 123, win 64240, options [mss 1460], "
            "length 0");
  EXPECT_EQ(FormatPacket(Tcp(2, kT0, kThem, kLocalEp, kTcpRst | kTcpAck, 0, 124)),
            "10.71.2.2.81 > 10.71.1.2.40000: Flags [R.], seq 0, ack 124, win 64240, length 0");
  EXPECT_EQ(FormatPacket(Tcp(3, kT0, kLocalEp, kThem, kTcpPsh | kTcpAck, 1, 1, 100)),
            "10.71.1.2.40000 > 10.71.2.2.81: Flags [P.], seq 1:101, ack 1, win 64240, length 100");
  EXPECT_EQ(FormatPacket(
                Tcp(4, kT0, Ep("fd71:1::2", 40000), Ep("fd71:2::2", 443), kTcpSyn | kTcpAck, 5, 6)),
            "fd71:1::2.40000 > fd71:2::2.443: Flags [S.], seq 5, ack 6, win 64240, options [mss "
            "1460], length 0");
}

TEST(FormatPacketTest, AddressResolutionLikeTcpdump) {
  Packet arp;
  arp.wire_len = 44;  // a cooked-capture header in front: tcpdump still says 28
  NeighbourMessage m;
  m.is_reply = true;
  m.sender_ip = *IpAddress::Parse("10.71.1.1");
  m.sender_mac = MacAddress{0x02, 0, 0x0a, 0x47, 0x01, 0x01};
  m.target_ip = *IpAddress::Parse("10.71.1.2");
  arp.neighbour = m;
  EXPECT_EQ(FormatPacket(arp), "ARP, Reply 10.71.1.1 is-at 02:00:0a:47:01:01, length 28");

  Packet ns;
  ns.ip = IpAddress::Family::kV6;
  ns.transport = Transport::kIcmpV6;
  ns.src = Endpoint{*IpAddress::Parse("fd71:1::2"), 0};
  ns.dst = Endpoint{*IpAddress::Parse("ff02::1:ff00:99"), 0};
  NeighbourMessage s;
  s.v6 = true;
  s.sender_ip = ns.src.addr;
  s.target_ip = *IpAddress::Parse("fd71:1::99");
  ns.neighbour = s;
  EXPECT_EQ(FormatPacket(ns),
            "fd71:1::2 > ff02::1:ff00:99: ICMP6, neighbor solicitation, who has fd71:1::99");
}

TEST(FormatPacketTest, TcpOptionsShowMssAndWindowScale) {
  Packet syn = Tcp(1, kT0, kLocalEp, kThem, kTcpSyn, 123);
  syn.tcp->window_scale = 10;
  syn.tcp->ts_val = 3144649947;
  syn.tcp->ts_ecr = 0;
  EXPECT_EQ(FormatPacket(syn),
            "10.71.1.2.40000 > 10.71.2.2.81: Flags [S], seq 123, win 64240, options [mss "
            "1460,wscale 10], length 0");
}

TEST(FormatPacketTest, TcpFlagLettersFollowTcpdump) {
  EXPECT_EQ(TcpFlagLetters(kTcpFin | kTcpAck), "F.");
  EXPECT_EQ(TcpFlagLetters(kTcpSyn | kTcpEce | kTcpCwr), "SEW");
  EXPECT_EQ(TcpFlagLetters(0), "none");
}

TEST(FormatPacketTest, IcmpErrorsNameTheCodeAndTheQuotedFlow) {
  const FlowKey flow = TcpFlow("10.71.1.2", 40000, "10.71.2.2", 80);
  EXPECT_EQ(FormatPacket(Icmp(1, kT0, "10.71.1.1", "10.71.1.2", 3, 13, flow)),
            "10.71.1.1 > 10.71.1.2: ICMP unreachable admin-prohibited, about TCP "
            "10.71.1.2:40000 -> 10.71.2.2:80");
  EXPECT_EQ(FormatPacket(Icmp(2, kT0, "10.71.2.2", "10.71.1.2", 3, 3, flow)),
            "10.71.2.2 > 10.71.1.2: ICMP port-unreachable, about TCP 10.71.1.2:40000 -> "
            "10.71.2.2:80");
  Packet frag = Icmp(3, kT0, "10.71.1.1", "10.71.1.2", 3, 4, flow);
  frag.icmp_error->next_hop_mtu = 1400;
  EXPECT_EQ(FormatPacket(frag),
            "10.71.1.1 > 10.71.1.2: ICMP frag-needed (mtu 1400), about TCP 10.71.1.2:40000 -> "
            "10.71.2.2:80");
  const FlowKey flow6 = TcpFlow("fd71:1::2", 40000, "fd71:2::2", 80);
  EXPECT_EQ(FormatPacket(Icmp(4, kT0, "fd71:1::1", "fd71:1::2", 1, 1, flow6, true)),
            "fd71:1::1 > fd71:1::2: ICMP6 unreachable admin-prohibited, about TCP "
            "[fd71:1::2]:40000 -> [fd71:2::2]:80");
}

TEST(FormatPacketTest, DnsQueriesAndResponses) {
  const Endpoint dns = Ep("10.71.2.2", 53);
  EXPECT_EQ(FormatPacket(Dns(1, kT0, kLocalEp, dns, 0x1a2b, false, 0, "example.test")),
            "10.71.1.2.40000 > 10.71.2.2.53: DNS query id 0x1a2b A? example.test");
  EXPECT_EQ(FormatPacket(Dns(2, kT0, dns, kLocalEp, 0x1a2b, true, 2, "example.test")),
            "10.71.2.2.53 > 10.71.1.2.40000: DNS response id 0x1a2b SERVFAIL, A? example.test");
  Packet answered = Dns(3, kT0, dns, kLocalEp, 7, true, 0, "example.test");
  answered.dns->answer_count = 2;
  answered.dns->qtype = 28;
  EXPECT_EQ(FormatPacket(answered),
            "10.71.2.2.53 > 10.71.1.2.40000: DNS response id 0x0007 NOERROR, 2 answers, AAAA? "
            "example.test");
  EXPECT_EQ(DnsRcodeName(3), "NXDOMAIN");
  EXPECT_EQ(DnsRcodeName(5), "REFUSED");
  EXPECT_EQ(DnsRcodeName(23), "RCODE23");
  EXPECT_EQ(DnsTypeName(999), "TYPE999");
}

TEST(FormatPacketTest, TlsRecordsAfterTheTcpPart) {
  Packet alert = Tcp(1, kT0, kThem, kLocalEp, kTcpPsh | kTcpAck, 10, 20, 7);
  alert.tls = TlsRecordInfo{21, 0x0303, TlsAlert{2, 40}, std::nullopt};
  EXPECT_EQ(FormatPacket(alert),
            "10.71.2.2.81 > 10.71.1.2.40000: Flags [P.], seq 10:17, ack 20, win 64240, length 7: "
            "TLS alert fatal handshake_failure");
  Packet hello = Tcp(2, kT0, kLocalEp, kThem, kTcpPsh | kTcpAck, 1, 1, 200);
  hello.tls = TlsRecordInfo{22, 0x0301, std::nullopt, TlsClientHello{0x0303, "a.test", {}}};
  EXPECT_NE(FormatPacket(hello).find(": TLS ClientHello SNI a.test"), std::string::npos);
  EXPECT_EQ(TlsAlertName(112), "unrecognized_name");
  EXPECT_EQ(TlsAlertName(200), "alert_200");
  EXPECT_EQ(TlsAlertLevelName(1), "warning");
}

TEST(FormatPacketTest, UdpFragmentsAndNonIp) {
  EXPECT_EQ(FormatPacket(Udp(1, kT0, kLocalEp, kThem, 12)),
            "10.71.1.2.40000 > 10.71.2.2.81: UDP, length 12");
  Packet frag = Udp(2, kT0, kLocalEp, kThem, 1000);
  frag.is_fragment = true;
  EXPECT_EQ(FormatPacket(frag), "10.71.1.2 > 10.71.2.2: IP fragment, length 1000");
  Packet arp;
  arp.id = 3;
  arp.wire_len = 42;
  arp.interface = "eth0";
  EXPECT_EQ(FormatPacket(arp), "non-IP frame on eth0, length 42");
}

TEST(FormatCallTest, FailedSuccessfulAndBlockedCalls) {
  SyscallEvent c = Call(1, "connect", 3, kT0, kT0 + 300 * kUs, ECONNREFUSED);
  c.args = "10.71.2.2:81";
  EXPECT_EQ(FormatCall(c), "[4242] connect(3, 10.71.2.2:81) = -1 ECONNREFUSED (300.0 us)");
  c.exit_ns = kT0 + 300 * kMs + 10;
  EXPECT_EQ(FormatCall(c), "[4242] connect(3, 10.71.2.2:81) = -1 ECONNREFUSED (300.0 ms)");

  SyscallEvent s = Call(2, "sendto", 5, kT0, kT0 + 850, 0, 12);
  s.tid = 4243;
  s.address = Ep("10.71.2.2", 53);
  EXPECT_EQ(FormatCall(s), "[4242/4243] sendto(5, 10.71.2.2:53) = 12 (850 ns)");

  SyscallEvent b = Call(3, "connect", 4, kT0, kT0 + 21'300 * kMs);
  b.args = "10.71.2.2:80";
  b.finished = false;
  EXPECT_EQ(FormatCall(b), "[4242] connect(4, 10.71.2.2:80) ... still blocked after 21.3 s");
  EXPECT_EQ(FormatCallResultShort(b), "still blocked");

  SyscallEvent g = Call(4, "getsockopt", 3, kT0, kT0 + 5 * kUs, 0, 0);
  g.args = "SOL_SOCKET, SO_ERROR, [111], [4]";
  g.resolves_call = 1;
  g.resolved_error = ECONNREFUSED;
  EXPECT_EQ(FormatCall(g),
            "[4242] getsockopt(3, SOL_SOCKET, SO_ERROR, [111], [4]) = 0 (5.0 us) [connect "
            "outcome: ECONNREFUSED]");

  SyscallEvent sock = Call(5, "socket", -1, kT0, kT0 + 1 * kUs, 0, 3);
  sock.args = "AF_INET, SOCK_STREAM, IPPROTO_TCP";
  EXPECT_EQ(FormatCallHead(sock), "[4242] socket(AF_INET, SOCK_STREAM, IPPROTO_TCP)");
}

TEST(FormatCallTest, CompactsInetSockaddrsAndFdDecorations) {
  SyscallEvent c = Call(1, "connect", 3, kT0, kT0 + 1 * kMs, ECONNREFUSED);
  c.args = "{sa_family=AF_INET, sin_port=htons(7001), sin_addr=inet_addr(\"10.71.2.2\")}, 16";
  c.address = Ep("10.71.2.2", 7001);
  EXPECT_EQ(FormatCallHead(c), "[4242] connect(3, 10.71.2.2:7001)");

  SyscallEvent s = Call(2, "sendto", 3, kT0, kT0 + 1 * kUs, 0, 36);
  s.args =
      "\"a}b\", 36, MSG_NOSIGNAL, {sa_family=AF_INET6, sin6_port=htons(53), "
      "sin6_flowinfo=htonl(0), inet_pton(AF_INET6, \"fd71:2::2\", &sin6_addr), "
      "sin6_scope_id=0}, 28";
  s.address = Ep("fd71:2::2", 53);
  EXPECT_EQ(FormatCallHead(s), "[4242] sendto(3, \"a}b\", 36, MSG_NOSIGNAL, [fd71:2::2]:53)");

  SyscallEvent p = Call(3, "poll", -1, kT0, kT0 + 1 * kSec, 0, 0);
  p.args = "[{fd=3<TCP:[10.71.1.2:46682->10.71.2.2:7002]>, events=POLLOUT}], 1, 1500";
  EXPECT_EQ(FormatCallHead(p), "[4242] poll([{fd=3, events=POLLOUT}], 1, 1500)");

  // Without a decoded address the text stays as the tracer wrote it; so does a "<" that is
  // not an fd decoration.
  SyscallEvent u = Call(4, "connect", 3, kT0, kT0 + 1 * kMs, ENOENT);
  u.args = "{sa_family=AF_UNIX, sun_path=\"/run/x<1>\"}, 110";
  EXPECT_EQ(FormatCallHead(u),
            "[4242] connect(3, {sa_family=AF_UNIX, sun_path=\"/run/x<1>\"}, 110)");
}

TEST(FormatCallTest, HumanDurations) {
  EXPECT_EQ(FormatHumanDuration(-5), "0 ns");
  EXPECT_EQ(FormatHumanDuration(999), "999 ns");
  EXPECT_EQ(FormatHumanDuration(12'500), "12.5 us");
  EXPECT_EQ(FormatHumanDuration(300'000), "300.0 us");
  EXPECT_EQ(FormatHumanDuration(1'250'000), "1.2 ms");
  EXPECT_EQ(FormatHumanDuration(21'300'000'000), "21.3 s");
}

TEST(TerminalTextTest, EscapesEverythingThatIsNotPrintableAscii) {
  EXPECT_EQ(EscapeForTerminal("ok text"), "ok text");
  EXPECT_EQ(EscapeForTerminal("a\nb\tc\rd"), "a\\nb\\tc\\rd");
  EXPECT_EQ(EscapeForTerminal("\x1b[31mred"), "\\x1b[31mred");
  EXPECT_EQ(EscapeForTerminal("caf\xc3\xa9"), "caf\\xc3\\xa9");
}

TEST(TerminalTextTest, SpellsTypographicPunctuationInAscii) {
  EXPECT_EQ(AsciiPunctuation("a \u2014 b\u2026 \u201cc\u201d it\u2019s x\u2192y"),
            "a -- b... \"c\" it's x->y");
  EXPECT_EQ(AsciiPunctuation("caf\xc3\xa9 \xff"), "caf\xc3\xa9 \xff");  // others untouched
}

TEST(TerminalTextTest, WrapsAtSpacesWithinTheWidthAndHardBreaksLongWords) {
  EXPECT_EQ(WrapText("", 10), std::vector<std::string>{""});
  EXPECT_EQ(WrapText("short", 10), std::vector<std::string>{"short"});
  EXPECT_EQ(WrapText("one two three four", 9),
            (std::vector<std::string>{"one two", "three", "four"}));
  EXPECT_EQ(WrapText("one two three four", 9, 2),
            (std::vector<std::string>{"one two", "  three", "  four"}));
  EXPECT_EQ(WrapText("abcdefghijkl", 5), (std::vector<std::string>{"abcde", "fghij", "kl"}));
  for (size_t width : {5u, 7u, 13u}) {
    for (const std::string& line :
         WrapText("a bb ccc dddd eeeee ffffff ggggggg hhhhhhhhhhhhhhhhh i", width, 2)) {
      EXPECT_LE(line.size(), width) << line;
    }
  }
}

}  // namespace
}  // namespace netcorr::report
