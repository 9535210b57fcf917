#include <vector>

#include "correlate/call_decisions.h"
#include "correlate/path_rules.h"
#include "correlate/tcp_stream_rules.h"
#include "correlate/tls_rules.h"
#include "correlate/zero_window_rules.h"

namespace netcorr::correlate {

namespace {

// The tls_alert finding for an alert on `conn` that `call` sent or was told of, and that does
// not explain another call yet.
std::optional<Finding> AlertFinding(const SyscallEvent& call, const FlowKey& key,
                                    const TcpConnection& conn, const FlowRecord& record,
                                    const EvidenceWindow& window) {
  const int remote = NormalizedFlowKey::From(key).SideOf(key.remote);
  for (const TlsAlertRecord& a : conn.alerts) {
    if (record.Explained(a.ref.id) || a.description == 0) continue;  // 0: close_notify
    const bool from_peer = a.from_side == remote;
    const bool failing = call.kind == CallKind::kClose || (call.finished && call.error != 0);
    bool mine = false;
    if (from_peer) {
      mine = (call.kind == CallKind::kRecv && a.ref.ts <= window.LatestReceivedBy(call)) ||
             (failing && a.ref.ts <= window.LatestFor(call));
    } else {
      // Our alert answers what the peer sent last (its Certificate): the write that carried it
      // began after that arrived, so an earlier write (the Client Hello's), whose evidence
      // window also reaches the alert, is not the one. A received packet is captured before
      // any call can react to it: no clock slack here.
      mine = (call.kind == CallKind::kSend || call.kind == CallKind::kClose) &&
             window.Contains(call, a.ref.ts) && call.entry_ns >= a.other_data_before_ns;
    }
    if (mine) return TlsAlertFinding(call, key, conn, a, from_peer);
  }
  return std::nullopt;
}

}  // namespace

std::optional<Explanation> DecideTcpCall(const Decision& d, FlowTable& flows,
                                         const RuleContext& ctx) {
  const SyscallEvent& call = d.call;
  std::vector<FlowRecord*> records = d.flow.RecordsIn(flows);
  FlowRecord* record = records.empty() ? nullptr : records.front();
  std::optional<FlowKey> key;
  if (record && !d.flow.remotes.empty()) {
    key = ProgramFlow(record->key, d.flow.remotes.front());
  } else {
    key = d.flow.Known();
  }
  if (!key) return std::nullopt;

  TcpConnection* conn = nullptr;
  if (record) {
    // The connection alive during the call: the latest one that started before it ended.
    for (TcpConnection& c : record->tcp) {
      if (c.first_ts <= ctx.window().LatestFor(call)) conn = &c;
    }
  }
  if (conn) {
    if (std::optional<Finding> f = AlertFinding(call, *key, *conn, *record, ctx.window())) {
      return Explanation{std::move(*f), record};
    }
  }
  if (call.kind == CallKind::kClose) return std::nullopt;
  // A send held back by the peer's zero window: the retransmissions a shrinking window may
  // cause are not why it waited.
  if (conn) {
    if (std::optional<Finding> f = DecideZeroWindow(call, *key, *conn, ctx)) {
      return Explanation{std::move(*f), record};
    }
  }
  std::optional<Finding> f = DecideStreamCall(call, *key, conn, record, d.first_eof, ctx);
  if (!f) return std::nullopt;
  return Explanation{std::move(*f), record};
}

std::optional<Explanation> DecideTcpWait(const SyscallEvent& call, const PartialFlow& waited,
                                         FlowTable& flows, const RuleContext& ctx) {
  for (FlowRecord* r : waited.RecordsIn(flows)) {
    if (r->tcp.empty()) continue;
    if (std::optional<Finding> f = DecideZeroWindow(call, *waited.Known(), r->tcp.back(), ctx)) {
      return Explanation{std::move(*f), r};
    }
    if (std::optional<Finding> f = DecidePath(call, *waited.Known(), r->tcp.back(), *r, ctx)) {
      return Explanation{std::move(*f), r};
    }
  }
  return std::nullopt;
}

}  // namespace netcorr::correlate
