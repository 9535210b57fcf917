#include "src/socket_model/observed_identity.h"

namespace netcorr::socket_model {

bool MergeObserved(SocketIdentity& known, const SocketIdentity& seen) {
  const bool had_local = known.local.has_value();
  const bool had_remote = known.remote.has_value();
  if (seen.inode != 0) known.inode = seen.inode;
  if (seen.family != 0) known.family = seen.family;
  if (seen.type != 0) known.type = seen.type;
  if (seen.transport != Transport::kUnknown) known.transport = seen.transport;
  if (seen.remote) known.remote = seen.remote;
  if (seen.local) {
    const bool forgets_address = known.local && seen.local->addr.is_unspecified() &&
                                 !known.local->addr.is_unspecified() &&
                                 seen.local->port == known.local->port;
    if (!forgets_address) known.local = seen.local;
  }
  if (!seen.unix_path.empty()) known.unix_path = seen.unix_path;
  return (!had_local && known.local) || (!had_remote && known.remote);
}

}  // namespace netcorr::socket_model
