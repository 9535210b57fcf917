#include "tracer/syscall_table.h"

#include <sys/syscall.h>

#include <algorithm>
#include <array>

namespace netcorr::tracer {
namespace {

// Numbers from the x86-64 ABI. A table rather than a switch: one place to read, checked sorted,
// binary-searched (the same shape as sandbox2's syscall_defs.cc).
constexpr std::array kX86_64 = {
    SyscallEntry{0, "read", Call::kRead},
    SyscallEntry{1, "write", Call::kWrite},
    SyscallEntry{3, "close", Call::kClose},
    SyscallEntry{7, "poll", Call::kPoll},
    SyscallEntry{15, "rt_sigreturn", Call::kSigreturn},
    SyscallEntry{16, "ioctl", Call::kIoctl},
    SyscallEntry{19, "readv", Call::kReadv},
    SyscallEntry{20, "writev", Call::kWritev},
    SyscallEntry{23, "select", Call::kSelect},
    SyscallEntry{32, "dup", Call::kDup},
    SyscallEntry{33, "dup2", Call::kDup2},
    SyscallEntry{41, "socket", Call::kSocket},
    SyscallEntry{42, "connect", Call::kConnect},
    SyscallEntry{43, "accept", Call::kAccept},
    SyscallEntry{44, "sendto", Call::kSendto},
    SyscallEntry{45, "recvfrom", Call::kRecvfrom},
    SyscallEntry{46, "sendmsg", Call::kSendmsg},
    SyscallEntry{47, "recvmsg", Call::kRecvmsg},
    SyscallEntry{48, "shutdown", Call::kShutdown},
    SyscallEntry{49, "bind", Call::kBind},
    SyscallEntry{50, "listen", Call::kListen},
    SyscallEntry{53, "socketpair", Call::kSocketpair},
    SyscallEntry{54, "setsockopt", Call::kSetsockopt},
    SyscallEntry{55, "getsockopt", Call::kGetsockopt},
    SyscallEntry{72, "fcntl", Call::kFcntl},
    SyscallEntry{219, "restart_syscall", Call::kRestartSyscall},
    SyscallEntry{232, "epoll_wait", Call::kEpollWait},
    SyscallEntry{233, "epoll_ctl", Call::kEpollCtl},
    SyscallEntry{270, "pselect6", Call::kPselect6},
    SyscallEntry{271, "ppoll", Call::kPpoll},
    SyscallEntry{281, "epoll_pwait", Call::kEpollPwait},
    SyscallEntry{288, "accept4", Call::kAccept4},
    SyscallEntry{292, "dup3", Call::kDup3},
    SyscallEntry{299, "recvmmsg", Call::kRecvmmsg},
    SyscallEntry{307, "sendmmsg", Call::kSendmmsg},
    SyscallEntry{425, "io_uring_setup", Call::kIoUringSetup},
    SyscallEntry{426, "io_uring_enter", Call::kIoUringEnter},
    SyscallEntry{427, "io_uring_register", Call::kIoUringRegister},
    SyscallEntry{436, "close_range", Call::kCloseRange},
    SyscallEntry{441, "epoll_pwait2", Call::kEpollPwait2},
};

constexpr bool SortedByNumber() {
  for (size_t i = 1; i < kX86_64.size(); ++i) {
    if (kX86_64[i - 1].nr >= kX86_64[i].nr) return false;
  }
  return true;
}
static_assert(SortedByNumber(), "kX86_64 must be sorted by number for binary search");

#if defined(__x86_64__)
// On an x86-64 host, the table must agree with the C library's numbers.
static_assert(SYS_connect == 42 && SYS_accept4 == 288 && SYS_recvmmsg == 299 &&
              SYS_sendmmsg == 307 && SYS_close_range == 436 && SYS_epoll_pwait2 == 441 &&
              SYS_restart_syscall == 219 && SYS_pselect6 == 270 && SYS_io_uring_setup == 425 &&
              SYS_io_uring_enter == 426 && SYS_io_uring_register == 427);
#endif

}  // namespace

std::span<const SyscallEntry> X86_64Syscalls() { return kX86_64; }

const SyscallEntry* FindX86_64Syscall(uint64_t nr) {
  auto it = std::lower_bound(
      kX86_64.begin(), kX86_64.end(), nr,
      [](const SyscallEntry& e, uint64_t n) { return static_cast<uint64_t>(e.nr) < n; });
  if (it == kX86_64.end() || static_cast<uint64_t>(it->nr) != nr) return nullptr;
  return &*it;
}

const SyscallEntry* FindX86_64SyscallByName(std::string_view name) {
  for (const SyscallEntry& e : kX86_64) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

}  // namespace netcorr::tracer
