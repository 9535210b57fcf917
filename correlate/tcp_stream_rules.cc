#include "correlate/tcp_stream_rules.h"

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "correlate/finding_text.h"
#include "correlate/icmp_rules.h"
#include "correlate/path_rules.h"
#include "correlate/unexplained.h"

namespace netcorr::correlate {

namespace {

StreamDetail Stream(const TcpConnection& c, int local, int remote) {
  StreamDetail s;
  s.bytes_sent = c.dir[local].bytes;
  s.bytes_received = c.dir[remote].bytes;
  s.rst_from_peer = c.dir[remote].rst.has_value();
  s.fin_from_peer = c.dir[remote].fin.has_value();
  s.fin_from_us = c.dir[local].fin.has_value();
  return s;
}

std::string Exchanged(const StreamDetail& s) {
  return absl::StrCat(s.bytes_sent, " bytes sent and ", s.bytes_received, " received");
}

std::string Outcome(const SyscallEvent& call) {
  if (call.error != 0) return absl::StrCat("failed with ", ErrnoTag(call.error));
  return absl::StrCat("returned ", call.result);
}

}  // namespace

std::optional<Finding> DecideStreamCall(const SyscallEvent& call, const FlowKey& flow,
                                        const TcpConnection* conn, const FlowRecord* record,
                                        bool first_eof, const RuleContext& ctx) {
  const NormalizedFlowKey key = NormalizedFlowKey::From(flow);
  const int local = key.SideOf(flow.local);
  const int remote = key.SideOf(flow.remote);
  const bool have = conn != nullptr && local >= 0 && remote >= 0 && local != remote;
  const TimeNs until = ctx.window().LatestFor(call);
  const int err = call.finished ? call.error : 0;

  if (err == ECONNRESET || err == EPIPE || err == ECONNABORTED) {
    // RFC 793 p.70 (ESTABLISHED/FIN-WAIT/CLOSE-WAIT): "If the RST bit is set then, any
    // outstanding RECEIVEs and SEND should receive 'reset' responses ... Users should also
    // receive an unsolicited general 'connection reset' signal" — ECONNRESET on the next read,
    // EPIPE on the next write once the socket is closed.
    if (have && conn->dir[remote].rst && conn->dir[remote].rst->ts <= until) {
      const TcpDirection& peer = conn->dir[remote];
      Finding f = NewFinding(FindingKind::kResetByPeer, call, flow, err);
      StreamDetail s = Stream(*conn, local, remote);
      s.idle_before_ns = peer.quiet_before_rst_ns;
      f.summary = absl::StrCat(CallName(call), " on ", flow.ToString(), " ", Outcome(call),
                               ": the peer reset the connection (RST) after ", Exchanged(s), ", ",
                               Seconds(s.idle_before_ns), " after the previous packet");
      f.hint = absl::StrCat("the server at ", flow.remote.ToString(),
                            " aborted the connection (it crashed, closed with unread data or "
                            "SO_LINGER 0, or a middlebox timed it out): check its logs around ",
                            FormatTimeOfDay(peer.rst->ts).substr(0, 12));
      f.stream = s;
      AddEvidence(f, *peer.rst);
      if (conn->syn_ack) AddEvidence(f, *conn->syn_ack);
      FinishEvidence(f);
      return f;
    }
    // RFC 793 CLOSE-WAIT: the peer's FIN means it will send no more; Linux answers a write after
    // the peer has fully closed with RST-then-EPIPE, or EPIPE once our side is shut.
    if (have && err == EPIPE && conn->dir[remote].fin && conn->dir[remote].fin->ts <= until) {
      Finding f = NewFinding(FindingKind::kClosedByPeer, call, flow, err);
      StreamDetail s = Stream(*conn, local, remote);
      s.idle_before_ns = conn->dir[remote].quiet_before_fin_ns;
      f.summary = absl::StrCat(CallName(call), " on ", flow.ToString(), " ", Outcome(call),
                               ": the peer had closed the connection (FIN) after ", Exchanged(s));
      f.hint = absl::StrCat("the server at ", flow.remote.ToString(),
                            " closed the connection while the program was still writing: check "
                            "its idle timeout and request limits");
      f.stream = s;
      AddEvidence(f, *conn->dir[remote].fin);
      FinishEvidence(f);
      return f;
    }
    if (have && err == EPIPE && conn->dir[local].fin) {
      return Unexplained(call, flow, err,
                         "no RST or FIN from the peer; this program had already shut down its own "
                         "sending side (FIN sent)",
                         ctx);
    }
    return Unexplained(call, flow, err, "no RST or FIN from the peer was captured", ctx);
  }

  if (call.finished && err == 0 && call.result == 0 && call.kind == CallKind::kRecv) {
    // RFC 793 CLOSE-WAIT: after the peer's FIN, "RECEIVE ... return 'error: connection
    // closing'" — a read returns 0, end of stream.
    if (!first_eof || !have || !conn->dir[remote].fin) return std::nullopt;
    const TcpDirection& peer = conn->dir[remote];
    if (conn->dir[local].fin && conn->dir[local].fin->ts < peer.fin->ts) {
      return std::nullopt;  // we closed first; the peer's FIN only completes our close
    }
    Finding f = NewFinding(FindingKind::kClosedByPeer, call, flow, 0);
    f.severity = FindingSeverity::kInfo;
    StreamDetail s = Stream(*conn, local, remote);
    s.idle_before_ns = peer.quiet_before_fin_ns;
    f.summary = absl::StrCat(CallName(call), " on ", flow.ToString(),
                             " returned 0 (end of stream): the peer closed the connection (FIN) "
                             "after ",
                             Exchanged(s));
    f.hint = absl::StrCat("the server at ", flow.remote.ToString(),
                          " closed the connection; if the program expected more data, check the "
                          "server's logs and its idle timeout");
    f.stream = s;
    AddEvidence(f, *peer.fin);
    FinishEvidence(f);
    return f;
  }

  // RFC 1122 4.2.3.9: soft ICMP errors during data transfer are reported when the retransmission
  // timer finally gives up (ETIMEDOUT, EHOSTUNREACH on the next call).
  if (have && err != 0 && !conn->icmp.empty() &&
      (err == EHOSTUNREACH || err == ENETUNREACH || err == ETIMEDOUT || err == ECONNREFUSED ||
       err == EACCES || err == EPERM)) {
    return IcmpUnreachable(call, flow, err, conn->icmp.back(), conn->dir[local].retransmits.items(),
                           ctx);
  }

  if (have && record != nullptr) {
    if (std::optional<Finding> f = DecidePath(call, flow, *conn, *record, ctx)) return f;
  }
  if (err == ETIMEDOUT || err == EHOSTUNREACH || err == ENETUNREACH) {
    return Unexplained(call, flow, err,
                       "no retransmission, RST or ICMP error of this connection was captured", ctx);
  }
  return std::nullopt;
}

}  // namespace netcorr::correlate
