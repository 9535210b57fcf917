#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "src/model/call_kind.h"
#include "src/model/endpoint.h"
#include "src/model/syscall_event.h"

namespace netcorr::socket_model {

// What a descriptor number refers to, as far as the decoder could tell.
enum class FdKind : uint8_t {
  kUnknown,  // nothing says (an strace log without -y, a number never seen)
  kSocket,
  kOther,  // a file, a pipe, an epoll instance...: its calls are not socket calls
};

// What is known about one descriptor of a process.
struct FdState {
  FdKind kind = FdKind::kUnknown;
  SocketIdentity identity;   // kSocket only
  bool nonblocking = false;  // O_NONBLOCK, kept current by socket/accept4 flags, fcntl, FIONBIO
  bool connected = false;    // a connect on it succeeded (or a pending one was resolved so)
  // SO_LINGER on with a timeout: close() may block until the data is sent or the time is up.
  // Without it, close() of a socket returns 0 at once (the connection ends in the background).
  bool close_may_block = false;
  // The decoder's handle of a connect that returned EINPROGRESS and whose outcome no call has
  // revealed yet (the tracer's call id, the strace reader's event index).
  std::optional<uint64_t> pending_connect;
  // Which socket: descriptors made by dup, fcntl(F_DUPFD) or fork share it, a new socket() or
  // accept() gets a new one. 0 for non-sockets.
  uint64_t serial = 0;
};

// A non-blocking connect's final outcome, revealed by a later call on its socket.
struct ConnectResolution {
  uint64_t connect = 0;  // the pending_connect handle
  int error = 0;         // 0: connected; else the errno the connect ended with
};

// One process's descriptor table (threads share one; fork copies it). No I/O: the decoders
// (the tracer from ptrace and /proc, the strace reader from text) tell it what each call did,
// and the rules of what that means live here once, so a live session and `netcorr analyze`
// cannot drift apart. Copyable.
class FdTable {
 public:
  FdState* Find(int fd);
  const FdState* Find(int fd) const;
  // The state when the fd is a socket; nullptr otherwise.
  FdState* FindSocket(int fd);

  // A descriptor learnt from outside the calls (/proc, an strace decoration): replaces whatever
  // the number held before.
  FdState& Learn(int fd, FdKind kind);
  // socket(family, type, protocol) returned fd. `type` may carry SOCK_NONBLOCK/SOCK_CLOEXEC.
  FdState& OpenSocket(int fd, int family, int type, int protocol);
  // accept/accept4 on `listener` returned fd: the new socket has the listener's family, type and
  // protocol, and its local address when the listener is bound to a specific one.
  FdState& OpenAccepted(int fd, const SocketIdentity& listener, bool nonblocking);

  // close(fd). The number is released even when close() reports an error.
  void Close(int fd);
  // close_range(first, last, flags); CLOSE_RANGE_CLOEXEC only marks them, nothing closes now.
  void CloseRange(uint64_t first, uint64_t last, uint64_t flags);
  // dup2/dup3/F_DUPFD: `to` now refers to what `from` does. The pending connect stays with the
  // original descriptor: its outcome is reported once.
  void Duplicate(int from, int to);
  void SetNonblocking(int fd, bool nonblocking);
  void SetCloseMayBlock(int fd, bool may_block);

  // epoll_ctl(epfd, op, target): only socket targets are remembered.
  void EpollCtl(int epfd, int op, int target);
  // The sockets registered in an epoll set, by increasing fd.
  std::vector<int> EpollMembers(int epfd) const;
  // The sockets among `fds` with their identities, in the order given: what a poll/select/epoll
  // wait waits on.
  std::vector<FdSocket> SocketsAmong(std::span<const int> fds) const;

  // A forked child's copy: the same sockets, no pending connect (the parent's call owns it).
  FdTable ForkedCopy() const;

  // connect(fd, destination) entered: the flow it starts.
  void ConnectStarted(int fd, const std::optional<Endpoint>& destination);
  // A call on fd returned. Decides a pending non-blocking connect when the call reveals its
  // outcome (see ConnectOutcome), and starts one when a connect says EINPROGRESS.
  // `so_error`: the value a getsockopt(SO_ERROR) read; `connected_now`: whether the kernel now
  // reports a peer, when the decoder can ask.
  std::optional<ConnectResolution> CallReturned(int fd, CallKind kind, uint64_t call_handle,
                                                int error, std::optional<int> so_error = {},
                                                std::optional<bool> connected_now = {});

  size_t size() const { return fds_.size(); }

 private:
  FdState& Fresh(int fd, FdKind kind);

  absl::flat_hash_map<int, FdState> fds_;
  absl::flat_hash_map<int, absl::flat_hash_set<int>> epoll_;  // epoll fd -> socket fds
};

}  // namespace netcorr::socket_model
