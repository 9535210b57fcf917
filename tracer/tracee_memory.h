#pragma once

#include <sys/types.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "absl/status/statusor.h"

namespace netcorr::tracer {

// An address in a tracee's address space: never dereferenced here, only read through
// process_vm_readv (rr's remote_ptr idea: keep tracee pointers apart from ours).
struct RemoteAddr {
  uint64_t value = 0;
  bool is_null() const { return value == 0; }
};

// Reads exactly `len` bytes (callers bound it: never more than addrlen or a fixed cap).
// Fails (and reads nothing) on a short read, so a half-read struct is never decoded.
absl::StatusOr<std::vector<uint8_t>> ReadTracee(pid_t tid, RemoteAddr addr, size_t len);

// Reads one trivially copyable value.
template <typename T>
absl::StatusOr<T> ReadTraceeValue(pid_t tid, RemoteAddr addr) {
  absl::StatusOr<std::vector<uint8_t>> bytes = ReadTracee(tid, addr, sizeof(T));
  if (!bytes.ok()) return bytes.status();
  T v;
  std::memcpy(&v, bytes->data(), sizeof(T));
  return v;
}

}  // namespace netcorr::tracer
