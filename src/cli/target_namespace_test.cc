#include "src/cli/target_namespace.h"

#include <unistd.h>

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace netcorr::cli {
namespace {

const std::string kId = "3f2a1b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708";

TEST(ParseProcCgroupTest, RecognisesEachRuntimesCgroupPath) {
  struct Case {
    std::string path;
    std::string runtime;
    std::string id;
  };
  const Case cases[] = {
      {"/system.slice/docker-" + kId + ".scope", "docker", kId},
      {"/docker/" + kId, "docker", kId},
      {"/machine.slice/libpod-" + kId + ".scope/container", "podman", kId},
      {"/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + kId + ".scope",
       "podman", kId},
      {"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/cri-containerd-" +
           kId + ".scope",
       "containerd", kId},
      {"/kubepods.slice/kubepods-pod1.slice/crio-" + kId + ".scope", "cri-o", kId},
      {"/kubepods/burstable/pod6b1e2f/" + kId, "kubernetes", kId},
      {"/lxc.payload.web1", "lxc", "web1"},
      {"/lxc/web1", "lxc", "web1"},
      {"/machine.slice/machine-my\\x2dbox.scope", "systemd-nspawn", "my-box"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.path);
    const CgroupInfo info = ParseProcCgroup("0::" + c.path + "\n");
    EXPECT_EQ(info.path, c.path);
    EXPECT_EQ(info.runtime, c.runtime);
    EXPECT_EQ(info.container_id, c.id);
  }
}

TEST(ParseProcCgroupTest, MonitorsAndOrdinaryCgroupsAreNoContainer) {
  for (const std::string& path : std::vector<std::string>{
           "/machine.slice/libpod-conmon-" + kId + ".scope", "/system.slice/ssh.service",
           "/user.slice/user-1000.slice/session-2.scope", "/docker/not-an-id", "/"}) {
    SCOPED_TRACE(path);
    const CgroupInfo info = ParseProcCgroup("0::" + path + "\n");
    EXPECT_EQ(info.path, path);
    EXPECT_EQ(info.container_id, "");
    EXPECT_EQ(info.runtime, "");
  }
}

TEST(ParseProcCgroupTest, CgroupV1PrefersTheSystemdHierarchyAndFindsTheRuntimeInAnyLine) {
  const std::string hybrid = "12:memory:/docker/" + kId +
                             "\n"
                             "1:name=systemd:/system.slice/containerd.service\n"
                             "0::/\n";
  const CgroupInfo info = ParseProcCgroup(hybrid);
  EXPECT_EQ(info.path, "/system.slice/containerd.service");
  EXPECT_EQ(info.runtime, "docker");
  EXPECT_EQ(info.container_id, kId);
  // Every hierarchy at the root: the root it is.
  EXPECT_EQ(ParseProcCgroup("4:memory:/\n1:name=systemd:/\n0::/\n").path, "/");
  EXPECT_EQ(ParseProcCgroup("").path, "");
}

TEST(ParseNsPidTest, TheInnermostPid) {
  EXPECT_EQ(ParseNsPid("Name:\tsh\nNSpid:\t4242\t17\t1\nNSpgid:\t4242\n"), 1);
  EXPECT_EQ(ParseNsPid("NSpid:\t4242\n"), 4242);
  EXPECT_EQ(ParseNsPid("Name:\tsh\n"), 0);
}

TEST(DescribeTargetNamespaceTest, NetcorrItselfIsInItsOwnNamespaces) {
  auto ns = DescribeTargetNamespace(getpid());
  ASSERT_TRUE(ns.ok()) << ns.status();
  EXPECT_NE(ns->netns_inode, 0u);
  EXPECT_TRUE(ns->own_netns);
  EXPECT_TRUE(ns->own_pidns);
  EXPECT_TRUE(ns->own_cgroup);
  EXPECT_EQ(ns->ns_pid, getpid());
  EXPECT_FALSE(DescribeTargetNamespace(999999999).ok());
}

}  // namespace
}  // namespace netcorr::cli
