#include "tracer/syscall_table.h"

#include <sys/syscall.h>

#include "gtest/gtest.h"

namespace netcorr::tracer {
namespace {

TEST(SyscallTableTest, FindsByNumberAndName) {
  const SyscallEntry* connect = FindX86_64Syscall(42);
  ASSERT_NE(connect, nullptr);
  EXPECT_EQ(connect->name, "connect");
  EXPECT_EQ(connect->call, Call::kConnect);
  EXPECT_EQ(FindX86_64SyscallByName("sendmmsg")->nr, 307);
  EXPECT_EQ(FindX86_64Syscall(39 /* getpid */), nullptr);
  EXPECT_EQ(FindX86_64Syscall(~0ull), nullptr);
  EXPECT_EQ(FindX86_64SyscallByName("getpid"), nullptr);
}

TEST(SyscallTableTest, EveryEntryRoundTrips) {
  for (const SyscallEntry& e : X86_64Syscalls()) {
    EXPECT_EQ(FindX86_64Syscall(e.nr), &e) << e.name;
    EXPECT_EQ(FindX86_64SyscallByName(e.name), &e) << e.name;
  }
}

#if defined(__x86_64__)
TEST(SyscallTableTest, MatchesTheHostNumbers) {
  EXPECT_EQ(FindX86_64SyscallByName("socket")->nr, SYS_socket);
  EXPECT_EQ(FindX86_64SyscallByName("recvfrom")->nr, SYS_recvfrom);
  EXPECT_EQ(FindX86_64SyscallByName("epoll_pwait")->nr, SYS_epoll_pwait);
  EXPECT_EQ(FindX86_64SyscallByName("dup3")->nr, SYS_dup3);
  EXPECT_EQ(FindX86_64SyscallByName("ppoll")->nr, SYS_ppoll);
  EXPECT_EQ(FindX86_64SyscallByName("readv")->nr, SYS_readv);
}
#endif

}  // namespace
}  // namespace netcorr::tracer
