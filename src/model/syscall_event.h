#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "src/model/call_kind.h"
#include "src/model/endpoint.h"
#include "src/model/time.h"

namespace netcorr {

// What a file descriptor that is a socket refers to, as strace -yy shows it.
struct SocketIdentity {
  uint64_t inode = 0;
  int family = 0;  // AF_INET, AF_INET6, AF_UNIX, AF_NETLINK...
  int type = 0;    // SOCK_STREAM, SOCK_DGRAM... (without SOCK_NONBLOCK/SOCK_CLOEXEC)
  Transport transport = Transport::kUnknown;  // for AF_INET/AF_INET6
  std::optional<Endpoint> local;
  std::optional<Endpoint> remote;
  std::string unix_path;  // AF_UNIX: the bound or peer path, "@name" for abstract sockets

  // The flow as far as it is known (both ends set), for matching packets.
  std::optional<FlowKey> Flow() const;
  // strace -yy style: "TCP:[10.0.0.1:40000->10.0.0.2:80]", "UDPv6:[[::1]:53]",
  // "UNIX:[12345,/run/x.sock]", "socket:[12345]" when nothing more is known.
  std::string ToString() const;

  friend bool operator==(const SocketIdentity&, const SocketIdentity&) = default;
};

struct FdSocket {
  int fd = -1;
  SocketIdentity socket;
};

// One traced system call: its entry, and its exit unless it was still blocked when tracing
// stopped. A plain value; the tracer fills it, the correlator and report read it.
struct SyscallEvent {
  uint64_t id = 0;  // unique within a session, increasing in entry order
  int32_t pid = 0;  // thread group id
  int32_t tid = 0;
  std::string name;  // "connect", "recvfrom", ...: for display; rules switch on `kind`
  CallKind kind = CallKind::kOther;
  TimeNs entry_ns = 0;
  TimeNs exit_ns = 0;     // when unfinished: the time tracing stopped
  bool finished = true;   // false: still blocked in the kernel when tracing stopped

  int fd = -1;  // the socket fd the call acts on; -1 when none
  std::optional<SocketIdentity> socket;  // that fd's socket, after the call
  // connect/sendto/sendmsg: destination; bind: local address; accept/recvfrom/recvmsg: peer.
  std::optional<Endpoint> address;
  std::string args;  // decoded arguments for display, strace-like, without the fd

  int64_t result = 0;  // the return value when the call succeeded
  int error = 0;       // errno when it failed, 0 otherwise
  bool nonblocking = false;  // the socket had O_NONBLOCK at entry

  // Calls that wait (poll, select, epoll_wait): the sockets waited on.
  std::vector<FdSocket> waited;

  // A call that revealed the final outcome of an earlier non-blocking connect (getsockopt
  // SO_ERROR, or a read/write/poll on the pending socket): that connect's id and its outcome
  // (0 connected, else the errno).
  std::optional<uint64_t> resolves_call;
  int resolved_error = 0;

  // Not a traced call: an operation ptrace cannot see (submitted through io_uring), described
  // from its packets alone for a finding based on them (EvidenceBasis::kPacketsOnly). Its id is
  // 0, its times are its first and last packet's, and it has no result or errno of its own.
  bool unseen = false;

  bool failed() const { return finished && error != 0; }
  bool has_result() const { return finished && error == 0 && !unseen; }
  TimeNs duration_ns() const { return exit_ns - entry_ns; }
};

// Something that happened to a traced process rather than a call it made.
struct ProcessEvent {
  enum class Kind : uint8_t { kStarted, kAttached, kExec, kExited, kKilled, kDetached };
  Kind kind = Kind::kStarted;
  int32_t pid = 0;
  TimeNs time_ns = 0;
  int status = 0;  // exit code, or signal number for kKilled
  std::string detail;  // the program path for kStarted/kExec
  int32_t parent_pid = 0;  // kStarted: the traced process that forked it (0: launched by netcorr)
  std::vector<FdSocket> sockets;  // kAttached: the sockets the process had open at attach time
  // The process ended (or was detached) after netcorr began to stop tracing (--duration,
  // Ctrl-C): what it was waiting for, netcorr interrupted; it did not give up by itself.
  bool ended_by_netcorr = false;
};

}  // namespace netcorr
