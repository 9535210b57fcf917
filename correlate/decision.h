#pragma once

#include <optional>
#include <vector>

#include "correlate/flow_state.h"
#include "correlate/partial_flow.h"
#include "correlate/tcp_connect_rules.h"
#include "src/model/finding.h"
#include "src/model/syscall_event.h"

namespace netcorr::correlate {

// A call waiting for its evidence window to close, with what its socket said about it then.
struct Decision {
  SyscallEvent call;
  PartialFlow flow;
  std::optional<ConnectOutcome> connect;  // a TCP connect, with how it ended
  bool first_eof = false;                 // a read returning the socket's first end of stream
  // Waits: the flows of the sockets a timed-out (or blocked) wait was waiting on, and their fds.
  std::vector<PartialFlow> waited;
  std::vector<int> waited_fds;
  // Not a call: the process `call.pid` is gone (exited by itself, or ended by netcorr when
  // `call.finished` is false); its stalled sockets are decided.
  bool process_gone = false;
  // The process exited (or was killed) at this time with the UDP socket still open: `call` is
  // its last call on it, and the socket is decided as if closed then.
  std::optional<TimeNs> exited_ns;
};

// What deciding a call found, and the flow record its evidence came from (null when it has no
// evidence): that record says whether those packets already explained another finding.
struct Explanation {
  Finding finding;
  FlowRecord* record = nullptr;
  int fd = -1;  // the socket it is about (for a wait: the waited socket that explains it)
};

}  // namespace netcorr::correlate
