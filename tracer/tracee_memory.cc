#include "tracer/tracee_memory.h"

#include <sys/uio.h>

#include <cerrno>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace netcorr::tracer {

absl::StatusOr<std::vector<uint8_t>> ReadTracee(pid_t tid, RemoteAddr addr, size_t len) {
  if (addr.is_null()) return absl::InvalidArgumentError("NULL tracee address");
  if (len > (1u << 20)) return absl::InvalidArgumentError("tracee read too large");
  std::vector<uint8_t> out(len);
  if (len == 0) return out;
  iovec local{out.data(), len};
  iovec remote{reinterpret_cast<void*>(addr.value), len};
  const ssize_t n = process_vm_readv(tid, &local, 1, &remote, 1, 0);
  if (n < 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("process_vm_readv(pid=", tid, ", 0x",
                                                   absl::Hex(addr.value), ", ", len, ")"));
  }
  if (static_cast<size_t>(n) != len) {
    return absl::OutOfRangeError(absl::StrCat("short tracee read: ", n, " of ", len, " bytes"));
  }
  return out;
}

}  // namespace netcorr::tracer
