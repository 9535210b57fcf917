#pragma once

#include <linux/filter.h>

#include <vector>

#include "absl/status/statusor.h"

namespace netcorr::tracer {

// The classic BPF program the launched child installs: SECCOMP_RET_TRACE for the calls in
// syscall_table.h (with argument conditions where a call is hot and only some uses matter:
// fcntl only for F_SETFL/F_DUPFD*, ioctl only for FIONBIO, getsockopt only for SO_ERROR),
// SECCOMP_RET_ALLOW for everything else, so untraced calls never stop.
// Other architectures (i386, x32 processes) are allowed untraced rather than killed.
// Built with libseccomp in the parent, before fork, so the child only has to call prctl().
struct SeccompProgram {
  std::vector<sock_filter> instructions;
  sock_fprog prog() {
    return sock_fprog{static_cast<unsigned short>(instructions.size()), instructions.data()};
  }
};
absl::StatusOr<SeccompProgram> BuildSeccompProgram(bool trace_read_write = true);

}  // namespace netcorr::tracer
