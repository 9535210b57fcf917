#pragma once

#include <cstdint>
#include <string_view>

namespace netcorr::analyze {

// What a call means to the strace reader. The recorded ones are the calls the live tracer
// records (tracer/syscall_table.h); the others only keep the socket model and the process
// bookkeeping right.
enum class CallClass : uint8_t {
  kIgnored,
  kSocket,
  kSocketpair,
  kConnect,
  kBind,
  kListen,
  kAccept,
  kShutdown,
  kClose,
  kCloseRange,
  kGetsockopt,
  kSetsockopt,
  kSend,     // sendto, send
  kSendmsg,  // sendmsg, sendmmsg
  kRecv,     // recvfrom, recv
  kRecvmsg,  // recvmsg, recvmmsg
  kIo,       // read, write, readv, writev: recorded on sockets only
  kPoll,
  kSelect,
  kEpollWait,
  kEpollCtl,
  kDup,
  kFcntl,
  kIoctl,
  kGetsockname,
  kGetpeername,
  kClone,
  kExecve,
  kSelfPid,  // set_tid_address, getpid: reveal the pid of a log without pid prefixes
  kSigreturn,
  kRestartSyscall,
  kIoUring,  // io_uring_setup, io_uring_enter, io_uring_register: recorded, no socket
};

CallClass Classify(std::string_view name);

}  // namespace netcorr::analyze
