// End-to-end: netcorr on the host and a program in a container. The "container" is what a
// runtime makes, minus the image: a world's client network namespace, plus PID and mount
// namespaces of its own (unshare --pid --mount --fork --mount-proc) and a cgroup of its own.
// netcorr attaches from the host, must capture inside the container's network namespace, and
// the report must say where the program lives. Also --netns, which starts a program inside a
// named network namespace.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "tests/support/requirements.h"
#include "src/report/testing/json_test_parser.h"
#include "tests/support/processes.h"
#include "tests/world/world.h"

namespace netcorr::testing {
namespace {

using ::netcorr::report::testing::JsonValue;
using ::netcorr::report::testing::ParseJson;

constexpr int kRefusedPort = 7001;  // nothing listens there: the server answers RST

// A cgroup v2 cgroup of its own under the hierarchy's root, removed when this goes out of
// scope (its processes are moved back to the root first, so rmdir cannot fail on them).
class ScratchCgroup {
 public:
  ScratchCgroup() {
    const std::string mount = Cgroup2Mount();
    if (mount.empty()) return;
    static int counter = 0;
    const std::string name = absl::StrCat("netcorr-e2e-", getpid(), "-", counter++);
    if (mkdir(absl::StrCat(mount, "/", name).c_str(), 0755) != 0) return;
    root_ = mount;
    path_ = "/" + name;
  }
  ~ScratchCgroup() {
    if (path_.empty()) return;
    std::stringstream procs(ReadFile(Dir() + "/cgroup.procs"));
    for (std::string pid; procs >> pid;) Write(root_ + "/cgroup.procs", pid);
    rmdir(Dir().c_str());
  }
  ScratchCgroup(const ScratchCgroup&) = delete;
  ScratchCgroup& operator=(const ScratchCgroup&) = delete;

  // The path as /proc/PID/cgroup shows it ("0::/netcorr-e2e-..."); "" if it was not made.
  const std::string& path() const { return path_; }
  bool Add(pid_t pid) { return Write(Dir() + "/cgroup.procs", absl::StrCat(pid)); }

 private:
  std::string Dir() const { return root_ + path_; }
  static bool Write(const std::string& file, const std::string& text) {
    std::ofstream out(file);
    out << text << "\n";
    out.flush();
    return out.good();
  }
  // Where the cgroup2 filesystem is mounted: /sys/fs/cgroup, or /sys/fs/cgroup/unified on a
  // hybrid v1/v2 host. Field 9 of /proc/self/mountinfo is the filesystem type.
  static std::string Cgroup2Mount() {
    std::stringstream lines(ReadFile("/proc/self/mountinfo"));
    for (std::string line; std::getline(lines, line);) {
      std::vector<std::string> f = absl::StrSplit(line, ' ');
      for (size_t i = 0; i + 1 < f.size(); ++i) {
        if (f[i] == "-" && f[i + 1] == "cgroup2" && f.size() > 4) return f[4];
      }
    }
    return "";
  }

  std::string root_;
  std::string path_;
};

uint64_t InodeOf(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

// The first child of `pid` (unshare --fork's child: pid 1 of the new PID namespace), waited for
// up to 5 s; 0 if none appeared.
pid_t FirstChild(pid_t pid) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  do {
    std::string text(absl::StripAsciiWhitespace(
        ReadFile(absl::StrCat("/proc/", pid, "/task/", pid, "/children"))));
    int child = 0;
    if (absl::SimpleAtoi(text.substr(0, text.find(' ')), &child) && child > 0) return child;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  } while (std::chrono::steady_clock::now() < deadline);
  return 0;
}

// The refused connect's finding must be there, with the SYN and the RST as evidence: proof
// that the capture ran in the container's network namespace, where those packets are.
void ExpectRefusedWithEvidence(const JsonValue& report, pid_t pid, const std::string& err) {
  bool refused = false;
  for (const JsonValue& f : report["findings"].array) {
    if (f["kind"].string != "refused_by_rst" || f["call"]["name"].string != "connect") continue;
    refused = true;
    if (pid > 0) {
      EXPECT_EQ(f["call"]["pid"].int_value, pid) << "the host's pid";
    }
    EXPECT_EQ(f["evidence"].size(), 2u) << err;
    EXPECT_EQ(f["flow"]["remote"]["ip"].string, kServerV4);
  }
  EXPECT_TRUE(refused) << err;
}

class ContainerE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    NETCORR_REQUIRE(::netcorr::testing::Root("namespaces, cgroups, ptrace and capture"));
    auto world = World::Create();
    ASSERT_TRUE(world.ok()) << world.status();
    world_ = std::move(*world);
    ASSERT_FALSE(dir_.path().empty());
  }

  // Starts tcp_client, 1.5 s from now, as pid 1 of new PID and mount namespaces inside the
  // world's client network namespace, in a cgroup of its own. Returns its host pid.
  pid_t StartContainer() {
    const std::string client =
        absl::StrCat(ExamplePath("tcp_client"), " --host ", kServerV4, " --port ", kRefusedPort);
    unshare_ = SpawnIn(world_->NamespacePath(Node::kClient),
                       {"/usr/bin/unshare", "--pid", "--mount", "--fork", "--mount-proc", "/bin/sh",
                        "-c", absl::StrCat("sleep 1.5; exec ", client)});
    if (unshare_ <= 0) return 0;
    const pid_t init = FirstChild(unshare_);
    if (init > 0 && !cgroup_.path().empty()) {
      EXPECT_TRUE(cgroup_.Add(init));
    }
    return init;
  }

  void TearDown() override {
    if (unshare_ > 0) Reap(unshare_);
  }

  std::unique_ptr<World> world_;
  TempDir dir_;
  ScratchCgroup cgroup_;
  pid_t unshare_ = 0;
};

TEST_F(ContainerE2e, AttachFromTheHostCapturesInTheContainerAndNamesIt) {
  ASSERT_FALSE(cgroup_.path().empty()) << "no cgroup2 hierarchy to make the container's cgroup";
  const pid_t init = StartContainer();
  ASSERT_GT(init, 0) << "unshare did not start the container";
  const std::string json = dir_.File("report.json");
  auto run = RunCommand({NETCORR_BINARY, "--json", "-o", json, "-p", absl::StrCat(init)},
                        absl::Seconds(30));
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->exit_code, 0) << run->err;
  auto report = ParseJson(ReadFile(json));
  ASSERT_TRUE(report.ok()) << report.status() << run->err;
  ExpectRefusedWithEvidence(*report, init, run->err);

  const JsonValue& ns = (*report)["session"]["namespace"];
  EXPECT_EQ(ns["netns_inode"].int_value,
            static_cast<int64_t>(InodeOf(world_->NamespacePath(Node::kClient))));
  EXPECT_EQ(ns["netns_name"].string, world_->NamespaceName(Node::kClient));
  EXPECT_FALSE(ns["own_netns"].boolean);
  EXPECT_EQ(ns["ns_pid"].int_value, 1) << "pid 1 of the container's PID namespace";
  EXPECT_FALSE(ns["own_pidns"].boolean);
  EXPECT_NE(ns["pidns_inode"].int_value, 0);
  EXPECT_EQ(ns["cgroup"].string, cgroup_.path());
  EXPECT_FALSE(ns["own_cgroup"].boolean);
  // Not a runtime's cgroup: no container id is made up.
  ASSERT_NE(ns.Find("container_id"), nullptr);
  EXPECT_TRUE(ns["container_id"].is_null());
}

TEST_F(ContainerE2e, TheTextReportSaysWhereTheProgramLives) {
  const pid_t init = StartContainer();
  ASSERT_GT(init, 0) << "unshare did not start the container";
  const std::string text = dir_.File("report.txt");
  auto run = RunCommand({NETCORR_BINARY, "-o", text, "-p", absl::StrCat(init)}, absl::Seconds(30));
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->exit_code, 0) << run->err;
  const std::string report = ReadFile(text);
  EXPECT_TRUE(absl::StrContains(
      report, absl::StrCat("namespaces: net:[", InodeOf(world_->NamespacePath(Node::kClient)),
                           "] (", world_->NamespaceName(Node::kClient), "), pid ", init,
                           " is pid 1 in its own PID namespace")))
      << report;
  EXPECT_TRUE(absl::StrContains(report, "[1] refused_by_rst:")) << report;
}

// --netns NAME and --netns PATH start the program in that namespace, from the host, and
// capture there.
TEST_F(ContainerE2e, NetnsLaunchesInTheNamedNamespaceAndCapturesThere) {
  for (const std::string& netns :
       {world_->NamespaceName(Node::kClient), world_->NamespacePath(Node::kClient)}) {
    SCOPED_TRACE(netns);
    const std::string json = dir_.File("netns.json");
    auto run = RunCommand(
        {NETCORR_BINARY, "--json", "-o", json, "--netns", netns, "--", ExamplePath("tcp_client"),
         "--host", kServerV4, "--port", absl::StrCat(kRefusedPort)},
        absl::Seconds(30));
    ASSERT_TRUE(run.ok()) << run.status();
    EXPECT_EQ(run->exit_code, 1) << "tcp_client's status\n" << run->err;
    EXPECT_TRUE(absl::StrContains(run->out, "result: connect ECONNREFUSED")) << run->out;
    auto report = ParseJson(ReadFile(json));
    ASSERT_TRUE(report.ok()) << report.status() << run->err;
    ExpectRefusedWithEvidence(*report, 0, run->err);
    const JsonValue& ns = (*report)["session"]["namespace"];
    EXPECT_EQ(ns["netns_name"].string, world_->NamespaceName(Node::kClient));
    EXPECT_FALSE(ns["own_netns"].boolean);
    EXPECT_TRUE(ns["own_pidns"].boolean);
  }
}

TEST(NetcorrNetns, AMissingNamespaceIsOneLineAndNothingRuns) {
  NETCORR_REQUIRE(::netcorr::testing::Root("network namespaces"));
  TempDir dir;
  const std::string marker = dir.File("ran");
  auto run =
      RunCommand({NETCORR_BINARY, "--netns", "netcorr-no-such-ns", "--", "/usr/bin/touch", marker},
                 absl::Seconds(30));
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->exit_code, 1);
  EXPECT_EQ(run->err,
            "netcorr: --netns: no network namespace /run/netns/netcorr-no-such-ns (see ip netns "
            "list)\n");
  EXPECT_NE(access(marker.c_str(), F_OK), 0) << "the command ran anyway";
}

}  // namespace
}  // namespace netcorr::testing
