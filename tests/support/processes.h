#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace netcorr::testing {

// Small process helpers for end-to-end tests that start programs they do not wait for.

// Starts argv (argv[0] a path) in the network namespace at `netns_path`, stdin and stdout on
// /dev/null (stderr kept, or to `stderr_path` when given), without waiting for it.
pid_t SpawnIn(const std::string& netns_path, const std::vector<std::string>& argv,
              const std::string& stderr_path = "");

// Waits up to `timeout` for `pid` to exit; its wait status, or -1 if it is still running.
int WaitFor(pid_t pid, std::chrono::milliseconds timeout);

// The one-letter state of /proc/PID/stat: 't' is stopped by a tracer, 'T' by a signal.
char ProcessState(pid_t pid);

// Kills and reaps a process this test started.
void Reap(pid_t pid);

// The whole file, "" when it cannot be read.
std::string ReadFile(const std::string& path);

// A private temporary directory, removed with what it holds when this goes out of scope.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace netcorr::testing
