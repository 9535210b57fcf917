#pragma once

#include <cstdint>
#include <string_view>

namespace netcorr {

// What a recorded call does to its socket, whatever its name on this architecture or in strace's
// text: the correlator, the report and the offline alignment switch on this, never on names.
enum class CallKind : uint8_t {
  kOther,       // recorded for display only (or not a socket call at all)
  kSocket,      // socket
  kSocketpair,  // socketpair
  kConnect,     // connect
  kBind,        // bind
  kListen,      // listen
  kAccept,      // accept, accept4
  kShutdown,    // shutdown
  kClose,       // close
  kGetsockopt,  // getsockopt (the tracer records SOL_SOCKET/SO_ERROR reads only)
  kSetsockopt,  // setsockopt
  kSend,        // write, writev, send, sendto, sendmsg, sendmmsg, sendfile
  kRecv,        // read, readv, recv, recvfrom, recvmsg, recvmmsg
  kWait,        // poll, ppoll, select, pselect6, epoll_wait, epoll_pwait, epoll_pwait2
  // io_uring_setup, io_uring_enter, io_uring_register: the operations submitted through the
  // ring (connect, send, recv...) never pass through a syscall ptrace could stop.
  kIoUring,
};

// The kind of a call by its name as strace and the kernel's tables spell it; kOther for names
// that are not socket calls.
CallKind CallKindOf(std::string_view name);

// "connect", "send", "wait"...: for messages and tests.
std::string_view CallKindName(CallKind kind);

}  // namespace netcorr
