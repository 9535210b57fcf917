#include "tests/world/world.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

extern char** environ;

namespace netcorr::testing {
namespace {

// Owns one file descriptor.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    reset(o.release());
    return *this;
  }
  ~UniqueFd() { reset(); }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

absl::Status ErrnoStatus(int err, const std::string& what) {
  return absl::ErrnoToStatus(err, what);
}

// ---- Teardown on abnormal exit -----------------------------------------------------------
// A fixed table, so that the signal handler reads it without allocating or locking.
constexpr int kMaxLiveWorlds = 32;
constexpr size_t kMaxNameLen = 32;
struct LiveWorld {
  std::atomic<bool> used{false};
  pid_t owner = 0;  // the process that made it: a forked child must not tear it down
  char name[kMaxNameLen] = {};
};
LiveWorld g_live[kMaxLiveWorlds];
char g_script_path[4096];
struct sigaction g_old_actions[NSIG];
constexpr int kTeardownSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGABRT};

// Async-signal-safe: fork + execve + waitpid only.
void DownAllLiveWorlds() {
  const pid_t self = getpid();
  for (LiveWorld& w : g_live) {
    if (!w.used.load() || w.owner != self || !w.used.exchange(false)) continue;
    pid_t pid = fork();
    if (pid == 0) {
      char arg0[] = "networld.sh";
      char down[] = "down";
      char* const argv[] = {arg0, down, w.name, nullptr};
      execve(g_script_path, argv, environ);
      _exit(127);
    }
    if (pid > 0) {
      int status;
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
    }
  }
}

void OnFatalSignal(int sig) {
  DownAllLiveWorlds();
  // Let the signal do what it would have done (gtest's or the default action).
  sigaction(sig, &g_old_actions[sig], nullptr);
  raise(sig);
}

void InstallTeardownHandlersOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    const std::string script = NetworldScript();
    std::snprintf(g_script_path, sizeof(g_script_path), "%s", script.c_str());
    for (int sig : kTeardownSignals) {
      struct sigaction sa {};
      sa.sa_handler = OnFatalSignal;
      sigemptyset(&sa.sa_mask);
      sa.sa_flags = SA_RESETHAND;
      sigaction(sig, &sa, &g_old_actions[sig]);
    }
    // exit() without unwinding (e.g. a test calling exit) still tears down.
    std::atexit(DownAllLiveWorlds);
  });
}

// Slots are claimed and released under this mutex; the signal handler only reads a slot
// whose `used` flag it wins with exchange(), after the name was written.
std::mutex g_live_mu;

bool Register(const std::string& name) {
  if (name.size() >= kMaxNameLen) return false;
  std::lock_guard<std::mutex> lock(g_live_mu);
  for (LiveWorld& w : g_live) {
    if (w.used.load()) continue;
    std::memcpy(w.name, name.c_str(), name.size() + 1);
    w.owner = getpid();
    w.used.store(true);
    return true;
  }
  return false;
}

void Unregister(const std::string& name) {
  std::lock_guard<std::mutex> lock(g_live_mu);
  for (LiveWorld& w : g_live) {
    if (w.used.load() && w.owner == getpid() && name == w.name) w.used.store(false);
  }
}

std::string NodeLetter(Node node) {
  switch (node) {
    case Node::kClient:
      return "c";
    case Node::kRouter:
      return "r";
    case Node::kServer:
      return "s";
  }
  return "c";
}

}  // namespace

bool HaveRoot() { return geteuid() == 0; }

std::string NetworldScript() { return NETCORR_NETWORLD_SH; }

std::string ExamplePath(const std::string& program) {
  return absl::StrCat(NETCORR_EXAMPLES_DIR, "/", program);
}

absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         absl::Duration timeout,
                                         const std::vector<std::string>& env) {
  if (argv.empty()) return absl::InvalidArgumentError("RunCommand: empty argv");
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) return ErrnoStatus(errno, "pipe2");
  UniqueFd out_r(out_pipe[0]), out_w(out_pipe[1]);
  if (pipe2(err_pipe, O_CLOEXEC) != 0) return ErrnoStatus(errno, "pipe2");
  UniqueFd err_r(err_pipe[0]), err_w(err_pipe[1]);
  UniqueFd null_fd(open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (null_fd.get() < 0) return ErrnoStatus(errno, "open /dev/null");

  // Everything the child needs is built before fork(): after it only async-signal-safe calls.
  std::vector<char*> c_argv;
  for (const std::string& a : argv) c_argv.push_back(const_cast<char*>(a.c_str()));
  c_argv.push_back(nullptr);
  // `env` first: getenv() returns the first match, so these override inherited values.
  std::vector<char*> c_env;
  for (const std::string& e : env) c_env.push_back(const_cast<char*>(e.c_str()));
  for (char** e = environ; *e != nullptr; ++e) c_env.push_back(*e);
  c_env.push_back(nullptr);

  pid_t pid = fork();
  if (pid < 0) return ErrnoStatus(errno, "fork");
  if (pid == 0) {
    setpgid(0, 0);  // its own group, so a timeout kills everything it started
    dup2(null_fd.get(), STDIN_FILENO);
    dup2(out_w.get(), STDOUT_FILENO);
    dup2(err_w.get(), STDERR_FILENO);
    execvpe(c_argv[0], c_argv.data(), c_env.data());
    _exit(127);
  }
  setpgid(pid, pid);  // also from here: no race with the kill below
  out_w.reset();
  err_w.reset();

  CommandResult result;
  const auto deadline = std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(timeout);
  bool exited = false;
  int status = 0;
  // Once the command has exited (or was killed), a grandchild might still hold the pipes:
  // read for at most 200 ms more.
  auto drain_deadline = std::chrono::steady_clock::time_point::max();
  char buf[4096];
  while (out_r.get() >= 0 || err_r.get() >= 0) {
    const auto now = std::chrono::steady_clock::now();
    if (!exited && waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
      drain_deadline = std::min(drain_deadline, now + std::chrono::milliseconds(200));
    }
    if (!exited && !result.timed_out && now >= deadline) {
      kill(-pid, SIGKILL);
      result.timed_out = true;
      drain_deadline = now + std::chrono::milliseconds(200);
    }
    if (now >= drain_deadline) break;
    pollfd fds[2] = {{out_r.get(), POLLIN, 0}, {err_r.get(), POLLIN, 0}};
    int r = poll(fds, 2, 20);  // short, so exit and deadline are noticed promptly
    if (r < 0 && errno != EINTR) return ErrnoStatus(errno, "poll");
    for (int i = 0; i < 2 && r > 0; ++i) {
      if (fds[i].revents == 0) continue;
      UniqueFd& fd = i == 0 ? out_r : err_r;
      ssize_t n = read(fd.get(), buf, sizeof(buf));
      if (n > 0) {
        (i == 0 ? result.out : result.err).append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        fd.reset();
      }
    }
  }
  // The pipes are closed but the command may still run: wait for it until the deadline,
  // then SIGKILL its group (which ends it: the wait after that is short).
  while (!exited) {
    pid_t done = waitpid(pid, &status, result.timed_out ? 0 : WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) return ErrnoStatus(errno, "waitpid");
    if (!result.timed_out && std::chrono::steady_clock::now() >= deadline) {
      kill(-pid, SIGKILL);
      result.timed_out = true;
    } else if (!result.timed_out) {
      usleep(10000);
    }
  }
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.exit_code = 128 + WTERMSIG(status);
  }
  return result;
}

absl::StatusOr<std::unique_ptr<World>> World::Create() {
  if (!HaveRoot()) return absl::FailedPreconditionError("the test world needs root");
  InstallTeardownHandlersOnce();
  static std::atomic<int> counter{0};
  std::string name = absl::StrCat("nc", getpid(), "_", counter.fetch_add(1));
  std::unique_ptr<World> world(new World(name));
  absl::StatusOr<CommandResult> gc = world->Script({"gc"}, absl::Seconds(60));
  if (!gc.ok()) return gc.status();
  // Registered before `up`, so a signal during `up` still removes what was made.
  if (!Register(name)) return absl::ResourceExhaustedError("too many live worlds");
  absl::StatusOr<CommandResult> up =
      world->Script({"up", name, "--owner", std::to_string(getpid())}, absl::Seconds(30));
  if (!up.ok()) return up.status();
  return world;
}

World::~World() {
  absl::Status s = Down();
  if (!s.ok()) std::fprintf(stderr, "World %s: %s\n", name_.c_str(), s.ToString().c_str());
}

std::string World::NamespaceName(Node node) const {
  return absl::StrCat(name_, "-", NodeLetter(node));
}

std::string World::NamespacePath(Node node) const {
  return absl::StrCat("/run/netns/", NamespaceName(node));
}

absl::StatusOr<CommandResult> World::Script(const std::vector<std::string>& args,
                                            absl::Duration timeout) {
  std::vector<std::string> argv = {NetworldScript()};
  argv.insert(argv.end(), args.begin(), args.end());
  absl::StatusOr<CommandResult> r =
      RunCommand(argv, timeout, {absl::StrCat("NETCORR_EXAMPLES_DIR=", NETCORR_EXAMPLES_DIR)});
  if (!r.ok()) return r.status();
  if (r->exit_code != 0 || r->timed_out) {
    return absl::InternalError(absl::StrCat("networld.sh ", absl::StrJoin(args, " "), ": exit ",
                                            r->exit_code, r->timed_out ? " (timed out)" : "", ": ",
                                            r->err));
  }
  return r;
}

absl::Status World::Fault(const std::vector<std::string>& args) {
  std::vector<std::string> a = {"fault", name_};
  a.insert(a.end(), args.begin(), args.end());
  return Script(a, absl::Seconds(30)).status();
}

absl::Status World::Resolver(bool v6) {
  return Script({"resolver", name_, v6 ? "v6" : "v4"}, absl::Seconds(30)).status();
}

absl::Status World::Serve(const std::string& proto, int port) {
  return Script({"serve", name_, proto, std::to_string(port)}, absl::Seconds(30)).status();
}

absl::Status World::ServeDns(const std::vector<std::string>& flags) {
  std::vector<std::string> a = {"serve", name_, "dns"};
  a.insert(a.end(), flags.begin(), flags.end());
  return Script(a, absl::Seconds(30)).status();
}

absl::StatusOr<CommandResult> World::Exec(Node node, const std::vector<std::string>& argv,
                                          absl::Duration timeout) {
  std::vector<std::string> full = {NetworldScript(), "exec", name_, NodeLetter(node)};
  full.insert(full.end(), argv.begin(), argv.end());
  return RunCommand(full, timeout);
}

absl::Status World::Down() {
  if (down_ || getpid() != owner_) return absl::OkStatus();
  down_ = true;
  absl::Status s = Script({"down", name_}, absl::Seconds(60)).status();
  Unregister(name_);
  return s;
}

}  // namespace netcorr::testing
