#pragma once

#include <optional>

#include "correlate/flow_state.h"
#include "correlate/rule_context.h"
#include "src/model/finding.h"

namespace netcorr::correlate {

// How a TCP connect ended, as the program's calls tell it.
struct ConnectOutcome {
  enum class Ending : uint8_t {
    kReturned,      // a blocking connect returned (error or 0)
    kResolved,      // a non-blocking connect's outcome came from a later call (SO_ERROR...)
    kAppGaveUp,     // the program stopped waiting (poll timed out, then close) with no outcome
    kStillBlocked,  // still blocked (or still pending) when tracing stopped
  };
  SyscallEvent call;                        // the connect
  std::optional<SyscallEvent> resolved_by;  // the call that revealed or ended the outcome
  Ending ending = Ending::kReturned;
  int error = 0;      // errno of the outcome; 0 connected or unknown
  FlowKey flow;       // the program's view; local port 0 when unknown
  TimeNs end_ns = 0;  // when the program learnt the outcome
  // A parallel or next attempt by the same process to the same service (same port, another
  // address) that succeeded while this one failed or was abandoned (RFC 8305 Happy Eyeballs, a
  // client trying the next address): the connect that succeeded.
  std::optional<SyscallEvent> superseded_by;
  // EADDRNOTAVAIL: the local ports the program's flows towards flow.remote hold
  // (LocalPortsTowards, port_rules.h).
  uint32_t local_ports_in_use = 0;
};

// Explains a failed, hung or abandoned connect from its attempt's packets (`attempt`: the SYNs,
// answers and ICMP errors of this connect on the 5-tuple; null when nothing was captured).
// Returns nothing when there is nothing to explain (connected; slowness is path_rules' job).
std::optional<Finding> DecideConnect(const ConnectOutcome& outcome, const TcpConnection* attempt,
                                     const RuleContext& ctx);

// An attempt the program recovered from (outcome.superseded_by set): nothing failed, so `info`,
// or `slow` when waiting for it delayed the program by at least slow_call_ns.
void MarkSuperseded(Finding& f, const ConnectOutcome& outcome, const RuleContext& ctx);

}  // namespace netcorr::correlate
