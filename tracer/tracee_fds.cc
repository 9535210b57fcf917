// TraceLoop's view of a tracee's descriptors: the socket model fed from /proc and pidfd_getfd,
// and the calls' events handed to the sink.

#include <sys/socket.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "src/socket_model/observed_identity.h"
#include "tracer/trace_loop.h"

namespace netcorr::tracer {
namespace {

constexpr size_t kMaxSockaddr = sizeof(sockaddr_storage);

}  // namespace

using socket_model::FdKind;
using socket_model::FdState;

DecodedSockaddr TraceLoop::ReadSockaddr(pid_t tid, uint64_t addr, uint64_t len) {
  if (addr == 0) return DecodeSockaddr({});
  absl::StatusOr<std::vector<uint8_t>> bytes =
      os_->ReadMemory(tid, RemoteAddr{addr}, std::min<uint64_t>(len, kMaxSockaddr));
  if (!bytes.ok()) {
    DecodedSockaddr d;
    d.text = absl::StrCat("0x", absl::Hex(addr));
    return d;
  }
  return DecodeSockaddr(*bytes);
}

FdState* TraceLoop::Lookup(Tracee& t, int fd) {
  if (fd < 0) return nullptr;
  socket_model::FdTable& table = t.fds->table;
  if (FdState* known = table.Find(fd); known != nullptr) return known;
  const FdLink link = os_->ReadFdLink(t.tid, fd);
  if (link.kind == FdLinkKind::kNone) return nullptr;  // not open: nothing to cache
  if (link.kind != FdLinkKind::kSocket) return &table.Learn(fd, FdKind::kOther);
  FdState& learnt = table.Learn(fd, FdKind::kSocket);
  learnt.identity.inode = link.inode;
  Refresh(t, fd, learnt);
  return &learnt;
}

void TraceLoop::Refresh(Tracee& t, int fd, FdState& f, bool want_local, bool want_peer) {
  absl::StatusOr<ResolvedSocket> r =
      os_->ResolveSocket(t.tgid, fd, &f.identity, want_local, want_peer);
  if (!r.ok()) return;
  socket_model::MergeObserved(f.identity, r->identity);
  if (r->nonblocking) f.nonblocking = *r->nonblocking;
  if (r->close_may_block) f.close_may_block = *r->close_may_block;
  if (want_peer) f.connected = r->connected;
}

void TraceLoop::EraseFd(Tracee& t, int fd) {
  t.fds->table.Close(fd);
  t.fds->announced.erase(fd);
}

void TraceLoop::CallReturned(Tracee& t, int fd, InFlight& c, std::optional<int> so_error) {
  FdState* f = t.fds->table.FindSocket(fd);
  if (f == nullptr) return;
  SyscallEvent& ev = c.event;
  std::optional<bool> connected_now;
  bool refreshed = false;
  if (so_error == 0 && f->pending_connect) {
    // SO_ERROR 0 means "no error yet": ask the kernel whether there is a peer now.
    Refresh(t, fd, *f);
    refreshed = true;
    connected_now = f->connected;
  }
  std::optional<socket_model::ConnectResolution> resolved =
      t.fds->table.CallReturned(fd, ev.kind, ev.id, ev.error, so_error, connected_now);
  if (!resolved) return;
  ev.resolves_call = resolved->connect;
  ev.resolved_error = resolved->error;
  if (!refreshed) Refresh(t, fd, *f);  // the connect's outcome changed the socket's ends
  ev.socket = f->identity;
}

std::vector<FdSocket> TraceLoop::WaitedSockets(Tracee& t, const std::vector<int>& fds) {
  for (int fd : fds) Lookup(t, fd);  // learn the ones not seen yet
  return t.fds->table.SocketsAmong(fds);
}

void TraceLoop::Intent(Tracee& t, const InFlight& c, int fd, std::optional<Endpoint> remote,
                       std::optional<Endpoint> local) {
  const FdState* f = t.fds->table.FindSocket(fd);
  if (f == nullptr || (f->identity.family != AF_INET && f->identity.family != AF_INET6) ||
      !t.report || stopping_) {
    return;
  }
  TrafficIntent intent;
  intent.pid = t.tgid;
  intent.tid = t.tid;
  intent.syscall = std::string(c.entry->name);
  intent.transport = f->identity.transport;
  intent.remote = remote ? remote : f->identity.remote;
  intent.local = local ? local : f->identity.local;
  // connect/bind/listen always announce; sends only when their flow changed.
  auto flow = std::make_pair(intent.remote, intent.local);
  auto [it, inserted] = t.fds->announced.try_emplace(fd, flow);
  if (c.event.kind == CallKind::kSend && !inserted && it->second == flow) return;
  it->second = std::move(flow);
  sink_->BeforeTraffic(intent);
}

void TraceLoop::UnseenFlowsIntent(Tracee& t, const InFlight& c) {
  if (!t.report || stopping_) return;
  TrafficIntent intent;
  intent.pid = t.tgid;
  intent.tid = t.tid;
  intent.syscall = std::string(c.entry->name);
  intent.unseen_flows = true;
  sink_->BeforeTraffic(intent);
}

void TraceLoop::EmitUnfinished(Tracee& t, TimeNs when) {
  if (!t.call) return;
  InFlight c = std::move(*t.call);
  t.call.reset();
  if (!c.record) return;
  // Interrupted by a signal that then ended the thread (or tracing): it never completed.
  c.event.exit_ns = c.interrupted ? c.interrupted_ns : when;
  c.event.finished = false;
  if (t.report) sink_->OnSyscall(c.event);
}

void TraceLoop::Emit(Tracee& t, InFlight& c) {
  if (c.record && t.report && !stopping_) sink_->OnSyscall(c.event);
}

}  // namespace netcorr::tracer
