#include "src/model/syscall_event.h"

#include <sys/socket.h>

#include "absl/strings/str_cat.h"

namespace netcorr {

std::optional<FlowKey> SocketIdentity::Flow() const {
  if (!local || !remote || transport == Transport::kUnknown) return std::nullopt;
  return FlowKey{transport, *local, *remote};
}

std::string SocketIdentity::ToString() const {
  if (family == AF_UNIX) {
    return unix_path.empty() ? absl::StrCat("UNIX:[", inode, "]")
                             : absl::StrCat("UNIX:[", inode, ",", unix_path, "]");
  }
  if (family == AF_NETLINK) return absl::StrCat("NETLINK:[", inode, "]");
  if (family != AF_INET && family != AF_INET6) return absl::StrCat("socket:[", inode, "]");
  std::string proto(TransportName(transport));
  if (family == AF_INET6) absl::StrAppend(&proto, "v6");
  if (!local) return absl::StrCat(proto, ":[", inode, "]");
  if (!remote) return absl::StrCat(proto, ":[", local->ToString(), "]");
  return absl::StrCat(proto, ":[", local->ToString(), "->", remote->ToString(), "]");
}

}  // namespace netcorr
