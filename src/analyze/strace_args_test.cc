#include "src/analyze/strace_args.h"

#include <sys/socket.h>

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace netcorr::analyze {
namespace {

Endpoint Ep(const char* addr, uint16_t port) { return Endpoint{*IpAddress::Parse(addr), port}; }

TEST(SplitArgsTest, RespectsStringsBracketsAndDecorations) {
  std::vector<std::string_view> a;
  SplitArgs(
      "3<TCP:[1.2.3.4:5->6.7.8.9:10]>, \"a, b\\\", c\"..., {x=1, y=[2, 3]}, "
      "0</dev/null<char 1:3>>, 0x2 /* AF_INET, really */",
      a);
  ASSERT_EQ(a.size(), 5u);
  EXPECT_EQ(a[0], "3<TCP:[1.2.3.4:5->6.7.8.9:10]>");
  EXPECT_EQ(a[1], "\"a, b\\\", c\"...");
  EXPECT_EQ(a[2], "{x=1, y=[2, 3]}");
  EXPECT_EQ(a[3], "0</dev/null<char 1:3>>");
  EXPECT_EQ(a[4], "0x2 /* AF_INET, really */");
  SplitArgs("", a);
  EXPECT_TRUE(a.empty());
  SplitArgs("a, b, c", a, 2);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[1], "b, c");
}

TEST(FdArgTest, NumbersAndDecorations) {
  FdArg a = ParseFdArg("3<TCP:[10.0.0.1:40000->10.0.0.2:80]>");
  EXPECT_TRUE(a.valid);
  EXPECT_EQ(a.fd, 3);
  EXPECT_EQ(a.decoration, "TCP:[10.0.0.1:40000->10.0.0.2:80]");
  a = ParseFdArg("12");
  EXPECT_TRUE(a.valid);
  EXPECT_EQ(a.fd, 12);
  EXPECT_TRUE(a.decoration.empty());
  a = ParseFdArg("-100</tmp>");
  EXPECT_TRUE(a.valid);
  EXPECT_EQ(a.fd, -100);
  EXPECT_FALSE(ParseFdArg("AT_FDCWD").valid);
  EXPECT_FALSE(ParseFdArg("3<oops").valid);
  EXPECT_FALSE(ParseFdArg("99999999999").valid);
}

TEST(FdDecorationTest, InetForms) {
  FdDecoration d = ParseFdDecoration("TCP:[10.0.0.1:40000->10.0.0.2:80]");
  EXPECT_EQ(d.kind, FdKind::kSocket);
  EXPECT_TRUE(d.protocol_decoded);
  EXPECT_EQ(d.identity.family, AF_INET);
  EXPECT_EQ(d.identity.transport, Transport::kTcp);
  EXPECT_EQ(d.identity.local, Ep("10.0.0.1", 40000));
  EXPECT_EQ(d.identity.remote, Ep("10.0.0.2", 80));

  d = ParseFdDecoration("TCPv6:[[::1]:48272->[::1]:18081]");
  EXPECT_EQ(d.identity.family, AF_INET6);
  EXPECT_EQ(d.identity.local, Ep("::1", 48272));
  EXPECT_EQ(d.identity.remote, Ep("::1", 18081));

  // A dual-stack socket talking IPv4: the v4-mapped ends become IPv4, as on the wire.
  d = ParseFdDecoration("TCPv6:[[::ffff:127.0.0.1]:49362->[::ffff:127.0.0.1]:18082]");
  EXPECT_EQ(d.identity.family, AF_INET6);
  EXPECT_EQ(d.identity.local, Ep("127.0.0.1", 49362));
  EXPECT_TRUE(d.identity.remote->addr.is_v4());

  d = ParseFdDecoration("UDP:[0.0.0.0:36177]");
  EXPECT_EQ(d.identity.transport, Transport::kUdp);
  EXPECT_EQ(d.identity.local, Ep("0.0.0.0", 36177));
  EXPECT_FALSE(d.identity.remote);

  d = ParseFdDecoration("UDPv6:[26823]");
  EXPECT_EQ(d.identity.inode, 26823u);
  EXPECT_EQ(d.identity.family, AF_INET6);
  EXPECT_FALSE(d.identity.local);
}

TEST(FdDecorationTest, UnixNetlinkPlainAndOther) {
  FdDecoration d = ParseFdDecoration("UNIX-STREAM:[53941->54653,\"/tmp/sw/u.sock\"]");
  EXPECT_EQ(d.kind, FdKind::kSocket);
  EXPECT_EQ(d.identity.family, AF_UNIX);
  EXPECT_EQ(d.identity.type, SOCK_STREAM);
  EXPECT_EQ(d.identity.inode, 53941u);
  EXPECT_EQ(d.identity.unix_path, "/tmp/sw/u.sock");
  d = ParseFdDecoration("UNIX:[53945,@\"abstractname\"]");
  EXPECT_EQ(d.identity.unix_path, "@abstractname");
  d = ParseFdDecoration("UNIX:[123,/run/old.sock]");  // older strace: unquoted
  EXPECT_EQ(d.identity.unix_path, "/run/old.sock");
  d = ParseFdDecoration("NETLINK:[ROUTE:20636]");
  EXPECT_EQ(d.identity.family, AF_NETLINK);
  EXPECT_EQ(d.identity.inode, 0u);
  d = ParseFdDecoration("NETLINK:[54029]");
  EXPECT_EQ(d.identity.inode, 54029u);
  d = ParseFdDecoration("socket:[26092]");
  EXPECT_EQ(d.kind, FdKind::kSocket);
  EXPECT_FALSE(d.protocol_decoded);
  EXPECT_EQ(d.identity.inode, 26092u);
  EXPECT_EQ(ParseFdDecoration("/etc/passwd").kind, FdKind::kOther);
  EXPECT_EQ(ParseFdDecoration("pipe:[23994]").kind, FdKind::kOther);
  EXPECT_EQ(ParseFdDecoration("anon_inode:[eventpoll]").kind, FdKind::kOther);
  EXPECT_EQ(ParseFdDecoration("").kind, FdKind::kUnknown);
  // Malformed -yy text never crashes and never yields an endpoint.
  d = ParseFdDecoration("TCP:[1.2.3.4:99999->x]");
  EXPECT_FALSE(d.identity.local);
  EXPECT_FALSE(d.identity.remote);
}

TEST(SockaddrTest, AbbreviatedForms) {
  auto sa =
      ParseSockaddr("{sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr(\"10.0.0.2\")}");
  ASSERT_TRUE(sa);
  EXPECT_EQ(sa->family, AF_INET);
  EXPECT_EQ(sa->endpoint, Ep("10.0.0.2", 80));
  sa = ParseSockaddr(
      "{sa_family=AF_INET6, sin6_port=htons(80), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "
      "\"::1\", &sin6_addr), sin6_scope_id=0}");
  ASSERT_TRUE(sa);
  EXPECT_EQ(sa->endpoint, Ep("::1", 80));
  sa = ParseSockaddr(
      "{sa_family=AF_INET6, sin6_port=htons(18082), sin6_flowinfo=htonl(0), "
      "inet_pton(AF_INET6, \"::ffff:127.0.0.1\", &sin6_addr), sin6_scope_id=0}");
  ASSERT_TRUE(sa);
  EXPECT_EQ(sa->endpoint, Ep("127.0.0.1", 18082));
  sa = ParseSockaddr("{sa_family=AF_UNIX, sun_path=\"/run/x\"}");
  ASSERT_TRUE(sa);
  EXPECT_EQ(sa->family, AF_UNIX);
  EXPECT_EQ(sa->unix_path, "/run/x");
  EXPECT_FALSE(sa->endpoint);
  sa = ParseSockaddr("{sa_family=AF_UNIX, sun_path=@\"abstractname\"}");
  EXPECT_EQ(sa->unix_path, "@abstractname");
}

TEST(SockaddrTest, VerboseAndRawForms) {
  auto sa = ParseSockaddr(
      "{sa_family=0x2 /* AF_INET */, sin_port=\"\\x00\\x03\" /* htons(3) */, "
      "sin_addr=\"\\x7f\\x00\\x00\\x01\" /* inet_addr(\"127.0.0.1\") */}");
  ASSERT_TRUE(sa);
  EXPECT_EQ(sa->endpoint, Ep("127.0.0.1", 3));
  sa = ParseSockaddr("{sa_family=0x2, sin_port=\"\\x00\\x03\", sin_addr=\"\\x7f\\x00\\x00\\x01\"}");
  ASSERT_TRUE(sa);
  EXPECT_EQ(sa->endpoint, Ep("127.0.0.1", 3));
  sa = ParseSockaddr(
      "{sa_family=0xa, sin6_port=\"\\x00\\x04\", sin6_flowinfo=\"\\x00\\x00\\x00\\x00\", "
      "sin6_addr=\"\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00"
      "\\x01\", sin6_scope_id=0}");
  ASSERT_TRUE(sa);
  EXPECT_EQ(sa->endpoint, Ep("::1", 4));
  EXPECT_FALSE(ParseSockaddr("NULL"));
  EXPECT_FALSE(ParseSockaddr("0x7ffd5aefdbf0"));
  sa = ParseSockaddr("{sa_family=AF_INET, sin_port=htons(70000), sin_addr=inet_addr(\"1\")}");
  ASSERT_TRUE(sa);
  EXPECT_FALSE(sa->endpoint);                                   // no such port
  sa = ParseSockaddr("{sa_family=AF_INET, sin_port=htons(1)");  // truncated: no endpoint
  ASSERT_TRUE(sa);
  EXPECT_FALSE(sa->endpoint);
}

TEST(FlagsTest, SymbolicNumericAndVerbose) {
  EXPECT_TRUE(HasFlag("SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK", "SOCK_NONBLOCK", 0x800));
  EXPECT_FALSE(HasFlag("SOCK_STREAM|SOCK_CLOEXEC", "SOCK_NONBLOCK", 0x800));
  EXPECT_TRUE(HasFlag("O_RDWR|O_NONBLOCK", "O_NONBLOCK", 0x800));
  EXPECT_TRUE(HasFlag("0x1|0x800", "SOCK_NONBLOCK", 0x800));
  EXPECT_TRUE(HasFlag("0x802 /* O_RDWR|O_NONBLOCK */", "O_NONBLOCK", 0x800));
  EXPECT_TRUE(HasFlag("0x1 /* SOCK_STREAM */|0x800 /* SOCK_NONBLOCK */", "SOCK_NONBLOCK", 0x800));
  EXPECT_FALSE(HasFlag("0x80000", "SOCK_NONBLOCK", 0x800));
  EXPECT_EQ(ParseInteger("0x10"), 16);
  EXPECT_EQ(ParseInteger("-1"), -1);
  EXPECT_EQ(ParseInteger("010"), 8);
  EXPECT_FALSE(ParseInteger("12abc"));
  EXPECT_EQ(ParseAddressFamily("0xa /* AF_INET6 */"), AF_INET6);
  EXPECT_EQ(ParseAddressFamily("AF_UNIX"), AF_UNIX);
}

TEST(UnquoteTest, Escapes) {
  EXPECT_EQ(UnquoteString("\"a\\\"b\\\\c\\n\\x41\\101\\0z\"..."),
            std::string("a\"b\\c\nAA\0z", 10));
  EXPECT_EQ(UnquoteString("\"abc"), "abc");
  EXPECT_EQ(UnquoteString("\"\\x"), std::string(1, '\0'));
  EXPECT_EQ(UnquoteString("\"\\"), "\\");
}

TEST(FindFieldTest, TopLevelOnly) {
  EXPECT_EQ(FindField("{msg_name={sa_family=AF_INET, x=1}, msg_namelen=16}", "msg_namelen"), "16");
  EXPECT_EQ(FindField("{msg_name={x=1}, msg_namelen=16}", "x"), "");
  EXPECT_EQ(FindField("{fd=5<TCP:[1->2]>, events=POLLOUT}", "fd"), "5<TCP:[1->2]>");
  EXPECT_EQ(FindField("not braced", "fd"), "");
}

}  // namespace
}  // namespace netcorr::analyze
