#include "tracer/seccomp_filter.h"

#include <fcntl.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <string>

#include "absl/cleanup/cleanup.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tracer/syscall_table.h"

namespace netcorr::tracer {
namespace {

absl::Status Check(int rc, const std::string& what) {
  // libseccomp returns -errno.
  if (rc < 0) return absl::ErrnoToStatus(-rc, absl::StrCat("libseccomp ", what));
  return absl::OkStatus();
}

// Compare only the low 32 bits: these arguments are C ints and the upper half is not
// guaranteed to be clean.
scmp_arg_cmp IntArgEq(unsigned arg, uint32_t value) {
  return scmp_arg_cmp{arg, SCMP_CMP_MASKED_EQ, 0xffffffffu, value};
}

}  // namespace

absl::StatusOr<SeccompProgram> BuildSeccompProgram(bool trace_read_write) {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (ctx == nullptr) return absl::InternalError("seccomp_init failed");
  absl::Cleanup release = [ctx] { seccomp_release(ctx); };
  // A 32-bit program must not be killed by our filter; it simply runs untraced.
  if (absl::Status s =
          Check(seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ALLOW), "attr badarch");
      !s.ok()) {
    return s;
  }
  // A binary tree over syscall numbers instead of a linear chain: every untraced call of the
  // program runs this filter (unless the kernel's constant-action cache covers it), so its
  // length is paid per syscall.
  if (absl::Status s = Check(seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2), "attr optimize");
      !s.ok()) {
    return s;
  }
  const uint32_t trace = SCMP_ACT_TRACE(0);
  for (const SyscallEntry& e : X86_64Syscalls()) {
    const std::string what = absl::StrCat("rule ", std::string(e.name));
    absl::Status s;
    switch (e.call) {
      case Call::kRead:
      case Call::kWrite:
      case Call::kReadv:
      case Call::kWritev:
        if (trace_read_write) s = Check(seccomp_rule_add_exact(ctx, trace, e.nr, 0), what);
        break;
      case Call::kFcntl:
        for (uint32_t cmd : {F_SETFL, F_DUPFD, F_DUPFD_CLOEXEC}) {
          s.Update(Check(seccomp_rule_add_exact(ctx, trace, e.nr, 1, IntArgEq(1, cmd)), what));
        }
        break;
      case Call::kIoctl:
        s = Check(seccomp_rule_add_exact(ctx, trace, e.nr, 1, IntArgEq(1, FIONBIO)), what);
        break;
      case Call::kSigreturn:
        // Attach mode sees it anyway; a launched program pays no stop per signal for it (an
        // interrupted call is then decided by the next traced call, restart or not).
        break;
      case Call::kGetsockopt:
        s = Check(seccomp_rule_add_exact(ctx, trace, e.nr, 2, IntArgEq(1, SOL_SOCKET),
                                         IntArgEq(2, SO_ERROR)),
                  what);
        break;
      default:
        s = Check(seccomp_rule_add_exact(ctx, trace, e.nr, 0), what);
    }
    if (!s.ok()) return s;
  }
  // Export through a memfd: libseccomp 2.5 can only write the program to an fd.
  const int fd = memfd_create("netcorr-seccomp", MFD_CLOEXEC);
  if (fd < 0) return absl::ErrnoToStatus(errno, "memfd_create");
  absl::Cleanup close_fd = [fd] { close(fd); };
  if (absl::Status s = Check(seccomp_export_bpf(ctx, fd), "export"); !s.ok()) return s;
  const off_t size = lseek(fd, 0, SEEK_END);
  if (size <= 0 || size % sizeof(sock_filter) != 0) {
    return absl::InternalError("seccomp_export_bpf produced no program");
  }
  SeccompProgram p;
  p.instructions.resize(size / sizeof(sock_filter));
  if (pread(fd, p.instructions.data(), size, 0) != size) {
    return absl::ErrnoToStatus(errno, "reading the exported seccomp program");
  }
  return p;
}

}  // namespace netcorr::tracer
