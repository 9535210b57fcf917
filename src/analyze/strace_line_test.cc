#include "src/analyze/strace_line.h"

#include <cerrno>
#include <string>

#include "gtest/gtest.h"

namespace netcorr::analyze {
namespace {

TEST(StraceLineTest, CallWithPidEpochAndDuration) {
  // Real line, strace 6.1 -f -yy -ttt -T -o FILE.
  const StraceLine l = ParseStraceLine(
      "11519 1795839754.662029 connect(5<TCP:[24849]>, {sa_family=AF_INET, sin_port=htons(1), "
      "sin_addr=inet_addr(\"127.0.0.1\")}, 16) = -1 EINPROGRESS (Operation now in progress) "
      "<0.000565>");
  ASSERT_EQ(l.kind, StraceLineKind::kCall);
  EXPECT_TRUE(l.has_pid);
  EXPECT_EQ(l.pid, 11519);
  EXPECT_EQ(l.time_form, StraceTimeForm::kEpoch);
  EXPECT_EQ(l.time_ns, 1795839754662029000);
  EXPECT_EQ(l.time_digits, 6);
  EXPECT_EQ(l.name, "connect");
  EXPECT_EQ(l.args,
            "5<TCP:[24849]>, {sa_family=AF_INET, sin_port=htons(1), "
            "sin_addr=inet_addr(\"127.0.0.1\")}, 16");
  EXPECT_TRUE(l.has_result);
  EXPECT_EQ(l.result, -1);
  EXPECT_EQ(l.error, EINPROGRESS);
  EXPECT_EQ(l.error_name, "EINPROGRESS");
  EXPECT_EQ(l.result_comment, "Operation now in progress");
  EXPECT_TRUE(l.has_duration);
  EXPECT_EQ(l.duration_ns, 565000);
}

TEST(StraceLineTest, NanosecondEpochWithoutPid) {
  const StraceLine l = ParseStraceLine(
      "1795839800.180811031 getsockopt(5<TCP:[26072]>, SOL_SOCKET, SO_ERROR, [ECONNREFUSED], "
      "[4]) = 0 <0.000008>");
  ASSERT_EQ(l.kind, StraceLineKind::kCall);
  EXPECT_FALSE(l.has_pid);
  EXPECT_EQ(l.time_ns, 1795839800180811031);
  EXPECT_EQ(l.time_digits, 9);
  EXPECT_EQ(l.result, 0);
  EXPECT_EQ(l.error, 0);
}

TEST(StraceLineTest, TimeOfDayAndBracketPid) {
  const StraceLine a = ParseStraceLine(
      "12096 04:23:20.376899 <... connect resumed>) = -1 ECONNREFUSED (Connection refused) "
      "<0.000318>");
  ASSERT_EQ(a.kind, StraceLineKind::kResumed);
  EXPECT_EQ(a.time_form, StraceTimeForm::kTimeOfDay);
  EXPECT_EQ(a.time_ns, ((4 * 60 + 23) * 60 + 20) * 1'000'000'000LL + 376899000);
  EXPECT_EQ(a.name, "connect");
  EXPECT_EQ(a.args, "");
  EXPECT_EQ(a.error, ECONNREFUSED);

  const StraceLine b = ParseStraceLine(
      "[pid 12108] 1795839800.691811 socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_IP "
      "<unfinished ...>");
  ASSERT_EQ(b.kind, StraceLineKind::kUnfinished);
  EXPECT_EQ(b.pid, 12108);
  EXPECT_EQ(b.args, "AF_INET, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_IP");

  const StraceLine c = ParseStraceLine("[pid   42] 12:00:00 close(3) = 0");
  ASSERT_EQ(c.kind, StraceLineKind::kCall);
  EXPECT_EQ(c.pid, 42);
  EXPECT_EQ(c.time_ns, 12 * 3600 * 1'000'000'000LL);
  EXPECT_EQ(c.time_digits, 0);
}

TEST(StraceLineTest, NoPrefixAtAll) {
  const StraceLine l = ParseStraceLine(
      "socket(AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC, NETLINK_ROUTE) = 3<NETLINK:[54029]>");
  ASSERT_EQ(l.kind, StraceLineKind::kCall);
  EXPECT_FALSE(l.has_pid);
  EXPECT_EQ(l.time_form, StraceTimeForm::kNone);
  EXPECT_EQ(l.result, 3);
  EXPECT_EQ(l.result_decoration, "NETLINK:[54029]");
}

TEST(StraceLineTest, ResultDecorationWithArrowAndNestedAngles) {
  const StraceLine a = ParseStraceLine(
      "20628 1795839971.717698 accept4(3<UNIX-STREAM:[54649,\"/tmp/sw/u.sock\"]>, "
      "{sa_family=AF_UNIX}, [110 => 2], SOCK_CLOEXEC) = "
      "5<UNIX-STREAM:[53941->54653,\"/tmp/sw/u.sock\"]> <0.000005>");
  ASSERT_EQ(a.kind, StraceLineKind::kCall);
  EXPECT_EQ(a.result, 5);
  EXPECT_EQ(a.result_decoration, "UNIX-STREAM:[53941->54653,\"/tmp/sw/u.sock\"]");
  EXPECT_TRUE(a.has_duration);

  const StraceLine b = ParseStraceLine(
      "11662 1795839769.036890 dup2(4<pipe:[23994]>, 1</tmp/out/stdout>) = 1<pipe:[23994]> "
      "<0.000068>");
  EXPECT_EQ(b.result_decoration, "pipe:[23994]");
  const StraceLine c = ParseStraceLine("fcntl(0</dev/null<char 1:3>>, F_GETFD) = 0 <0.000003>");
  ASSERT_EQ(c.kind, StraceLineKind::kCall);
  EXPECT_EQ(c.args, "0</dev/null<char 1:3>>, F_GETFD");
}

TEST(StraceLineTest, StringsWithParenthesesQuotesAndTruncation) {
  const StraceLine l = ParseStraceLine(
      "11975 1795839782.392013 <... recvfrom resumed>\"hello \\\"world\\\") GET / \\\"x\\\") "
      "\\\\ \\nAAA\"..., 100, 0, NULL, NULL) = 100 <0.000038>");
  ASSERT_EQ(l.kind, StraceLineKind::kResumed);
  EXPECT_EQ(l.name, "recvfrom");
  EXPECT_EQ(l.args, "\"hello \\\"world\\\") GET / \\\"x\\\") \\\\ \\nAAA\"..., 100, 0, NULL, NULL");
  EXPECT_EQ(l.result, 100);
}

TEST(StraceLineTest, PollResultCommentAndTimeout) {
  const StraceLine a = ParseStraceLine(
      "11519 1795839754.662950 poll([{fd=5<TCP:[24849]>, events=POLLOUT}, "
      "{fd=3<UNIX-STREAM:[24844->24845]>, events=POLLIN}], 2, 186) = 1 ([{fd=5, "
      "revents=POLLOUT|POLLERR|POLLHUP}]) <0.000015>");
  ASSERT_EQ(a.kind, StraceLineKind::kCall);
  EXPECT_EQ(a.result, 1);
  EXPECT_EQ(a.result_comment, "[{fd=5, revents=POLLOUT|POLLERR|POLLHUP}]");
  const StraceLine b = ParseStraceLine(
      "11974 1795839782.401456 poll([{fd=3<UDP:[0.0.0.0:36177]>, events=POLLIN}], 1, 2000) = 0 "
      "(Timeout) <2.002562>");
  EXPECT_EQ(b.result, 0);
  EXPECT_EQ(b.result_comment, "Timeout");
  EXPECT_EQ(b.duration_ns, 2002562000);
}

TEST(StraceLineTest, UnknownResultAndRestartCodes) {
  const StraceLine a = ParseStraceLine("11662 1795839769.041601 exit_group(0)   = ?");
  ASSERT_EQ(a.kind, StraceLineKind::kCall);
  EXPECT_TRUE(a.has_result);
  EXPECT_TRUE(a.result_unknown);
  const StraceLine b = ParseStraceLine(
      "7893  1795840703.485838 connect(8<TCP:[782952]>, {sa_family=AF_INET, "
      "sin_port=htons(18090), sin_addr=inet_addr(\"127.0.0.1\")}, 16) = ? ERESTARTSYS (To be "
      "restarted if SA_RESTART is set) <2.239667>");
  EXPECT_TRUE(b.result_unknown);
  EXPECT_EQ(b.error, 512);
  EXPECT_EQ(b.error_name, "ERESTARTSYS");
}

TEST(StraceLineTest, ExitKillSignalAndAttachLines) {
  const StraceLine e = ParseStraceLine("11519 1795839754.666620 +++ exited with 7 +++");
  ASSERT_EQ(e.kind, StraceLineKind::kExited);
  EXPECT_EQ(e.status, 7);
  const StraceLine k = ParseStraceLine("11986 1795839784.811861 +++ killed by SIGPIPE +++");
  ASSERT_EQ(k.kind, StraceLineKind::kKilled);
  EXPECT_EQ(k.name, "SIGPIPE");
  EXPECT_FALSE(k.core_dumped);
  const StraceLine kc = ParseStraceLine("+++ killed by SIGSEGV (core dumped) +++");
  ASSERT_EQ(kc.kind, StraceLineKind::kKilled);
  EXPECT_TRUE(kc.core_dumped);
  const StraceLine s = ParseStraceLine(
      "11986 1795839784.811576 --- SIGPIPE {si_signo=SIGPIPE, si_code=SI_USER, si_pid=11986, "
      "si_uid=0} ---");
  ASSERT_EQ(s.kind, StraceLineKind::kSignal);
  EXPECT_EQ(s.name, "SIGPIPE");
  EXPECT_EQ(s.args, "si_signo=SIGPIPE, si_code=SI_USER, si_pid=11986, si_uid=0");
  const StraceLine st = ParseStraceLine("--- stopped by SIGSTOP ---");
  ASSERT_EQ(st.kind, StraceLineKind::kSignal);
  EXPECT_EQ(st.name, "SIGSTOP");
  const StraceLine at = ParseStraceLine("strace: Process 7919 attached");
  ASSERT_EQ(at.kind, StraceLineKind::kAttached);
  EXPECT_EQ(at.status, 7919);
  const StraceLine de = ParseStraceLine("strace: Process 7919 detached");
  EXPECT_EQ(de.kind, StraceLineKind::kDetached);
  const StraceLine sup = ParseStraceLine("123 +++ superseded by execve in pid 120 +++");
  EXPECT_EQ(sup.kind, StraceLineKind::kSuperseded);
}

TEST(StraceLineTest, DetachedMidCallIsUnfinished) {
  const StraceLine l = ParseStraceLine(
      "7919  1795840711.441508 poll([{fd=7<TCP:[127.0.0.1:48542->127.0.0.1:18091]>, "
      "events=POLLOUT|POLLERR}], 1, 4000 <detached ...>");
  ASSERT_EQ(l.kind, StraceLineKind::kUnfinished);
  EXPECT_EQ(l.name, "poll");
}

TEST(StraceLineTest, BrokenAndGarbageLinesAreUnknown) {
  for (const char* text :
       {"", "   ", "hello world", "12345", "1795839754.630098", "[pid 12] ", "connect(",
        "connect(3, {sa_family=AF_INET", "<... connect resumed", "+++ exited with +++", "--- ---",
        "123 04:61:00.1 close(3) = 0", ")))(((", "\"unterminated", "=(3) = 0",
        "[pid 99999999999] close(3) = 0", "a(\"\\", "x(3<", "x(3<a[>"}) {
    const StraceLine l = ParseStraceLine(text);
    EXPECT_EQ(l.kind, StraceLineKind::kUnknown) << text;
  }
  // A call without " = result" is not strace's (a line of source code, a log cut short).
  EXPECT_EQ(ParseStraceLine("print(x)").kind, StraceLineKind::kUnknown);
  EXPECT_EQ(ParseStraceLine("1 1.0 close(3)").kind, StraceLineKind::kUnknown);
  const StraceLine cut = ParseStraceLine("12 1.5 connect(3<TCP:[1]>, {sa_family=AF_INET, sin_");
  EXPECT_EQ(cut.kind, StraceLineKind::kUnknown);
  EXPECT_TRUE(cut.truncated_call);
}

TEST(FindClosingTest, SkipsStringsDecorationsAndComments) {
  const std::string t = "a, \")]}\", 3<TCP:[1.2.3.4:5->6.7.8.9:10]>, /* ) */ [x]) rest";
  const size_t close = FindClosing(t, 0);
  ASSERT_NE(close, std::string::npos);
  EXPECT_EQ(t.substr(close), ") rest");
  EXPECT_EQ(FindClosing("\"abc", 0), std::string::npos);
  EXPECT_EQ(FindClosing("(((", 0), std::string::npos);
  EXPECT_EQ(SkipDecoration("3<a->b>", 1), 7u);
  EXPECT_EQ(SkipDecoration("3<x", 1), std::string::npos);
}

}  // namespace
}  // namespace netcorr::analyze
