#pragma once

#include "src/model/syscall_event.h"

namespace netcorr::socket_model {

// Merges what a decoder just observed of a socket (from the kernel, or an strace decoration)
// into what was known. What the observation lacks is kept, because the kernel forgets things
// the capture still needs:
//   - while a TCP connect is in progress, and after it failed, the kernel reports no peer: the
//     destination the program asked for stays the remote end;
//   - a failed connect leaves the local address unspecified with the port kept: the source
//     address the SYN left from stays.
// Returns true when the merge made an end known that was not before.
bool MergeObserved(SocketIdentity& known, const SocketIdentity& seen);

}  // namespace netcorr::socket_model
