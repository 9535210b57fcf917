#include "src/analyze/strace_call_class.h"

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace netcorr::analyze {
namespace {

const absl::flat_hash_map<std::string, CallClass>& CallTable() {
  static const auto* table = new absl::flat_hash_map<std::string, CallClass>{
      {"socket", CallClass::kSocket},
      {"socketpair", CallClass::kSocketpair},
      {"connect", CallClass::kConnect},
      {"bind", CallClass::kBind},
      {"listen", CallClass::kListen},
      {"accept", CallClass::kAccept},
      {"accept4", CallClass::kAccept},
      {"shutdown", CallClass::kShutdown},
      {"close", CallClass::kClose},
      {"close_range", CallClass::kCloseRange},
      {"getsockopt", CallClass::kGetsockopt},
      {"setsockopt", CallClass::kSetsockopt},
      {"sendto", CallClass::kSend},
      {"send", CallClass::kSend},
      {"sendmsg", CallClass::kSendmsg},
      {"sendmmsg", CallClass::kSendmsg},
      {"recvfrom", CallClass::kRecv},
      {"recv", CallClass::kRecv},
      {"recvmsg", CallClass::kRecvmsg},
      {"recvmmsg", CallClass::kRecvmsg},
      {"read", CallClass::kIo},
      {"write", CallClass::kIo},
      {"readv", CallClass::kIo},
      {"writev", CallClass::kIo},
      {"poll", CallClass::kPoll},
      {"ppoll", CallClass::kPoll},
      {"select", CallClass::kSelect},
      {"_newselect", CallClass::kSelect},
      {"pselect6", CallClass::kSelect},
      {"epoll_wait", CallClass::kEpollWait},
      {"epoll_pwait", CallClass::kEpollWait},
      {"epoll_pwait2", CallClass::kEpollWait},
      {"epoll_ctl", CallClass::kEpollCtl},
      {"dup", CallClass::kDup},
      {"dup2", CallClass::kDup},
      {"dup3", CallClass::kDup},
      {"fcntl", CallClass::kFcntl},
      {"fcntl64", CallClass::kFcntl},
      {"ioctl", CallClass::kIoctl},
      {"getsockname", CallClass::kGetsockname},
      {"getpeername", CallClass::kGetpeername},
      {"clone", CallClass::kClone},
      {"clone3", CallClass::kClone},
      {"fork", CallClass::kClone},
      {"vfork", CallClass::kClone},
      {"execve", CallClass::kExecve},
      {"io_uring_setup", CallClass::kIoUring},
      {"io_uring_enter", CallClass::kIoUring},
      {"io_uring_register", CallClass::kIoUring},
      {"execveat", CallClass::kExecve},
      {"set_tid_address", CallClass::kSelfPid},
      {"getpid", CallClass::kSelfPid},
      {"rt_sigreturn", CallClass::kSigreturn},
      {"sigreturn", CallClass::kSigreturn},
      {"restart_syscall", CallClass::kRestartSyscall},
  };
  return *table;
}

}  // namespace

CallClass Classify(std::string_view name) {
  const auto& t = CallTable();
  auto it = t.find(absl::string_view(name.data(), name.size()));
  return it == t.end() ? CallClass::kIgnored : it->second;
}

}  // namespace netcorr::analyze
