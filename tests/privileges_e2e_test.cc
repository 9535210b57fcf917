// End-to-end: netcorr without root. A copy of the binary gets file capabilities (setcap) and
// is run by an unprivileged user (nobody); each session must work with exactly the
// capabilities docs/privileges.md lists, and without one of them print one line naming it and
// the setcap command that grants it.
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/support/requirements.h"
#include "src/report/testing/json_test_parser.h"
#include "tests/support/processes.h"
#include "tests/world/world.h"

namespace netcorr::testing {
namespace {

using ::netcorr::report::testing::JsonValue;
using ::netcorr::report::testing::ParseJson;

constexpr char kNobody[] = "65534";

// The lines of netcorr's stderr that tell what to grant.
std::vector<std::string> GrantLines(const std::string& err) {
  std::vector<std::string> out;
  for (absl::string_view line : absl::StrSplit(err, '\n')) {
    if (absl::StrContains(line, "setcap")) out.emplace_back(line);
  }
  return out;
}

int RefusedWithEvidence(const JsonValue& report) {
  int n = 0;
  for (const JsonValue& f : report["findings"].array) {
    if (f["kind"].string == "refused_by_rst" && f["evidence"].size() == 2) ++n;
  }
  return n;
}

// A copy of netcorr and of tcp_client in a scratch directory that nobody can reach and write
// to, on a file system that honours file capabilities (not mounted nosuid).
class CappedNetcorr {
 public:
  CappedNetcorr() {
    for (const char* parent : {"/tmp", "/var/tmp"}) {
      struct statvfs fs {};
      if (statvfs(parent, &fs) != 0 || (fs.f_flag & ST_NOSUID) != 0) continue;
      std::string dir = absl::StrCat(parent, "/netcorr-caps-XXXXXX");
      if (mkdtemp(dir.data()) == nullptr) continue;
      dir_ = dir;
      break;
    }
    if (dir_.empty()) return;
    chmod(dir_.c_str(), 01777);  // nobody writes its reports here
    std::error_code ec;
    std::filesystem::copy_file(NETCORR_BINARY, Binary(), ec);
    std::filesystem::copy_file(ExamplePath("tcp_client"), Client(), ec);
    chmod(Binary().c_str(), 0755);
    chmod(Client().c_str(), 0755);
  }
  ~CappedNetcorr() {
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  CappedNetcorr(const CappedNetcorr&) = delete;
  CappedNetcorr& operator=(const CappedNetcorr&) = delete;

  bool ok() const { return !dir_.empty() && access(Client().c_str(), X_OK) == 0; }
  std::string Binary() const { return dir_ + "/netcorr"; }
  std::string Client() const { return dir_ + "/tcp_client"; }
  std::string Json() const { return dir_ + "/report.json"; }

  // "cap_net_raw,cap_sys_admin", or "" for none.
  ::testing::AssertionResult Grant(const std::string& caps) {
    auto r = caps.empty() ? RunCommand({"setcap", "-r", Binary()}, absl::Seconds(10))
                          : RunCommand({"setcap", caps + "+ep", Binary()}, absl::Seconds(10));
    // setcap -r on a file without capabilities fails; that is the state asked for.
    if (r.ok() && (r->exit_code == 0 || caps.empty())) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << "setcap " << caps << ": " << (r.ok() ? r->err : r.status().ToString());
  }

  // netcorr --json -o DIR/report.json ARGS..., as nobody, started by a shell as a user's
  // would be. The shell matters: setpriv keeps its own (root's) capabilities across the uid
  // change, so a program exec'ed straight from it gains nothing at exec and the kernel leaves
  // it dumpable, unlike netcorr started from a user's capability-less shell.
  CommandResult Run(const std::vector<std::string>& args) {
    unlink(Json().c_str());
    std::vector<std::string> argv = {"setpriv",
                                     absl::StrCat("--reuid=", kNobody),
                                     absl::StrCat("--regid=", kNobody),
                                     "--clear-groups",
                                     "/bin/sh",
                                     "-c",
                                     "exec \"$0\" \"$@\"",
                                     Binary(),
                                     "--json",
                                     "-o",
                                     Json()};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = RunCommand(argv, absl::Seconds(30));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : CommandResult{};
  }

  JsonValue Report() {
    auto parsed = ParseJson(ReadFile(Json()));
    EXPECT_TRUE(parsed.ok()) << parsed.status();
    return parsed.ok() ? *parsed : JsonValue{};
  }

  // What the one line ends with: the exact setcap command for this copy.
  std::string Setcap(const std::string& caps) const {
    return absl::StrCat("sudo setcap ", caps, "+ep ", Binary());
  }

 private:
  std::string dir_;
};

class PrivilegesE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    NETCORR_REQUIRE(::netcorr::testing::Root("setcap, setpriv, namespaces"));
    ASSERT_TRUE(netcorr_.ok()) << "no scratch directory that honours file capabilities";
  }

  // A TCP port on loopback that answers RST: bound, never listening, held for the test.
  int ClosedLoopbackPort() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      return 0;
    }
    return ntohs(a.sin_port);
  }
  void TearDown() override {
    if (fd_ >= 0) close(fd_);
    for (pid_t pid : started_) Reap(pid);
  }

  // Starts `sh -c SCRIPT` in `netns`, as nobody or as root.
  pid_t Start(const std::string& netns, const std::string& script, bool as_nobody) {
    std::vector<std::string> argv = {"/bin/sh", "-c", script};
    if (as_nobody) {
      argv.insert(argv.begin(), {"/usr/bin/setpriv", absl::StrCat("--reuid=", kNobody),
                                 absl::StrCat("--regid=", kNobody), "--clear-groups"});
    }
    const pid_t pid = SpawnIn(netns, argv);
    if (pid > 0) started_.push_back(pid);
    return pid;
  }

  CappedNetcorr netcorr_;
  int fd_ = -1;
  std::vector<pid_t> started_;
};

TEST_F(PrivilegesE2e, LaunchingOnesOwnProgramNeedsOnlyCapNetRawToCapture) {
  const int port = ClosedLoopbackPort();
  ASSERT_GT(port, 0);
  const std::vector<std::string> cmd = {"--",        netcorr_.Client(), "--host",
                                        "127.0.0.1", "--port",          absl::StrCat(port)};

  // No capability: traced all the same, without packets, and one line says what to grant.
  ASSERT_TRUE(netcorr_.Grant(""));
  CommandResult bare = netcorr_.Run(cmd);
  EXPECT_EQ(bare.exit_code, 1) << "tcp_client's status\n" << bare.err;
  EXPECT_EQ(GrantLines(bare.err),
            std::vector<std::string>{absl::StrCat(
                "netcorr: tracing without capture: capturing packets needs CAP_NET_RAW: run "
                "netcorr as root (sudo), or grant it: ",
                netcorr_.Setcap("cap_net_raw"))})
      << bare.err;
  JsonValue report = netcorr_.Report();
  EXPECT_FALSE(report["capture"]["available"].boolean);
  EXPECT_EQ(report["capture"]["reason"].string,
            "no permission to capture packets (needs CAP_NET_RAW)");
  EXPECT_GT(report["calls"].size(), 0u) << "the calls are traced without any capability";

  // CAP_NET_RAW: the capture works, the refusal is explained by its packets.
  ASSERT_TRUE(netcorr_.Grant("cap_net_raw"));
  CommandResult raw = netcorr_.Run(cmd);
  EXPECT_EQ(raw.exit_code, 1) << raw.err;
  EXPECT_TRUE(GrantLines(raw.err).empty()) << raw.err;
  EXPECT_EQ(RefusedWithEvidence(netcorr_.Report()), 1) << raw.err;
}

TEST_F(PrivilegesE2e, AttachingInAnotherNetworkNamespaceNeedsCapSysAdmin) {
  auto world = World::Create();
  ASSERT_TRUE(world.ok()) << world.status();
  const std::string client =
      absl::StrCat("sleep 1.5; exec ", netcorr_.Client(), " --host ", kServerV4, " --port 7001");
  const std::string netns = (*world)->NamespacePath(Node::kClient);

  ASSERT_TRUE(netcorr_.Grant("cap_net_raw"));
  const pid_t first = Start(netns, client, /*as_nobody=*/true);
  ASSERT_GT(first, 0);
  CommandResult denied = netcorr_.Run({"-p", absl::StrCat(first)});
  EXPECT_EQ(denied.exit_code, 0) << "traced, detached when it exited\n" << denied.err;
  EXPECT_EQ(GrantLines(denied.err),
            std::vector<std::string>{absl::StrCat(
                "netcorr: tracing without capture: capturing packets in process ", first,
                "'s network namespace needs CAP_SYS_ADMIN: run netcorr as root (sudo), or "
                "grant it: ",
                netcorr_.Setcap("cap_net_raw,cap_sys_admin"))})
      << denied.err;

  ASSERT_TRUE(netcorr_.Grant("cap_net_raw,cap_sys_admin"));
  const pid_t second = Start(netns, client, /*as_nobody=*/true);
  ASSERT_GT(second, 0);
  CommandResult granted = netcorr_.Run({"-p", absl::StrCat(second)});
  EXPECT_EQ(granted.exit_code, 0) << granted.err;
  EXPECT_TRUE(GrantLines(granted.err).empty()) << granted.err;
  const JsonValue report = netcorr_.Report();
  EXPECT_EQ(RefusedWithEvidence(report), 1) << granted.err;
  EXPECT_FALSE(report["session"]["namespace"]["own_netns"].boolean);
}

TEST_F(PrivilegesE2e, AttachingToAnotherUsersProcessNeedsCapSysPtrace) {
  const pid_t roots = Start("/proc/self/ns/net", "exec sleep 20", /*as_nobody=*/false);
  ASSERT_GT(roots, 0);
  ASSERT_TRUE(netcorr_.Grant("cap_net_raw,cap_sys_admin"));
  CommandResult denied = netcorr_.Run({"-p", absl::StrCat(roots)});
  EXPECT_EQ(denied.exit_code, 1);
  EXPECT_EQ(denied.err,
            absl::StrCat("netcorr: attaching to process ", roots,
                         " (uid 0, not yours) needs CAP_SYS_PTRACE: run netcorr as "
                         "root (sudo), or grant it: ",
                         netcorr_.Setcap("cap_net_raw,cap_sys_admin,cap_sys_ptrace"), "\n"));

  ASSERT_TRUE(netcorr_.Grant("cap_net_raw,cap_sys_admin,cap_sys_ptrace"));
  CommandResult granted = netcorr_.Run({"--duration", "0.5", "-p", absl::StrCat(roots)});
  EXPECT_EQ(granted.exit_code, 0) << granted.err;
  EXPECT_EQ(netcorr_.Report()["session"]["stop_reason"].string, "--duration elapsed");
}

TEST_F(PrivilegesE2e, NetnsNeedsCapSysAdmin) {
  auto world = World::Create();
  ASSERT_TRUE(world.ok()) << world.status();
  const std::vector<std::string> cmd = {"--netns", (*world)->NamespaceName(Node::kClient),
                                        "--",      netcorr_.Client(),
                                        "--host",  kServerV4,
                                        "--port",  "7001"};
  ASSERT_TRUE(netcorr_.Grant("cap_net_raw"));
  CommandResult denied = netcorr_.Run(cmd);
  EXPECT_EQ(denied.exit_code, 1);
  EXPECT_EQ(denied.err, absl::StrCat("netcorr: running the command in network namespace ",
                                     (*world)->NamespacePath(Node::kClient),
                                     " needs CAP_SYS_ADMIN: run netcorr as root (sudo), or grant "
                                     "it: ",
                                     netcorr_.Setcap("cap_net_raw,cap_sys_admin"), "\n"));
  EXPECT_TRUE(denied.out.empty()) << "the program must not run: " << denied.out;

  ASSERT_TRUE(netcorr_.Grant("cap_net_raw,cap_sys_admin"));
  CommandResult granted = netcorr_.Run(cmd);
  EXPECT_EQ(granted.exit_code, 1) << "tcp_client's status\n" << granted.err;
  EXPECT_TRUE(absl::StrContains(granted.out, "result: connect ECONNREFUSED")) << granted.out;
  EXPECT_EQ(RefusedWithEvidence(netcorr_.Report()), 1) << granted.err;
}

}  // namespace
}  // namespace netcorr::testing
