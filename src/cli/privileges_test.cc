#include "src/cli/privileges.h"

#include <unistd.h>

#include "gtest/gtest.h"
#include "tests/support/requirements.h"

namespace netcorr::cli {
namespace {

constexpr CapSet kNone{};
constexpr CapSet kNetRaw{true, false, false};
constexpr CapSet kSysAdmin{false, true, false};
constexpr CapSet kSysPtrace{false, false, true};

TEST(GrantLineTest, NamesWhatIsMissingAndGrantsEverythingNeeded) {
  EXPECT_EQ(GrantLine({{"capturing packets", kNetRaw}}, kNone, "/usr/bin/netcorr"),
            "capturing packets needs CAP_NET_RAW: run netcorr as root (sudo), or grant it: "
            "sudo setcap cap_net_raw+ep /usr/bin/netcorr");
  EXPECT_EQ(GrantLine({{"capturing packets in process 42's network namespace",
                        CaptureNeeds(/*other_netns=*/true)}},
                      kNone, "/x/netcorr"),
            "capturing packets in process 42's network namespace needs CAP_NET_RAW and "
            "CAP_SYS_ADMIN: run netcorr as root (sudo), or grant them: sudo setcap "
            "cap_net_raw,cap_sys_admin+ep /x/netcorr");
}

TEST(GrantLineTest, KeepsWhatTheBinaryHasSinceSetcapReplacesIt) {
  // Only CAP_SYS_PTRACE is missing, but the setcap line must keep cap_net_raw.
  EXPECT_EQ(GrantLine({{"attaching to process 7 (uid 0, not yours)", kSysPtrace},
                       {"capturing its packets", kNetRaw}},
                      kNetRaw, "netcorr"),
            "attaching to process 7 (uid 0, not yours) needs CAP_SYS_PTRACE: run netcorr as "
            "root (sudo), or grant it: sudo setcap cap_net_raw,cap_sys_ptrace+ep netcorr");
  // Steps that miss something are each named.
  EXPECT_EQ(GrantLine({{"running the command in network namespace /run/netns/blue", kSysAdmin},
                       {"capturing packets there", kNetRaw}},
                      kNone, "netcorr"),
            "running the command in network namespace /run/netns/blue needs CAP_SYS_ADMIN, "
            "capturing packets there needs CAP_NET_RAW: run netcorr as root (sudo), or grant "
            "them: sudo setcap cap_net_raw,cap_sys_admin+ep netcorr");
}

TEST(GrantLineTest, NothingMissingIsNoLine) {
  // The kernel refused for another reason (a user namespace, an LSM): no capability helps.
  EXPECT_EQ(GrantLine({{"capturing packets", kNetRaw}}, CapSet{true, true, true}, "netcorr"), "");
  EXPECT_EQ(GrantLine({}, kNone, "netcorr"), "");
}

TEST(PrivilegesTest, RootHasEveryCapabilityItMayUse) {
  NETCORR_REQUIRE(::netcorr::testing::Root("root's capabilities"));
  const CapSet have = EffectiveCaps();
  EXPECT_TRUE(have.net_raw && have.sys_admin && have.sys_ptrace);
  EXPECT_EQ(CaptureDeniedLine("", "the kernel's words"), "the kernel's words");
}

}  // namespace
}  // namespace netcorr::cli
