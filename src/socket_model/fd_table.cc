#include "src/socket_model/fd_table.h"

#include <sys/epoll.h>
#include <sys/socket.h>

#include <cerrno>

#include <algorithm>
#include <atomic>

#include "src/model/socket_names.h"
#include "src/socket_model/connect_outcome.h"

namespace netcorr::socket_model {
namespace {

// Serials only need to differ between sockets; one counter for every table keeps forked
// copies and their parent's sockets comparable.
uint64_t NextSerial() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

constexpr int kSocketTypeMask = 0xf;  // without SOCK_NONBLOCK / SOCK_CLOEXEC

}  // namespace

FdState* FdTable::Find(int fd) {
  auto it = fds_.find(fd);
  return it == fds_.end() ? nullptr : &it->second;
}

const FdState* FdTable::Find(int fd) const {
  auto it = fds_.find(fd);
  return it == fds_.end() ? nullptr : &it->second;
}

FdState* FdTable::FindSocket(int fd) {
  FdState* s = Find(fd);
  return s != nullptr && s->kind == FdKind::kSocket ? s : nullptr;
}

FdState& FdTable::Fresh(int fd, FdKind kind) {
  Close(fd);
  FdState& s = fds_[fd];
  s.kind = kind;
  if (kind == FdKind::kSocket) s.serial = NextSerial();
  return s;
}

FdState& FdTable::Learn(int fd, FdKind kind) { return Fresh(fd, kind); }

FdState& FdTable::OpenSocket(int fd, int family, int type, int protocol) {
  FdState& s = Fresh(fd, FdKind::kSocket);
  s.identity.family = family;
  s.identity.type = type & kSocketTypeMask;
  s.identity.transport = TransportFor(family, type, protocol);
  s.nonblocking = (type & SOCK_NONBLOCK) != 0;
  return s;
}

FdState& FdTable::OpenAccepted(int fd, const SocketIdentity& listener, bool nonblocking) {
  FdState& s = Fresh(fd, FdKind::kSocket);
  s.identity.family = listener.family;
  s.identity.type = listener.type;
  s.identity.transport = listener.transport;
  s.identity.unix_path = listener.unix_path;
  if (listener.local && !listener.local->addr.is_unspecified()) s.identity.local = listener.local;
  s.nonblocking = nonblocking;
  s.connected = true;
  return s;
}

void FdTable::Close(int fd) {
  fds_.erase(fd);
  epoll_.erase(fd);
  for (auto& [epfd, members] : epoll_) members.erase(fd);
}

void FdTable::CloseRange(uint64_t first, uint64_t last, uint64_t flags) {
  constexpr uint64_t kCloseRangeCloexec = 4;
  if ((flags & kCloseRangeCloexec) != 0) return;  // closed at exec, not now
  std::vector<int> doomed;
  for (const auto& [fd, state] : fds_) {
    if (fd >= 0 && static_cast<uint64_t>(fd) >= first && static_cast<uint64_t>(fd) <= last) {
      doomed.push_back(fd);
    }
  }
  for (int fd : doomed) Close(fd);
}

void FdTable::Duplicate(int from, int to) {
  if (from == to) return;
  const FdState* source = Find(from);
  if (source == nullptr) {
    Close(to);  // the new number refers to something we do not know
    return;
  }
  FdState copy = *source;
  copy.pending_connect.reset();
  Close(to);
  fds_[to] = std::move(copy);
}

void FdTable::SetNonblocking(int fd, bool nonblocking) {
  if (FdState* s = FindSocket(fd); s != nullptr) s->nonblocking = nonblocking;
}

void FdTable::SetCloseMayBlock(int fd, bool may_block) {
  if (FdState* s = FindSocket(fd); s != nullptr) s->close_may_block = may_block;
}

void FdTable::EpollCtl(int epfd, int op, int target) {
  if (FindSocket(target) == nullptr) return;
  if (op == EPOLL_CTL_ADD) epoll_[epfd].insert(target);
  if (op == EPOLL_CTL_DEL) {
    if (auto it = epoll_.find(epfd); it != epoll_.end()) it->second.erase(target);
  }
}

std::vector<int> FdTable::EpollMembers(int epfd) const {
  std::vector<int> fds;
  if (auto it = epoll_.find(epfd); it != epoll_.end()) fds.assign(it->second.begin(), it->second.end());
  std::sort(fds.begin(), fds.end());
  return fds;
}

std::vector<FdSocket> FdTable::SocketsAmong(std::span<const int> fds) const {
  std::vector<FdSocket> out;
  for (int fd : fds) {
    const FdState* s = Find(fd);
    if (s != nullptr && s->kind == FdKind::kSocket) out.push_back(FdSocket{fd, s->identity});
  }
  return out;
}

FdTable FdTable::ForkedCopy() const {
  FdTable copy = *this;
  for (auto& [fd, state] : copy.fds_) state.pending_connect.reset();
  return copy;
}

void FdTable::ConnectStarted(int fd, const std::optional<Endpoint>& destination) {
  FdState* s = FindSocket(fd);
  // A datagram socket may be connected again to another peer: the latest destination counts.
  if (s != nullptr && destination) s->identity.remote = destination;
}

std::optional<ConnectResolution> FdTable::CallReturned(int fd, CallKind kind,
                                                       uint64_t call_handle, int error,
                                                       std::optional<int> so_error,
                                                       std::optional<bool> connected_now) {
  FdState* s = FindSocket(fd);
  if (s == nullptr) return std::nullopt;
  std::optional<ConnectResolution> resolved;
  if (s->pending_connect) {
    if (std::optional<int> outcome = ConnectOutcome(kind, error, so_error, connected_now)) {
      resolved = ConnectResolution{*s->pending_connect, *outcome};
      s->pending_connect.reset();
      if (*outcome == 0) s->connected = true;
    }
  }
  if (kind == CallKind::kConnect) {
    if (error == 0) s->connected = true;
    if (error == EINPROGRESS) s->pending_connect = call_handle;
  }
  return resolved;
}

}  // namespace netcorr::socket_model
