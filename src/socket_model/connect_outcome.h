#pragma once

#include <optional>

#include "src/model/call_kind.h"

namespace netcorr::socket_model {

// Errors that leave a non-blocking connect still pending: the call that got them learnt nothing
// of the connect's fate.
bool LeavesConnectPending(int error);

// What a call on a socket with a pending non-blocking connect says of that connect: nullopt when
// nothing (still pending), 0 when it connected, else the errno it failed with.
//   connect again: 0 or EISCONN -> connected; EALREADY/EINPROGRESS -> pending; else its errno.
//   getsockopt(SO_ERROR): a non-zero value is the connect's errno; 0 means "no error yet", which
//     is "connected" only when the kernel reports a peer (`connected_now`; a decoder that cannot
//     ask, like the strace reader, passes nullopt and 0 counts as connected).
//   poll/select/epoll: readiness alone says neither success nor failure.
//   read/write/send/recv: data moving means connected; a hard error is the connect's outcome.
std::optional<int> ConnectOutcome(CallKind kind, int error, std::optional<int> so_error,
                                  std::optional<bool> connected_now);

}  // namespace netcorr::socket_model
