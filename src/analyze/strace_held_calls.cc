// Holding calls until their socket's ends are known (strace_assembler.h has the bound): -yy
// decorates an fd at the call's entry, so the connect that gave a socket its address shows no
// local end and a later call does. Calls leave for the reorder buffer once that can no longer
// change them.

#include <sys/socket.h>

#include <algorithm>

#include "src/analyze/strace_assembler.h"

namespace netcorr::analyze {

namespace {

bool IsStream(const SocketIdentity& s) {
  return s.type == SOCK_STREAM || s.transport == Transport::kTcp;
}

// Nothing a later call shows can change the call any more: Backfill() copies only missing
// ends, and a datagram socket keeps no remote (it can be connected to another peer later), nor
// does a listening one.
bool Settled(const SyscallEvent& ev, const SocketIdentity& socket, bool listening) {
  if (!ev.socket || socket.family == AF_UNIX) return true;
  return ev.socket->local && (ev.socket->remote || listening || !IsStream(socket));
}

}  // namespace

void Assembler::Backfill(const FdState& s) {
  auto it = instances_.find(s.serial);
  if (it == instances_.end() || !it->second.addressed) return;
  Instance& inst = it->second;
  const bool stream = IsStream(s.identity);
  std::vector<uint64_t> waiting;
  for (uint64_t id : inst.held) {
    auto h = held_.find(id);
    if (h == held_.end()) continue;
    SyscallEvent& ev = h->second.ev;
    if (ev.socket && ev.socket->inode == s.identity.inode) {
      if (!ev.socket->local && s.identity.local) ev.socket->local = s.identity.local;
      // A datagram socket can be connected to another peer later: only streams keep one remote.
      if (stream && !ev.socket->remote && s.identity.remote) ev.socket->remote = s.identity.remote;
    }
    if (!Settled(ev, s.identity, inst.listening)) {
      waiting.push_back(id);
      continue;
    }
    HeldCall done = std::move(h->second);
    held_.erase(h);
    EmitCall(std::move(done.ev), done.order);
  }
  inst.held = std::move(waiting);
}

void Assembler::ReleaseHeld(uint64_t id) {
  auto h = held_.find(id);
  if (h == held_.end()) return;
  HeldCall done = std::move(h->second);
  held_.erase(h);
  EmitCall(std::move(done.ev), done.order);
}

void Assembler::ReleaseSocket(uint64_t serial) {
  auto it = instances_.find(serial);
  if (it == instances_.end()) return;
  for (uint64_t id : it->second.held) ReleaseHeld(id);
  instances_.erase(it);
}

void Assembler::ReleaseProcess(int32_t tgid) {
  std::vector<uint64_t> serials;
  for (const auto& [serial, inst] : instances_) {
    if (inst.tgid == tgid) serials.push_back(serial);
  }
  std::sort(serials.begin(), serials.end());
  for (uint64_t serial : serials) ReleaseSocket(serial);
}

void Assembler::Record(SyscallEvent ev, FdState* s, bool addresses_socket) {
  if (s == &orphan_) ev.socket.reset();  // nothing is known of its socket
  ev.id = next_call_id_++;
  const uint64_t order = next_order_++;
  if (s == nullptr || s == &orphan_ || s->serial == 0) {
    EmitCall(std::move(ev), order);
    return;
  }
  auto [it, inserted] = instances_.try_emplace(s->serial);
  Instance& inst = it->second;
  if (inserted) inst.tgid = ev.pid;
  if (addresses_socket) inst.addressed = true;
  if (ev.kind == CallKind::kListen && ev.finished && ev.error == 0) inst.listening = true;
  // Before the socket had an address, later decorations tell nothing about this call.
  const uint64_t id = ev.id;
  if (!inst.addressed || Settled(ev, s->identity, inst.listening)) {
    EmitCall(std::move(ev), order);
  } else {
    held_.emplace(id, HeldCall{order, std::move(ev)});
    held_order_.push_back(id);
    inst.held.push_back(id);
    if (inst.held.size() > kMaxHeldPerSocket) {
      // The bound: a socket whose ends never show (no -yy, a socket the log never closes) holds
      // only its last calls.
      const uint64_t oldest = inst.held.front();
      inst.held.erase(inst.held.begin());
      ReleaseHeld(oldest);
    }
  }
  while (!held_order_.empty() &&
         (!held_.contains(held_order_.front()) || held_order_.front() + kMaxHeldAge < id)) {
    ReleaseHeld(held_order_.front());
    held_order_.pop_front();
  }
}

}  // namespace netcorr::analyze
