// The real kernel behind TraceeOs: ptrace, waitpid, /proc, process_vm_readv and pidfd_getfd.

#include <dirent.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "tracer/source_address.h"
#include "tracer/tracee_os.h"

namespace netcorr::tracer {

TraceeOs::~TraceeOs() = default;

namespace {

std::vector<int> ListDirNumbers(const std::string& dir) {
  std::vector<int> out;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    out.push_back(std::atoi(e->d_name));
  }
  closedir(d);
  return out;
}

class Live final : public TraceeOs {
 public:
  ~Live() override {
    for (auto& [tgid, fd] : pidfds_) close(fd);
  }

  pid_t Wait(int* status, bool nohang) override {
    return waitpid(-1, status, __WALL | (nohang ? WNOHANG : 0));
  }
  std::optional<__ptrace_syscall_info> SyscallInfo(pid_t tid) override {
    __ptrace_syscall_info info{};
    if (ptrace(PTRACE_GET_SYSCALL_INFO, tid, sizeof(info), &info) <= 0) return std::nullopt;
    return info;
  }
  std::optional<unsigned long> EventMessage(pid_t tid) override {
    unsigned long msg = 0;
    if (ptrace(PTRACE_GETEVENTMSG, tid, 0, &msg) != 0) return std::nullopt;
    return msg;
  }
  void Resume(pid_t tid, bool to_next_syscall_stop, int sig) override {
    // ESRCH: the tracee was killed meanwhile; Wait will report it.
    ptrace(to_next_syscall_stop ? PTRACE_SYSCALL : PTRACE_CONT, tid, 0, sig);
  }
  void Listen(pid_t tid) override { ptrace(PTRACE_LISTEN, tid, 0, 0); }
  void Detach(pid_t tid, int sig) override { ptrace(PTRACE_DETACH, tid, 0, sig); }
  void Interrupt(pid_t tid) override { ptrace(PTRACE_INTERRUPT, tid, 0, 0); }
  int Seize(pid_t tid, int options) override {
    return ptrace(PTRACE_SEIZE, tid, 0, options) == 0 ? 0 : errno;
  }
  void Kill(pid_t tgid, pid_t tid, int sig) override {
    if (tid == 0) {
      kill(tgid, sig);
    } else {
      syscall(SYS_tgkill, tgid, tid, sig);
    }
  }

  bool ProcessExists(pid_t pid) override { return kill(pid, 0) == 0 || errno != ESRCH; }
  pid_t StatusField(pid_t tid, std::string_view field) override {
    std::ifstream in(absl::StrCat("/proc/", tid, "/status"));
    std::string line;
    while (std::getline(in, line)) {
      if (line.compare(0, field.size(), field) == 0) {
        return static_cast<pid_t>(std::atoi(line.c_str() + field.size()));
      }
    }
    return 0;
  }
  std::vector<int> TaskIds(pid_t pid) override {
    return ListDirNumbers(absl::StrCat("/proc/", pid, "/task"));
  }
  std::vector<int> OpenFds(pid_t pid) override {
    return ListDirNumbers(absl::StrCat("/proc/", pid, "/fd"));
  }
  std::string ExePath(pid_t pid) override {
    char buf[4096];
    const ssize_t n = readlink(absl::StrCat("/proc/", pid, "/exe").c_str(), buf, sizeof(buf) - 1);
    if (n <= 0) return "";
    return std::string(buf, n);
  }
  FdLink ReadFdLink(pid_t tid, int fd) override { return tracer::ReadFdLink(tid, fd); }

  absl::StatusOr<std::vector<uint8_t>> ReadMemory(pid_t tid, RemoteAddr addr,
                                                  size_t len) override {
    return ReadTracee(tid, addr, len);
  }
  absl::StatusOr<ResolvedSocket> ResolveSocket(pid_t tgid, int fd, const SocketIdentity* known,
                                               bool want_local, bool want_peer) override {
    const int pidfd = PidfdOf(tgid);
    if (pidfd < 0) return absl::ErrnoToStatus(errno, absl::StrCat("pidfd_open(", tgid, ")"));
    return tracer::ResolveSocket(pidfd, fd, known, want_local, want_peer);
  }
  absl::StatusOr<uint64_t> SocketInode(pid_t tgid, int fd) override {
    const int pidfd = PidfdOf(tgid);
    if (pidfd < 0) return absl::ErrnoToStatus(errno, absl::StrCat("pidfd_open(", tgid, ")"));
    return tracer::SocketInode(pidfd, fd);
  }
  std::optional<IpAddress> SourceFor(pid_t tid, const Endpoint& destination) override {
    return sources_.SourceFor(tid, destination);
  }
  void ForgetProcess(pid_t tgid) override {
    if (auto it = pidfds_.find(tgid); it != pidfds_.end()) {
      close(it->second);
      pidfds_.erase(it);
    }
  }
  TimeNs Now() override { return NowRealtimeNs(); }

 private:
  // Opened once per process, for pidfd_getfd; -1 (errno set) when it cannot be.
  int PidfdOf(pid_t tgid) {
    if (auto it = pidfds_.find(tgid); it != pidfds_.end()) return it->second;
    const int fd = static_cast<int>(syscall(SYS_pidfd_open, tgid, 0));
    if (fd >= 0) pidfds_[tgid] = fd;
    return fd;
  }

  absl::flat_hash_map<pid_t, int> pidfds_;
  SourceAddressFinder sources_;
};

}  // namespace

std::unique_ptr<TraceeOs> LiveTraceeOs() { return std::make_unique<Live>(); }

}  // namespace netcorr::tracer
