#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace netcorr::tracer {

// The calls the tracer understands, independent of their number on an architecture.
enum class Call : uint8_t {
  kSocket,
  kSocketpair,
  kConnect,
  kBind,
  kListen,
  kAccept,
  kAccept4,
  kShutdown,
  kClose,
  kCloseRange,
  kGetsockopt,
  kSetsockopt,
  kSendto,
  kRecvfrom,
  kSendmsg,
  kRecvmsg,
  kSendmmsg,
  kRecvmmsg,
  kRead,
  kWrite,
  kReadv,
  kWritev,
  kPoll,
  kPpoll,
  kSelect,
  kPselect6,
  kEpollWait,
  kEpollPwait,
  kEpollPwait2,
  kEpollCtl,
  kDup,
  kDup2,
  kDup3,
  kFcntl,
  kIoctl,
  kIoUringSetup,     // io_uring_setup, io_uring_enter, io_uring_register: recorded so the
  kIoUringEnter,     // report can say what the program did that ptrace cannot see
  kIoUringRegister,
  kRestartSyscall,  // the kernel's continuation of an interrupted poll/select/nanosleep
  kSigreturn,       // a signal handler returning: an interrupted call restarts or fails after it
};

struct SyscallEntry {
  int nr;
  std::string_view name;
  Call call;
};

// The traced calls of x86-64, sorted by number (checked at compile time).
std::span<const SyscallEntry> X86_64Syscalls();

// Lookup by number on x86-64; nullptr for calls the tracer ignores.
const SyscallEntry* FindX86_64Syscall(uint64_t nr);
// Lookup by name; nullptr if the tracer does not know it.
const SyscallEntry* FindX86_64SyscallByName(std::string_view name);

}  // namespace netcorr::tracer
