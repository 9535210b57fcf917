#include "correlate/call_decisions.h"

#include <cerrno>

#include "correlate/dns_rules.h"
#include "correlate/unexplained.h"

namespace netcorr::correlate {

namespace {

// Errnos that say something about the network; a failing call with one of them that no rule
// explains is reported as unexplained rather than dropped.
bool IsNetworkErrno(int err) {
  switch (err) {
    case ECONNREFUSED:
    case ECONNRESET:
    case ECONNABORTED:
    case ETIMEDOUT:
    case EHOSTUNREACH:
    case ENETUNREACH:
    case ENETDOWN:
    case EPIPE:
    case EMSGSIZE:
    case EADDRNOTAVAIL:
    case EACCES:
    case EPERM:
      return true;
    default:
      return false;
  }
}

// A wait that timed out (or is still blocked): the first of the sockets it waited on whose
// flow explains why nothing came.
std::optional<Explanation> DecideWait(const Decision& d, FlowTable& flows, const RuleContext& ctx) {
  for (size_t i = 0; i < d.waited.size(); ++i) {
    const PartialFlow& f = d.waited[i];
    std::optional<Explanation> e = f.transport == Transport::kTcp
                                       ? DecideTcpWait(d.call, f, flows, ctx)
                                       : DecideUdpSilence(d.call, f, flows, ctx);
    if (e) {
      e->fd = i < d.waited_fds.size() ? d.waited_fds[i] : -1;
      return e;
    }
  }
  return std::nullopt;
}

// A connect that failed: a TCP retry of a truncated DNS answer is the lookup's failure, told
// as one dns_error (or folded into the one already told).
std::optional<Explanation> DecideConnectOrDnsRetry(Decision& d, FlowTable& flows,
                                                   const RuleContext& ctx) {
  std::optional<Explanation> e = DecideConnectCall(d, flows, ctx);
  if (!e) return e;
  TcpRetryVerdict retry = TruncatedAnswerRetryFailed(e->finding, flows);
  if (!retry.applies) return e;
  if (!retry.finding) return std::nullopt;
  e->finding = *std::move(retry.finding);
  return e;
}

// Without a capture no packet can explain anything: every failing or hanging socket call is
// told as the syscalls show it (basis syscalls_only), never dropped and never guessed at.
std::optional<Explanation> DecideWithoutCapture(const Decision& d, const RuleContext& ctx) {
  if (d.connect) {
    const ConnectOutcome& o = *d.connect;
    const bool connected = o.error == 0 && (o.ending == ConnectOutcome::Ending::kReturned ||
                                            o.ending == ConnectOutcome::Ending::kResolved);
    if (connected) return std::nullopt;
    Finding f = WithoutPackets(o.call, d.flow.Known(), o.error, ctx);
    f.resolved_by = o.resolved_by;
    return Explanation{std::move(f)};
  }
  const SyscallEvent& call = d.call;
  if (d.exited_ns) return std::nullopt;  // its last call was decided on its own
  if (call.kind == CallKind::kWait || call.kind == CallKind::kClose ||
      call.kind == CallKind::kAccept) {
    return std::nullopt;  // waiting, closing, and a server waiting for clients are normal
  }
  // A blocking socket answering EAGAIN is a receive or send timeout (SO_RCVTIMEO/SO_SNDTIMEO).
  const bool timed_out = call.finished && call.error == EAGAIN && !call.nonblocking;
  if (call.finished && !timed_out && !IsNetworkErrno(call.error)) return std::nullopt;
  return Explanation{WithoutPackets(call, d.flow.Known(), call.error, ctx)};
}

}  // namespace

std::optional<Explanation> DecideCall(Decision& d, FlowTable& flows, const RuleContext& ctx) {
  if (!ctx.capture.available) return DecideWithoutCapture(d, ctx);
  if (d.connect) return DecideConnectOrDnsRetry(d, flows, ctx);
  if (d.call.kind == CallKind::kWait) return DecideWait(d, flows, ctx);
  std::optional<Explanation> e;
  if (d.flow.transport == Transport::kTcp) {
    e = DecideTcpCall(d, flows, ctx);
  } else if (d.flow.transport == Transport::kUdp) {
    e = DecideUdpCall(d, flows, ctx);
  }
  // A close, or a process exit decided on its last call, says nothing of that call's own errno.
  if (!e && d.call.finished && IsNetworkErrno(d.call.error) && d.call.kind != CallKind::kClose &&
      !d.exited_ns) {
    e = Explanation{Unexplained(d.call, d.flow.Known(), d.call.error,
                                "no packet of this flow explains it", ctx)};
  }
  if (e && e->fd < 0) e->fd = d.call.fd;
  return e;
}

}  // namespace netcorr::correlate
