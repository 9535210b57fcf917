#pragma once

#include <sys/ptrace.h>
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "src/model/endpoint.h"
#include "src/model/syscall_event.h"
#include "src/model/time.h"
#include "tracer/socket_resolver.h"
#include "tracer/tracee_memory.h"

namespace netcorr::tracer {

// Everything the trace loop asks the kernel about its tracees once they are traced: waiting
// for stops, the ptrace requests, /proc, tracee memory and socket identities. One seam (the
// idea of sandbox2's PidWaiter) so the loop's per-call and fork/exec logic runs in unit tests
// against a scripted fake, without root; LiveTraceeOs() is the real kernel.
class TraceeOs {
 public:
  virtual ~TraceeOs();

  // waitpid(-1, __WALL | (nohang ? WNOHANG : 0)): a tid, 0 when nothing is ready (nohang), or
  // -1 with errno set.
  virtual pid_t Wait(int* status, bool nohang) = 0;
  virtual std::optional<__ptrace_syscall_info> SyscallInfo(pid_t tid) = 0;
  virtual std::optional<unsigned long> EventMessage(pid_t tid) = 0;
  // PTRACE_SYSCALL when the next syscall stop is wanted, else PTRACE_CONT; `sig` is delivered.
  virtual void Resume(pid_t tid, bool to_next_syscall_stop, int sig) = 0;
  virtual void Listen(pid_t tid) = 0;
  virtual void Detach(pid_t tid, int sig) = 0;
  virtual void Interrupt(pid_t tid) = 0;
  // PTRACE_SEIZE: 0, or the errno.
  virtual int Seize(pid_t tid, int options) = 0;
  // tgkill(tgid, tid, sig); tid 0: kill(tgid, sig), to the whole process.
  virtual void Kill(pid_t tgid, pid_t tid, int sig) = 0;

  virtual bool ProcessExists(pid_t pid) = 0;
  // A number field of /proc/TID/status ("Tgid:", "PPid:", "TracerPid:"); 0 if the task is gone.
  virtual pid_t StatusField(pid_t tid, std::string_view field) = 0;
  virtual std::vector<int> TaskIds(pid_t pid) = 0;
  virtual std::vector<int> OpenFds(pid_t pid) = 0;
  virtual std::string ExePath(pid_t pid) = 0;
  virtual FdLink ReadFdLink(pid_t tid, int fd) = 0;

  virtual absl::StatusOr<std::vector<uint8_t>> ReadMemory(pid_t tid, RemoteAddr addr,
                                                          size_t len) = 0;
  // See socket_resolver.h; `tgid` names the process whose fd it is.
  virtual absl::StatusOr<ResolvedSocket> ResolveSocket(pid_t tgid, int fd,
                                                       const SocketIdentity* known,
                                                       bool want_local, bool want_peer) = 0;
  virtual absl::StatusOr<uint64_t> SocketInode(pid_t tgid, int fd) = 0;
  // The source address the kernel picks from the tracee's namespace (source_address.h).
  virtual std::optional<IpAddress> SourceFor(pid_t tid, const Endpoint& destination) = 0;
  // The process is gone (or no longer traced): what was kept open for it can be released.
  virtual void ForgetProcess(pid_t tgid) = 0;

  virtual TimeNs Now() = 0;
};

std::unique_ptr<TraceeOs> LiveTraceeOs();

}  // namespace netcorr::tracer
