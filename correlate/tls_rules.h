#pragma once

#include <string>

#include "correlate/flow_state.h"
#include "correlate/rule_context.h"
#include "src/model/finding.h"
#include "src/model/protocol_names.h"

namespace netcorr::correlate {


// tls_alert: `alert` crossed the connection during or just before `call`. From the peer it is
// why the program's TLS library gave up; from us, why the program rejected the server.
Finding TlsAlertFinding(const SyscallEvent& call, const FlowKey& flow, const TcpConnection& conn,
                        const TlsAlertRecord& alert, bool from_peer);

}  // namespace netcorr::correlate
