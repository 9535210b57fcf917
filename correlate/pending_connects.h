#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "correlate/partial_flow.h"
#include "src/model/syscall_event.h"
#include "src/model/time.h"

namespace netcorr::correlate {

// A non-blocking connect (EINPROGRESS) whose outcome no call has revealed yet.
struct PendingConnect {
  SyscallEvent call;
  PartialFlow flow;
  std::optional<SyscallEvent> timed_out_wait;  // a poll on it that timed out, if any
  std::optional<SyscallEvent> blocked_wait;    // a poll on it still blocked when tracing stopped
  uint64_t socket_key = 0;                     // SocketKey of the connect's fd
};

// The pending non-blocking connects, by call id and by the socket they are pending on (a later
// connect on the same socket takes the socket over).
class PendingConnects {
 public:
  void Add(PendingConnect p);
  // The connect `connect_id`, taken out: a later call revealed its outcome.
  std::optional<PendingConnect> Take(uint64_t connect_id);
  // The connect pending on a socket, taken out (the socket is closed), or left in (Find).
  std::optional<PendingConnect> TakeBySocket(uint64_t socket_key);
  PendingConnect* FindBySocket(uint64_t socket_key);
  // The socket's fd now names another socket: no later call on it is about the connect.
  void ForgetSocket(uint64_t socket_key) { by_socket_.erase(socket_key); }
  // Taken out in call order: the connects of a process that is gone, or all of them.
  std::vector<PendingConnect> TakeProcess(int32_t pid);
  std::vector<PendingConnect> TakeAll();

  size_t size() const { return by_id_.size(); }
  // The earliest entry of a pending connect, or `bound` if later.
  TimeNs EarliestEntry(TimeNs bound) const;

 private:
  std::vector<PendingConnect> TakeSorted(const std::vector<uint64_t>& ids);

  absl::flat_hash_map<uint64_t, PendingConnect> by_id_;  // by connect call id
  absl::flat_hash_map<uint64_t, uint64_t> by_socket_;    // socket key -> connect id
};

}  // namespace netcorr::correlate
