#include "correlate/call_decisions.h"

#include <cerrno>

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

}  // namespace

std::optional<Explanation> DecideCall(Decision& d, FlowTable& flows, const RuleContext& ctx) {
  if (d.connect) return DecideConnectCall(d, flows, ctx);
  if (d.call.kind == CallKind::kWait) return DecideWait(d, flows, ctx);
  std::optional<Explanation> e;
  if (d.flow.transport == Transport::kTcp) {
    e = DecideTcpCall(d, flows, ctx);
  } else if (d.flow.transport == Transport::kUdp) {
    e = DecideUdpCall(d, flows, ctx);
  }
  if (!e && d.call.finished && IsNetworkErrno(d.call.error) && d.call.kind != CallKind::kClose) {
    e = Explanation{Unexplained(d.call, d.flow.Known(), d.call.error,
                                "no packet of this flow explains it", ctx)};
  }
  if (e && e->fd < 0) e->fd = d.call.fd;
  return e;
}

}  // namespace netcorr::correlate
