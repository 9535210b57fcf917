#include "tracer/event_format.h"

#include <sys/socket.h>

#include <cerrno>

#include "gtest/gtest.h"
#include "tracer/run_as.h"
#include "tracer/socket_resolver.h"

namespace netcorr::tracer {
namespace {

constexpr TimeNs kNoon = 1'700'000'000'000'000'000 -
                         (1'700'000'000'000'000'000 % 86'400'000'000'000) + 12 * 3'600'000'000'000;

SyscallEvent RefusedConnect() {
  SyscallEvent e;
  e.pid = e.tid = 4242;
  e.name = "connect";
  e.entry_ns = kNoon + 123'456'789;
  e.exit_ns = e.entry_ns + 61'000;
  e.fd = 3;
  SocketIdentity s;
  s.inode = 99;
  s.family = AF_INET;
  s.transport = Transport::kTcp;
  s.local = Endpoint{*IpAddress::Parse("10.0.0.1"), 40000};
  s.remote = Endpoint{*IpAddress::Parse("10.0.0.2"), 80};
  e.socket = s;
  e.args = "{sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr(\"10.0.0.2\")}, 16";
  e.error = ECONNREFUSED;
  return e;
}

TEST(EventFormatTest, FailedCallLikeStrace) {
  EXPECT_EQ(FormatEventLine(RefusedConnect()),
            "12:00:00.123456789 [4242] connect(3<TCP:[10.0.0.1:40000->10.0.0.2:80]>, "
            "{sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr(\"10.0.0.2\")}, 16) = -1 "
            "ECONNREFUSED (Connection refused) <0.000061>");
}

TEST(EventFormatTest, UnfinishedAndResolving) {
  SyscallEvent e = RefusedConnect();
  e.finished = false;
  e.error = 0;
  EXPECT_NE(FormatEventLine(e).find(" <unfinished ...> <0.000061>"), std::string::npos);
  SyscallEvent g = RefusedConnect();
  g.name = "getsockopt";
  g.error = 0;
  g.resolves_call = 7;
  g.resolved_error = ECONNREFUSED;
  EXPECT_NE(FormatEventLine(g).find("= 0 <0.000061> [resolves connect #7: ECONNREFUSED]"),
            std::string::npos);
}

TEST(EventFormatTest, NewSocketShownOnTheResult) {
  SyscallEvent e = RefusedConnect();
  e.name = "socket";
  e.fd = -1;
  e.error = 0;
  e.result = 3;
  e.args = "AF_INET, SOCK_STREAM, 0";
  EXPECT_NE(FormatEventLine(e).find("socket(AF_INET, SOCK_STREAM, 0) = 3<TCP:"), std::string::npos);
}

TEST(EventFormatTest, ProcessLines) {
  ProcessEvent p{ProcessEvent::Kind::kKilled, 7, kNoon, 9, "", 0, {}};
  EXPECT_EQ(FormatProcessLine(p), "12:00:00.000000000 [7] +++ killed by signal 9 +++");
  p.kind = ProcessEvent::Kind::kExited;
  p.status = 0;
  EXPECT_EQ(FormatProcessLine(p), "12:00:00.000000000 [7] +++ exited with 0 +++");
}

TEST(SocketLinkTest, ParsesOnlySocketLinks) {
  EXPECT_EQ(ParseSocketLink("socket:[12345]"), 12345u);
  EXPECT_EQ(ParseSocketLink("socket:[]"), 0u);
  EXPECT_EQ(ParseSocketLink("socket:[12"), 0u);
  EXPECT_EQ(ParseSocketLink("pipe:[12]"), 0u);
  EXPECT_EQ(ParseSocketLink("/etc/passwd"), 0u);
}

TEST(RunAsTest, SudoRunsAsTheInvokingUser) {
  absl::StatusOr<RunAs> r = ResolveRunAsFrom(std::nullopt, 0, "65534", "65534", std::nullopt);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->uid, 65534u);
  EXPECT_EQ(r->gid, 65534u);
}

TEST(RunAsTest, PlainRootAndNonRootUnchanged) {
  absl::StatusOr<RunAs> r =
      ResolveRunAsFrom(std::nullopt, 0, std::nullopt, std::nullopt, std::nullopt);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->uid);
  r = ResolveRunAsFrom(std::nullopt, 1000, "1000", "1000", "someone");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->uid) << "not root: nothing to drop";
  r = ResolveRunAsFrom(std::nullopt, 0, "0", "0", "root");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->uid) << "root ran sudo: root is intended";
}

TEST(RunAsTest, ExplicitUser) {
  absl::StatusOr<RunAs> r = ResolveRunAsFrom(std::string("root"), 0, "1000", "1000", "x");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->uid, 0u) << "-u overrides SUDO_UID";
  EXPECT_FALSE(ResolveRunAsFrom(std::string("no-such-user-netcorr"), 0, {}, {}, {}).ok());
  EXPECT_FALSE(ResolveRunAsFrom(std::string("root"), 1000, {}, {}, {}).ok())
      << "only root can switch users";
  EXPECT_FALSE(ResolveRunAsFrom(std::nullopt, 0, "abc", "1", {}).ok());
}

}  // namespace
}  // namespace netcorr::tracer
