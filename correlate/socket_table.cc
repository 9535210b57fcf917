#include "correlate/socket_table.h"

#include <sys/socket.h>

#include "absl/algorithm/container.h"
#include "src/model/socket_names.h"
#include "src/socket_model/observed_identity.h"

namespace netcorr::correlate {

namespace {

constexpr size_t kMaxDestinationsPerSocket = 8;

}  // namespace

bool CarriesTraffic(CallKind kind) {
  return kind == CallKind::kConnect || kind == CallKind::kSend || kind == CallKind::kRecv;
}

Transport TransportOf(const SocketIdentity& s) {
  if (s.transport != Transport::kUnknown) return s.transport;
  return TransportFor(s.family, s.type, /*protocol=*/0);  // the type's default protocol
}

uint64_t SocketKey(int32_t pid, int fd) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(pid)) << 32) | static_cast<uint32_t>(fd);
}

PartialFlow FlowFor(const SyscallEvent& call, const SocketState* s) {
  PartialFlow f;
  if (s == nullptr) return f;
  f.transport = TransportOf(s->identity);
  f.local = s->identity.local;
  if (s->identity.remote) {
    f.remotes.push_back(*s->identity.remote);
  } else if (call.address && CarriesTraffic(call.kind)) {
    f.remotes.push_back(*call.address);
  } else if (s->peer) {
    f.remotes.push_back(*s->peer);
  }
  for (const Endpoint& e : s->sent_to) {
    if (absl::c_find(f.remotes, e) == f.remotes.end()) f.remotes.push_back(e);
  }
  return f;
}

SocketTable::Observed SocketTable::Observe(const SyscallEvent& call) {
  Observed out;
  if (call.fd < 0) return out;
  const uint64_t key = SocketKey(call.pid, call.fd);
  if (!call.socket) {
    out.state = Find(call.pid, call.fd);
    return out;
  }
  const SocketIdentity& id = *call.socket;
  if (id.family != AF_INET && id.family != AF_INET6 && TransportOf(id) == Transport::kUnknown) {
    return out;
  }
  SocketState& s = sockets_[key];
  if (id.inode != 0 && s.identity.inode != 0 && s.identity.inode != id.inode) {
    // The fd now names another socket (the close went unseen: close_range, exec): forget the
    // old one's state and let its flows expire.
    Unregister(s);
    s = SocketState{};
    out.replaced = true;
  }
  // What the call shows adds to what was known, by the rule the decoders share (a failed
  // connect leaves no peer, and may forget the source address).
  socket_model::MergeObserved(s.identity, id);
  out.state = &s;
  return out;
}

SocketState* SocketTable::Find(int32_t pid, int fd) {
  auto it = sockets_.find(SocketKey(pid, fd));
  return it == sockets_.end() ? nullptr : &it->second;
}

void SocketTable::Register(SocketState& s) {
  std::optional<FlowKey> key = s.identity.Flow();
  if (!key || key->local.addr.is_unspecified() || key->local.port == 0) {
    // An unconnected socket (a resolver's sendto socket bound to 0.0.0.0:port) talks on many
    // flows: protect every flow on its local port while it is open.
    const Transport t = TransportOf(s.identity);
    if (!s.registered_port && s.identity.local && s.identity.local->port != 0) {
      s.registered_port = std::make_pair(t, s.identity.local->port);
      ++open_ports_[*s.registered_port];
    }
    return;
  }
  const NormalizedFlowKey n = NormalizedFlowKey::From(*key);
  if (s.registered && *s.registered == n) return;
  Unregister(s);
  ++open_flows_[n];
  closed_flows_.erase(n);
  s.registered = n;
}

void SocketTable::Unregister(SocketState& s) {
  if (s.registered_port) {
    auto it = open_ports_.find(*s.registered_port);
    if (it != open_ports_.end() && --it->second <= 0) open_ports_.erase(it);
    s.registered_port.reset();
  }
  if (!s.registered) return;
  auto it = open_flows_.find(*s.registered);
  if (it != open_flows_.end() && --it->second <= 0) {
    open_flows_.erase(it);
    closed_flows_.insert(*s.registered);
  }
  s.registered.reset();
}

void SocketTable::Forget(int32_t pid, int fd) {
  auto it = sockets_.find(SocketKey(pid, fd));
  if (it == sockets_.end()) return;
  Unregister(it->second);
  sockets_.erase(it);
}

std::vector<const SocketState*> SocketTable::SocketsOf(int32_t pid) const {
  std::vector<const SocketState*> out;
  for (const auto& [key, state] : sockets_) {
    if (static_cast<int32_t>(key >> 32) == pid) out.push_back(&state);
  }
  return out;
}

void SocketTable::ForgetProcess(int32_t pid) {
  for (auto it = sockets_.begin(); it != sockets_.end();) {
    if (static_cast<int32_t>(it->first >> 32) == pid) {
      Unregister(it->second);
      sockets_.erase(it++);
    } else {
      ++it;
    }
  }
}

void SocketTable::AddDestination(SocketState& s, const Endpoint& destination) {
  if (absl::c_find(s.sent_to, destination) != s.sent_to.end()) return;
  s.sent_to.push_back(destination);
  if (s.sent_to.size() > kMaxDestinationsPerSocket) s.sent_to.erase(s.sent_to.begin());
}

FlowTable::FlowUse SocketTable::UseOf(const NormalizedFlowKey& k) const {
  if (open_flows_.contains(k) || open_ports_.contains({k.transport, k.a.port}) ||
      open_ports_.contains({k.transport, k.b.port})) {
    return FlowTable::FlowUse::kOpenSocket;
  }
  if (closed_flows_.contains(k)) return FlowTable::FlowUse::kClosedSocket;
  return FlowTable::FlowUse::kUnknown;
}

void SocketTable::ForgetExpired(const FlowTable& flows) {
  absl::erase_if(closed_flows_,
                 [&](const NormalizedFlowKey& k) { return flows.Find(k) == nullptr; });
}

}  // namespace netcorr::correlate
