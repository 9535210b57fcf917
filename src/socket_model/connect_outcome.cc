#include "src/socket_model/connect_outcome.h"

#include <cerrno>

namespace netcorr::socket_model {

bool LeavesConnectPending(int error) {
  return error == EAGAIN || error == EINPROGRESS || error == EALREADY || error == EINTR;
}

std::optional<int> ConnectOutcome(CallKind kind, int error, std::optional<int> so_error,
                                  std::optional<bool> connected_now) {
  switch (kind) {
    case CallKind::kGetsockopt:
      if (error != 0 || !so_error) return std::nullopt;
      if (*so_error != 0) return *so_error;
      if (connected_now.has_value() && !*connected_now) return std::nullopt;
      return 0;
    case CallKind::kConnect:
      if (error == 0 || error == EISCONN) return 0;
      if (LeavesConnectPending(error)) return std::nullopt;
      return error;
    case CallKind::kWait:
      return std::nullopt;
    case CallKind::kSend:
    case CallKind::kRecv:
      if (error == 0) return 0;
      if (LeavesConnectPending(error)) return std::nullopt;
      return error;
    default:
      return std::nullopt;
  }
}

}  // namespace netcorr::socket_model
