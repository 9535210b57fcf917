#include "src/analyze/strace_stream.h"

#include <algorithm>
#include <cerrno>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "src/analyze/strace_assembler.h"
#include "src/analyze/strace_test_util.h"

namespace netcorr::analyze {
namespace {

using namespace ::netcorr::analyze::testing;  // NOLINT: test helpers

// "S.UUUUUU" for a time in microseconds since 1795839700 s.
std::string At(int64_t us) {
  const int64_t t = 1795839700LL * 1'000'000 + us;
  return absl::StrCat(t / 1'000'000, ".", absl::Dec(t % 1'000'000, absl::kZeroPad6));
}

// A long log of short connections, as a busy client writes it with -f -yy -ttt -T: every tenth
// refused (its connect shows no ends, only the close after it), the others connected, written
// to and closed. Thread 2 sits in a futex from the first line to the last, as idle threads do.
std::string ManyConnections(int n) {
  std::string log = absl::StrCat("2 ", At(0), " futex(0x7f00, FUTEX_WAIT_PRIVATE, 0, NULL "
                                 "<unfinished ...>\n");
  int64_t us = 10;
  for (int i = 0; i < n; ++i) {
    const std::string inode = absl::StrCat("TCP:[", 1000 + i, "]");
    const std::string ends =
        absl::StrCat("TCP:[10.0.0.1:", 30000 + i % 30000, "->10.0.0.2:80]");
    const std::string dst =
        "{sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr(\"10.0.0.2\")}, 16";
    absl::StrAppend(&log, "1 ", At(us), " socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = 3<", inode,
                    "> <0.000005>\n");
    us += 10;
    if (i % 10 == 9) {
      absl::StrAppend(&log, "1 ", At(us), " connect(3<", inode, ">, ", dst,
                      ") = -1 ECONNREFUSED (Connection refused) <0.000040>\n");
      us += 50;
      absl::StrAppend(&log, "1 ", At(us), " close(3<", inode, ">) = 0 <0.000005>\n");
    } else {
      absl::StrAppend(&log, "1 ", At(us), " connect(3<", inode, ">, ", dst,
                      ") = 0 <0.000040>\n");
      us += 50;
      absl::StrAppend(&log, "1 ", At(us), " write(3<", ends, ">, \"GET\", 3) = 3 <0.000005>\n");
      us += 10;
      absl::StrAppend(&log, "1 ", At(us), " close(3<", ends, ">) = 0 <0.000005>\n");
    }
    us += 10;
  }
  absl::StrAppend(&log, "2 ", At(us), " <... futex resumed>) = 0 <", us / 1'000'000, ".",
                  absl::Dec(us % 1'000'000, absl::kZeroPad6), ">\n");
  return log;
}

// What memory holds while a log is read follows what is alive in it: with one connection alive
// at a time (and one thread blocked throughout), the reader buffers only the calls of the last
// few milliseconds of the log (the reorder margin, Assembler::kResumeSlackNs: a few hundred
// calls here), however long the log. A reader that kept every call until the end (or until
// the blocked thread returns), 80,000 here, fails this.
TEST(StraceStreamTest, BufferedCallsStayBoundedOverALongLog) {
  constexpr int kConnections = 20'000;
  const std::string log = ManyConnections(kConnections);
  std::unique_ptr<StraceStream> stream = StraceStream::FromText(log, {});
  size_t calls = 0, refused = 0, most_buffered = 0;
  TimeNs last_exit = 0;
  for (;;) {
    absl::StatusOr<std::optional<StraceItem>> next = stream->Next();
    ASSERT_TRUE(next.ok()) << next.status();
    if (!next->has_value()) break;
    most_buffered = std::max(most_buffered, stream->buffered_calls());
    const SyscallEvent* c = std::get_if<SyscallEvent>(&(**next).value);
    ASSERT_NE(c, nullptr);
    ++calls;
    // In exit order, as a live session feeds them.
    EXPECT_GE(c->exit_ns, last_exit) << c->name << " " << c->id;
    last_exit = c->exit_ns;
    if (c->name == "connect" && c->error == ECONNREFUSED) {
      ++refused;
      // Held until the close showed what strace knew of the socket; the remote end came from
      // the connect itself.
      ASSERT_TRUE(c->socket.has_value());
      EXPECT_EQ(c->socket->remote, Ep("10.0.0.2", 80));
    }
  }
  const int refusals = kConnections / 10;
  EXPECT_EQ(refused, static_cast<size_t>(refusals));
  EXPECT_EQ(calls, static_cast<size_t>(kConnections * 3 + (kConnections - refusals)));
  EXPECT_LT(most_buffered, 2000u) << "the reader kept calls it had finished with";
  EXPECT_EQ(stream->buffered_calls(), 0u);
  EXPECT_EQ(stream->facts().lines,
            static_cast<uint64_t>(std::count(log.begin(), log.end(), '\n')));
}

// The ends that strace showed only on the call after a connect reach the connect even though
// the stream hands calls out one by one; and a socket that never shows its ends holds only a
// bounded number of calls.
TEST(StraceStreamTest, LaterEndsReachTheHeldCallAndHoldingIsBounded) {
  std::string log =
      "1 1795839700.000010 socket(AF_INET, SOCK_STREAM|SOCK_NONBLOCK, IPPROTO_TCP) = "
      "3<TCP:[77]> <0.000005>\n"
      "1 1795839700.000020 connect(3<TCP:[77]>, {sa_family=AF_INET, sin_port=htons(80), "
      "sin_addr=inet_addr(\"10.0.0.2\")}, 16) = -1 EINPROGRESS (Operation now in progress) "
      "<0.000010>\n"
      "1 1795839700.000040 getsockopt(3<TCP:[10.0.0.1:40000->10.0.0.2:80]>, SOL_SOCKET, "
      "SO_ERROR, [0], [4]) = 0 <0.000003>\n";
  // A second socket, connected without -yy: its local end never shows.
  log +=
      "1 1795839700.000050 socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = 4 <0.000005>\n"
      "1 1795839700.000060 connect(4, {sa_family=AF_INET, sin_port=htons(81), "
      "sin_addr=inet_addr(\"10.0.0.2\")}, 16) = 0 <0.000010>\n";
  for (int i = 0; i < 1000; ++i) {
    absl::StrAppend(&log, "1 ", At(100 + i * 1000), " write(4, \"x\", 1) = 1 <0.000002>\n");
  }
  std::unique_ptr<StraceStream> stream = StraceStream::FromText(log, {});
  size_t most_buffered = 0;
  std::vector<SyscallEvent> calls;
  for (;;) {
    absl::StatusOr<std::optional<StraceItem>> next = stream->Next();
    ASSERT_TRUE(next.ok()) << next.status();
    if (!next->has_value()) break;
    most_buffered = std::max(most_buffered, stream->buffered_calls());
    if (auto* c = std::get_if<SyscallEvent>(&(**next).value)) calls.push_back(*c);
  }
  ASSERT_EQ(calls.size(), 1005u);
  const SyscallEvent* connect = nullptr;
  for (const SyscallEvent& c : calls) {
    if (c.name == "connect" && c.fd == 3) connect = &c;
  }
  ASSERT_NE(connect, nullptr);
  ASSERT_TRUE(connect->socket.has_value());
  EXPECT_EQ(connect->socket->local, Ep("10.0.0.1", 40000));
  EXPECT_EQ(connect->socket->remote, Ep("10.0.0.2", 80));
  // The socket's last calls, and the last milliseconds' (one call a millisecond here).
  EXPECT_LE(most_buffered, Assembler::kMaxHeldPerSocket + 100);
}

}  // namespace
}  // namespace netcorr::analyze
