// Differential test: the same program, in the client namespace of a world, traced (a) by the
// live tracer (tracer/tracer.h, its SyscallEvents collected by a sink) and (b) by the real
// `strace -f -yy -ttt -T -o LOG`, whose log netcorr's strace reader turns into SyscallEvents
// (src/analyze/strace_log.h). Both sides are the same type, so nothing is rendered and parsed
// back in between: the two event sequences must agree call by call on the call's name, fd,
// errno, the socket's remote end, the call's address, the sockets a poll waited on, and which
// later call resolved a non-blocking connect, with which errno.
//
// Compared: the calls of the tracer's syscall table (tracer/syscall_table.cc) that act on, or
// wait for, an AF_INET/AF_INET6 socket; the same filter on both sides. Each thread's calls are
// one sequence, in entry order; the sequences of a multi-threaded or forking program are
// matched as a multiset, since which thread or child runs first differs between two runs. What
// differs between any two runs of a program is normalised on both sides alike (Sequences()).
// A mismatch prints a line diff of the two sides and the strace log's inet-socket lines.

#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "src/analyze/strace_log.h"
#include "src/model/errno_name.h"
#include "src/model/syscall_event.h"
#include "tests/support/processes.h"
#include "tests/support/requirements.h"
#include "tests/world/world.h"
#include "tracer/syscall_table.h"
#include "tracer/tracer.h"

namespace netcorr::testing {
namespace {

constexpr char kStrace[] = "/usr/bin/strace";
constexpr char kCurl[] = "/usr/bin/curl";
constexpr char kDig[] = "/usr/bin/dig";
constexpr char kEcho[] = "8080";      // echo_server (echo, or an HTTP/1.0 reply to GET)
constexpr char kEchoUdp[] = "8081";   // echo_server --udp
constexpr char kRefusing[] = "7001";  // nothing listens: the server answers SYNs with RST
constexpr char kSynDrop[] = "7002";   // the server drops SYNs: a connect that never completes
constexpr char kReset[] = "7004";     // reset_server: reads the request, then RST
const absl::Duration kRunTimeout = absl::Seconds(30);

// ---- the two sides --------------------------------------------------------------------------

class CollectingSink : public tracer::EventSink {
 public:
  void OnSyscall(const SyscallEvent& e) override { calls.push_back(e); }
  void OnProcess(const ProcessEvent&) override {}
  std::vector<SyscallEvent> calls;
};

struct Recorded {
  int exit_code = -1;
  std::vector<SyscallEvent> calls;
};

// Launches argv under the live tracer with the calling thread moved into `netns`, so that the
// program runs where strace's run does. Bounded: after `timeout` the tracer is told to stop.
absl::StatusOr<Recorded> TraceLive(const std::string& netns, const std::vector<std::string>& argv,
                                   absl::Duration timeout) {
  absl::StatusOr<Recorded> out = absl::InternalError("not run");
  // setns() moves only this thread; Launch(), Run() and the tracer's end must share one thread.
  std::thread([&] {
    const int ns = open(netns.c_str(), O_RDONLY | O_CLOEXEC);
    if (ns < 0 || setns(ns, CLONE_NEWNET) != 0) {
      out = absl::ErrnoToStatus(errno, absl::StrCat("entering ", netns));
      if (ns >= 0) close(ns);
      return;
    }
    close(ns);
    CollectingSink sink;
    tracer::LaunchSpec spec;
    spec.argv = argv;
    absl::StatusOr<std::unique_ptr<tracer::Tracer>> t = tracer::Tracer::Launch(spec, &sink);
    if (!t.ok()) {
      out = t.status();
      return;
    }
    tracer::Tracer* tr = t->get();
    absl::Notification done;
    bool timed_out = false;
    std::thread watchdog([&] {
      if (!done.WaitForNotificationWithTimeout(timeout)) {
        timed_out = true;
        tr->RequestStop();
      }
    });
    absl::StatusOr<int> rc = tr->Run();
    done.Notify();
    watchdog.join();
    if (!rc.ok()) {
      out = rc.status();
    } else if (timed_out) {
      out = absl::DeadlineExceededError(
          absl::StrCat(argv[0], " ran past ", absl::FormatDuration(timeout)));
    } else {
      out = Recorded{*rc, std::move(sink.calls)};
    }
  }).join();
  return out;
}

// Runs argv under `strace -f -yy -ttt -T -o LOG` in the world's client and reads the log back.
absl::StatusOr<Recorded> TraceWithStrace(World& world, const std::string& log,
                                         const std::vector<std::string>& argv,
                                         absl::Duration timeout) {
  std::vector<std::string> cmd = {kStrace, "-f", "-yy", "-ttt", "-T", "-o", log};
  cmd.insert(cmd.end(), argv.begin(), argv.end());
  absl::StatusOr<CommandResult> run = world.RunInClient(cmd, timeout);
  if (!run.ok()) return run.status();
  if (run->timed_out) {
    return absl::DeadlineExceededError(
        absl::StrCat("strace ran past ", absl::FormatDuration(timeout)));
  }
  absl::StatusOr<analyze::StraceParseResult> parsed =
      analyze::ParseStraceFile(log, analyze::StraceParseOptions{});
  if (!parsed.ok()) return parsed.status();
  return Recorded{run->exit_code, std::move(parsed->calls)};
}

// ---- what is compared -----------------------------------------------------------------------

bool IsInet(const SocketIdentity& s) { return s.family == AF_INET || s.family == AF_INET6; }

std::optional<tracer::Call> CallOf(const SyscallEvent& e) {
  const tracer::SyscallEntry* entry = tracer::FindX86_64SyscallByName(e.name);
  if (entry == nullptr) return std::nullopt;
  return entry->call;
}

// The same filter for both sides: calls the tracer records, on or waiting for an inet socket.
bool Compared(const SyscallEvent& e) {
  if (!CallOf(e)) return false;
  if (e.socket && IsInet(*e.socket)) return true;
  return std::any_of(e.waited.begin(), e.waited.end(),
                     [](const FdSocket& w) { return IsInet(w.socket); });
}

std::string Errno(int err) { return err == 0 ? "ok" : ErrnoName(err); }

// poll, select, epoll_wait and their variants: how often a program waits before the same
// outcome depends on scheduling, so a repeat of the same wait is not a call of its own.
bool Waits(const SyscallEvent& e) {
  switch (CallOf(e).value_or(tracer::Call::kRead)) {
    case tracer::Call::kPoll:
    case tracer::Call::kPpoll:
    case tracer::Call::kSelect:
    case tracer::Call::kPselect6:
    case tracer::Call::kEpollWait:
    case tracer::Call::kEpollPwait:
    case tracer::Call::kEpollPwait2:
      return true;
    default:
      return false;
  }
}

// socket() and accept() act on no fd: the one they return is the fd to compare.
bool MakesFd(const SyscallEvent& e) {
  const std::optional<tracer::Call> c = CallOf(e);
  return c == tracer::Call::kSocket || c == tracer::Call::kAccept || c == tracer::Call::kAccept4;
}

// One thread's compared calls, each as one line of the fields both sides must agree on.
using Sequence = std::vector<std::string>;

// Splits the compared calls by thread (in order of each thread's first call) and renders them.
// A resolved connect is named by its position in its thread's sequence ("connect#2"). A wait
// that repeats the line just before it (same call, sockets and outcome) is folded into it, on
// both sides alike: the count of such repeats differs from one run of a program to the next.
//
// Fds are compared by number, except in a process where several threads make compared calls:
// they share one fd table, and which thread gets which number (or a number another thread has
// just closed) is the scheduler's choice. There each thread's fds are named in the order they
// appear in its sequence ("@0", "@1"), which still pins every call to the socket it acts on.
std::vector<Sequence> Sequences(const std::vector<SyscallEvent>& calls) {
  std::map<int32_t, std::set<int32_t>> threads_of;  // pid -> tids with compared calls
  for (const SyscallEvent& e : calls) {
    if (Compared(e)) threads_of[e.pid].insert(e.tid);
  }
  std::map<int32_t, size_t> thread_index;               // tid -> index into `out`
  std::map<uint64_t, std::pair<size_t, size_t>> where;  // call id -> (thread, position)
  std::vector<std::map<int64_t, size_t>> fd_names;      // per thread: fd -> order of appearance
  std::vector<Sequence> out;
  for (const SyscallEvent& e : calls) {
    if (!Compared(e)) continue;
    auto [it, added] = thread_index.try_emplace(e.tid, out.size());
    if (added) {
      out.emplace_back();
      fd_names.emplace_back();
    }
    Sequence& seq = out[it->second];
    const bool shared_table = threads_of[e.pid].size() > 1;
    std::map<int64_t, size_t>& names = fd_names[it->second];
    const auto fd = [&](int64_t n) {
      if (!shared_table) return absl::StrCat(n);
      return absl::StrCat("@", names.try_emplace(n, names.size()).first->second);
    };
    std::string line = e.name;
    if (e.fd >= 0) absl::StrAppend(&line, " fd=", fd(e.fd));
    if (MakesFd(e) && e.error == 0 && e.finished) absl::StrAppend(&line, " new_fd=", fd(e.result));
    std::vector<std::string> waited;
    for (const FdSocket& w : e.waited) {
      if (IsInet(w.socket)) waited.push_back(fd(w.fd));
    }
    if (!waited.empty()) absl::StrAppend(&line, " waited=", absl::StrJoin(waited, ","));
    absl::StrAppend(&line, " ", e.finished ? Errno(e.error) : "unfinished");
    absl::StrAppend(&line,
                    " remote=", e.socket && e.socket->remote ? e.socket->remote->ToString() : "-");
    if (e.address) absl::StrAppend(&line, " addr=", e.address->ToString());
    if (e.resolves_call) {
      auto w = where.find(*e.resolves_call);
      const std::string connect =
          w == where.end() ? "an uncompared call"
          : w->second.first == it->second
              ? absl::StrCat("connect#", w->second.second)
              : absl::StrCat("connect#", w->second.second, " of thread#", w->second.first);
      absl::StrAppend(&line, " resolves=", connect, " ", Errno(e.resolved_error));
    }
    if (Waits(e) && !e.resolves_call && !seq.empty() && seq.back() == line) {
      where[e.id] = {it->second, seq.size() - 1};
      continue;
    }
    where[e.id] = {it->second, seq.size()};
    seq.push_back(std::move(line));
  }
  return out;
}

std::string Numbered(const Sequence& seq) {
  std::string s;
  for (size_t i = 0; i < seq.size(); ++i) absl::StrAppend(&s, "    #", i, " ", seq[i], "\n");
  return s;
}

// A line diff (longest common subsequence): "  " both, "- " live only, "+ " strace only.
std::string Diff(const Sequence& live, const Sequence& strace) {
  const size_t n = live.size();
  const size_t m = strace.size();
  std::vector<std::vector<size_t>> lcs(n + 1, std::vector<size_t>(m + 1, 0));
  for (size_t i = n; i-- > 0;) {
    for (size_t j = m; j-- > 0;) {
      lcs[i][j] =
          live[i] == strace[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  std::string out;
  size_t i = 0;
  size_t j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && live[i] == strace[j]) {
      absl::StrAppend(&out, "      ", live[i++], "\n");
      ++j;
    } else if (j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j])) {
      absl::StrAppend(&out, "    + ", strace[j++], "\n");
    } else {
      absl::StrAppend(&out, "    - ", live[i++], "\n");
    }
  }
  return out;
}

// "" when both sides hold the same multiset of thread sequences; otherwise a readable account:
// each live sequence without an identical strace one, diffed against the strace sequence left
// over in the same place.
std::string Disagreement(std::vector<Sequence> live, std::vector<Sequence> strace) {
  for (auto l = live.begin(); l != live.end();) {
    auto s = std::find(strace.begin(), strace.end(), *l);
    if (s == strace.end()) {
      ++l;
      continue;
    }
    strace.erase(s);
    l = live.erase(l);
  }
  if (live.empty() && strace.empty()) return "";
  std::string out = "live tracer (-) and strace + ParseStraceFile (+) disagree:\n";
  for (size_t k = 0; k < std::max(live.size(), strace.size()); ++k) {
    absl::StrAppend(&out, "  thread sequence without a match #", k, ":\n");
    if (k < live.size() && k < strace.size()) {
      absl::StrAppend(&out, Diff(live[k], strace[k]));
    } else if (k < live.size()) {
      absl::StrAppend(&out, "   only live:\n", Numbered(live[k]));
    } else {
      absl::StrAppend(&out, "   only strace:\n", Numbered(strace[k]));
    }
  }
  return out;
}

// The lines of an strace -yy log that show an inet socket, for a failure message.
std::string InetLines(const std::string& log) {
  std::string out;
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    for (absl::string_view mark : {"TCP:[", "TCPv6:[", "UDP:[", "UDPv6:[", "(AF_INET"}) {
      if (absl::StrContains(line, mark)) {
        absl::StrAppend(&out, "    ", line, "\n");
        break;
      }
    }
  }
  return out;
}

// ---- the programs ---------------------------------------------------------------------------

struct Case {
  std::string name;
  std::vector<std::string> tools;  // programs the case needs besides strace
  // The program and its arguments; "{S}" is the server's address (v4 or v6), "{U}" the same in
  // URL form ("[fd71:2::2]" for v6).
  std::vector<std::string> argv;
  // The live side must have a call of this name whose line contains `expect`: the case really
  // exercises what it is named after.
  std::string expect_call;
  std::string expect;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

// An example's command line: the program, then `args`.
std::vector<std::string> Example(const std::string& name, std::vector<std::string> args) {
  args.insert(args.begin(), ExamplePath(name));
  return args;
}

std::vector<std::string> TcpClient(const std::string& port, std::vector<std::string> more = {}) {
  std::vector<std::string> args = {"--host", "{S}", "--port", port};
  args.insert(args.end(), more.begin(), more.end());
  return Example("tcp_client", std::move(args));
}

// One question to the world's dns_test_server (--mode servfail), one try.
std::vector<std::string> DnsQuery(std::vector<std::string> more = {}) {
  std::vector<std::string> args = {"--server",     "{S}",       "--port", "53",      "--name",
                                   "example.test", "--timeout", "2000",   "--tries", "1"};
  args.insert(args.end(), more.begin(), more.end());
  return Example("dns_query", std::move(args));
}

std::vector<std::string> Expand(const std::vector<std::string>& argv, bool v6) {
  const std::string server = v6 ? kServerV6 : kServerV4;
  const std::string url_host = v6 ? absl::StrCat("[", kServerV6, "]") : server;
  std::vector<std::string> out;
  for (std::string a : argv) {
    for (const auto& [from, to] : {std::pair<std::string, std::string>{"{S}", server},
                                   std::pair<std::string, std::string>{"{U}", url_host}}) {
      for (size_t p = a.find(from); p != std::string::npos; p = a.find(from, p + to.size())) {
        a.replace(p, from.size(), to);
      }
    }
    out.push_back(std::move(a));
  }
  return out;
}

class Differential : public ::testing::TestWithParam<std::tuple<Case, bool>> {
 protected:
  void SetUp() override {
    const Case& c = std::get<0>(GetParam());
    std::vector<Requirement> needs = {Root("ptrace and network namespaces"), Program(kStrace)};
    for (const std::string& tool : c.tools) needs.push_back(Program(tool));
    NETCORR_REQUIRE(needs);
    absl::StatusOr<std::unique_ptr<World>> world = World::Create();
    ASSERT_TRUE(world.ok()) << world.status();
    world_ = std::move(*world);
    ASSERT_TRUE(world_->Serve("tcp", std::stoi(kEcho)).ok());
    ASSERT_TRUE(world_->Serve("udp", std::stoi(kEchoUdp)).ok());
    ASSERT_TRUE(world_->Fault({"dns-servfail"}).ok());
    ASSERT_TRUE(world_->Fault({"syn-drop-server", kSynDrop}).ok());
    ASSERT_TRUE(world_->Fault({"reset-server", kReset}).ok());
    ASSERT_FALSE(dir_.path().empty());
  }

  std::unique_ptr<World> world_;
  TempDir dir_;
};

TEST_P(Differential, LiveTracerAndStraceAgreeCallByCall) {
  const auto& [c, v6] = GetParam();
  const std::vector<std::string> argv = Expand(c.argv, v6);
  SCOPED_TRACE(absl::StrJoin(argv, " "));

  absl::StatusOr<Recorded> live =
      TraceLive(world_->NamespacePath(Node::kClient), argv, kRunTimeout);
  ASSERT_TRUE(live.ok()) << live.status();
  const std::string log = dir_.File("app.strace");
  absl::StatusOr<Recorded> strace = TraceWithStrace(*world_, log, argv, kRunTimeout);
  ASSERT_TRUE(strace.ok()) << strace.status();

  const std::vector<Sequence> ours = Sequences(live->calls);
  const std::vector<Sequence> theirs = Sequences(strace->calls);
  const std::string expect = Expand({c.expect}, v6)[0];
  bool exercised = false;
  std::string all_live;
  for (const Sequence& seq : ours) {
    absl::StrAppend(&all_live, "  thread:\n", Numbered(seq));
    for (const std::string& line : seq) {
      exercised |= absl::StartsWith(line, c.expect_call + " ") && absl::StrContains(line, expect);
    }
  }
  EXPECT_TRUE(exercised) << "the live run has no " << c.expect_call << " with " << expect << ":\n"
                         << all_live;
  EXPECT_EQ(live->exit_code, strace->exit_code) << "the program ended differently";
  const std::string disagreement = Disagreement(ours, theirs);
  if (!disagreement.empty()) {
    ADD_FAILURE() << disagreement << "the strace log's lines about inet sockets:\n"
                  << InetLines(ReadFile(log));
  }
}

// Blocking and non-blocking connects refused, accepted, reset and left pending, UDP on a
// connected and an unconnected socket, threads, children, the tracer helper's message calls and
// epoll, and two real clients: curl (non-blocking connect resolved by getsockopt SO_ERROR,
// poll) and dig (libuv: epoll, its own worker threads).
const Case kCases[] = {
    {"tcp_client_refused",
     {},
     TcpClient(kRefusing),
     "connect",
     absl::StrCat("ECONNREFUSED remote={U}:", kRefusing)},
    {"tcp_client_refused_nonblocking",
     {},
     TcpClient(kRefusing, {"--nonblocking", "--connect-timeout", "3000"}),
     "getsockopt",
     "resolves=connect#1 ECONNREFUSED"},
    // The same fd number for three sockets in turn.
    {"tcp_client_refused_nonblocking_fd_reused",
     {},
     TcpClient(kRefusing, {"--nonblocking", "--connect-timeout", "3000", "--repeat", "3"}),
     "getsockopt",
     "resolves=connect#6 ECONNREFUSED"},
    // Never resolved: poll times out, then close.
    {"tcp_client_syn_dropped_nonblocking",
     {},
     TcpClient(kSynDrop, {"--nonblocking", "--connect-timeout", "1000"}),
     "connect",
     "EINPROGRESS"},
    {"tcp_client_reset",
     {},
     TcpClient(kReset, {"--read-timeout", "3000"}),
     "recvfrom",
     "ECONNRESET"},
    {"tcp_client_echo",
     {},
     TcpClient(kEcho, {"--send", "1000"}),
     "connect",
     absl::StrCat("ok remote={U}:", kEcho)},
    {"tcp_client_echo_nonblocking",
     {},
     TcpClient(kEcho, {"--send", "1000", "--nonblocking", "--connect-timeout", "3000"}),
     "getsockopt",
     "resolves=connect#1 ok"},
    {"dns_query_servfail", {}, DnsQuery(), "connect", "ok remote={U}:53"},
    {"dns_query_unconnected", {}, DnsQuery({"--unconnected"}), "sendto", "ok remote=- addr={U}:53"},
    {"threads_client",
     {},
     Example("threads_client", {"--host", "{S}", "--port", kEcho, "--threads", "3"}),
     "connect",
     absl::StrCat("ok remote={U}:", kEcho)},
    {"fork_client",
     {},
     Example("fork_client", {"--host", "{S}", "--port", kEcho, "--children", "3"}),
     "connect",
     absl::StrCat("ok remote={U}:", kEcho)},
    // tracer/testdata/tracer_helper.cc: sendmsg/recvmsg with addresses, sendmmsg/recvmmsg,
    // then connect and send/recv on the same UDP socket; a pending connect seen by epoll_wait.
    {"tracer_helper_udpcalls",
     {},
     {TRACER_HELPER_PATH, "udpcalls", "{S}", kEchoUdp},
     "recvmmsg",
     "ok"},
    {"tracer_helper_epoll",
     {},
     {TRACER_HELPER_PATH, "epoll", "{S}", kRefusing},
     "getsockopt",
     "ECONNREFUSED"},
    {"curl_http",
     {kCurl},
     {kCurl, "-sS", "-o", "/dev/null", "--max-time", "10", absl::StrCat("http://{U}:", kEcho, "/")},
     "sendto",
     absl::StrCat("ok remote={U}:", kEcho)},
    {"curl_refused",
     {kCurl},
     {kCurl, "-sS", "-o", "/dev/null", "--max-time", "10",
      absl::StrCat("http://{U}:", kRefusing, "/")},
     "getsockopt",
     " ECONNREFUSED"},
    {"dig_servfail",
     {kDig},
     {kDig, "@{S}", "example.test", "A", "+tries=1", "+time=2"},
     "connect",
     "remote={U}:53"},
};

INSTANTIATE_TEST_SUITE_P(Programs, Differential,
                         ::testing::Combine(::testing::ValuesIn(kCases), ::testing::Bool()),
                         [](const auto& info) {
                           return std::get<0>(info.param).name +
                                  (std::get<1>(info.param) ? "_v6" : "_v4");
                         });

}  // namespace
}  // namespace netcorr::testing
