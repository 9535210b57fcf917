#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "correlate/flow_key.h"
#include "correlate/flow_state.h"
#include "correlate/partial_flow.h"
#include "src/model/syscall_event.h"

namespace netcorr::correlate {

// TCP or UDP for an IP socket, from its transport or else its family and type; kUnknown for
// anything else.
Transport TransportOf(const SocketIdentity& s);

// A traced process's socket as its calls showed it.
struct SocketState {
  SocketIdentity identity;
  std::optional<Endpoint> peer;   // connect()'s address
  std::vector<Endpoint> sent_to;  // sendto destinations of an unconnected socket, bounded
  std::optional<NormalizedFlowKey> registered;
  std::optional<std::pair<Transport, uint16_t>> registered_port;  // unconnected sockets
  bool eof_seen = false;
  // UDP: the last call on the socket, for a DNS query still unanswered when the process exits
  // without closing it.
  std::optional<SyscallEvent> last_call;
};

// The calls whose packets are their own evidence: they connect to, send to or receive from a
// peer (the address they name, if any, is that peer).
bool CarriesTraffic(CallKind kind);

// The key of a process's fd.
uint64_t SocketKey(int32_t pid, int fd);

// The flow a call on a socket is about: the socket's own ends, else the address the call names
// (connect, send, receive), else the socket's connect() address; with an unconnected socket's
// sendto destinations. Empty (kUnknown) for a null state.
PartialFlow FlowFor(const SyscallEvent& call, const SocketState* state);

// Every IP socket of the traced processes by (pid, fd), and which captured flows they keep
// open: a flow an open socket may still talk on is not forgotten.
class SocketTable {
 public:
  struct Observed {
    SocketState* state = nullptr;  // null: not an IP socket, or not known and not shown
    bool replaced = false;         // the fd now names another socket than before
  };
  // The state of the socket `call` acts on, updated with the identity the call shows.
  Observed Observe(const SyscallEvent& call);
  SocketState* Find(int32_t pid, int fd);

  // The socket's flow (or, unconnected, its local port) stays open while the socket does.
  void Register(SocketState& s);
  // A closed fd, and every fd of a process that is gone.
  void Forget(int32_t pid, int fd);
  void ForgetProcess(int32_t pid);
  // The sockets a process still has open.
  std::vector<const SocketState*> SocketsOf(int32_t pid) const;
  // A destination an unconnected socket sent to (the last few are kept).
  static void AddDestination(SocketState& s, const Endpoint& destination);

  // What the sockets say about a captured flow, for its expiry.
  FlowTable::FlowUse UseOf(const NormalizedFlowKey& key) const;
  // After flows expired: forget that they were closed.
  void ForgetExpired(const FlowTable& flows);

 private:
  void Unregister(SocketState& s);

  absl::flat_hash_map<uint64_t, SocketState> sockets_;
  absl::flat_hash_map<NormalizedFlowKey, int> open_flows_;
  absl::flat_hash_set<NormalizedFlowKey> closed_flows_;
  absl::flat_hash_map<std::pair<Transport, uint16_t>, int> open_ports_;
};

}  // namespace netcorr::correlate
