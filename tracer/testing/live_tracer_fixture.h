#pragma once

// What the live tracer tests (tracer_*_test.cc) share: a sink that records everything, loopback
// listeners the tests own, and the fixture that launches tracer/testdata/tracer_helper.cc.
// Test-only: linked into the test executables, never into netcorr_tracer.

#include <sys/socket.h>
#include <sys/types.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "tracer/testing/recording_sink.h"
#include "tracer/tracer.h"

namespace netcorr::tracer {

using testing::RecordingSink;

// A loopback socket the test owns: a closed port for refusals, or a live server.
class Listener {
 public:
  Listener(int family, int type);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // A TCP port nobody listens on. It stays bound (not listening) for the whole test run, and
  // is below the ephemeral range so that a connect can never pick it as its own source port
  // (a TCP self-connect to an unused ephemeral port succeeds). Root only, like these tests.
  static int ClosedPort(int family);
  // An unused port for a server the test starts (free when asked).
  static int FreePort();

  int port() const { return port_; }
  std::string host() const { return family_ == AF_INET ? "127.0.0.1" : "::1"; }

  // Answers each TCP connection's first message (or each datagram) with the same bytes.
  // `silent`: accept and keep the connection open without answering.
  void ServeEcho(bool silent = false);

 private:
  int family_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread server_;
};

// Launches the helper under the tracer; needs root (ptrace), and fails without it.
class TracerTest : public ::testing::Test {
 protected:
  void SetUp() override;
  // Runs `tracer_helper args...` traced into sink_; the helper's exit status.
  absl::StatusOr<int> RunHelper(const std::vector<std::string>& args);

  RecordingSink sink_;
};

// "State: ... TracerPid: N" from /proc/PID/status.
std::string ProcState(pid_t pid);

}  // namespace netcorr::tracer
