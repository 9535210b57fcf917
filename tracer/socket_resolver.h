#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "src/model/syscall_event.h"

namespace netcorr::tracer {

// What /proc/TID/fd/N says an fd is: the one cheap way to learn the kind of an fd the tracer
// did not see being created.
enum class FdLinkKind : uint8_t { kNone, kSocket, kEpoll, kOther };
struct FdLink {
  FdLinkKind kind = FdLinkKind::kNone;  // kNone: no such fd
  uint64_t inode = 0;           // socket inode for kSocket
};
FdLink ReadFdLink(pid_t tid, int fd);

struct ResolvedSocket {
  SocketIdentity identity;
  std::optional<bool> nonblocking;  // unset when not asked (the caller tracks it)
  // SO_LINGER on with a timeout (FdState::close_may_block); asked with `nonblocking`.
  std::optional<bool> close_may_block;
  // getpeername succeeded: connected (TCP past SYN_SENT) or a UDP default destination.
  bool connected = false;
};

// Resolves a tracee's socket exactly: pidfd_getfd() gives us a duplicate of the tracee's fd
// (same open file description), on which getsockname/getpeername/SO_DOMAIN/SO_TYPE/SO_PROTOCOL
// and F_GETFL answer for that one socket, in whatever network namespace it lives: no sock_diag
// table dump, no setns. The duplicate is closed before returning so the tracer never keeps a
// tracee's connection alive. Never reads SO_ERROR (that would clear the tracee's pending error).
// With `known` (family, type, transport and inode already learnt), only the addresses are
// fetched: 4 syscalls instead of 10, which is what a connect storm pays per connection.
// `want_local` / `want_peer` false skip getsockname / getpeername when the caller knows the
// answer already (a successful connect's peer is its destination).
absl::StatusOr<ResolvedSocket> ResolveSocket(int pidfd, int fd,
                                             const SocketIdentity* known = nullptr,
                                             bool want_local = true, bool want_peer = true);

// The socket inode only: pidfd_getfd + fstat, cheaper than reading /proc/TID/fd/N.
absl::StatusOr<uint64_t> SocketInode(int pidfd, int fd);

// Parses "socket:[12345]" style links; 0 when not a socket link. Exposed for tests.
uint64_t ParseSocketLink(const char* link);

}  // namespace netcorr::tracer
