#pragma once

// A throwaway three-namespace network ("world") for end-to-end tests:
//
//   client ns (NAME-c)  c0 ==== r0  router ns (NAME-r)  r1 ==== s0  server ns (NAME-s)
//   10.71.1.2/24, fd71:1::2/64      10.71.1.1 | 10.71.2.1      10.71.2.2/24, fd71:2::2/64
//
// The world is defined once, by tests/world/networld.sh; this class only drives that script
// (its path and the examples' build directory are compiled in), so a world brought up by hand,
// by the demo and by a test is the same world. Every world gets a unique short name, and is
// torn down by the destructor, by a SIGINT/SIGTERM/SIGHUP/SIGABRT handler or atexit, or — if the
// owner died by SIGKILL — by `networld.sh gc`, which World::Create() runs first.

#include <sys/types.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace netcorr::testing {

// Addresses of the world (also in docs/testing.md and networld.sh).
inline constexpr char kClientV4[] = "10.71.1.2";
inline constexpr char kRouterClientSideV4[] = "10.71.1.1";
inline constexpr char kRouterServerSideV4[] = "10.71.2.1";
inline constexpr char kServerV4[] = "10.71.2.2";
inline constexpr char kClientV6[] = "fd71:1::2";
inline constexpr char kRouterClientSideV6[] = "fd71:1::1";
inline constexpr char kRouterServerSideV6[] = "fd71:2::1";
inline constexpr char kServerV6[] = "fd71:2::2";
// On the client's link, owned by nobody (networld.sh fault host-absent): ARP / neighbour
// solicitations for them are never answered.
inline constexpr char kAbsentHostV4[] = "10.71.1.99";
inline constexpr char kAbsentHostV6[] = "fd71:1::99";

// Interface names, the same in every world (each lives inside its own namespace).
inline constexpr char kClientInterface[] = "c0";        // client ns, towards the router
inline constexpr char kRouterClientInterface[] = "r0";  // router ns, towards the client
inline constexpr char kRouterServerInterface[] = "r1";  // router ns, towards the server
inline constexpr char kServerInterface[] = "s0";        // server ns, towards the router

// Which namespace of the world a command runs in.
enum class Node { kClient, kRouter, kServer };

// Outcome of a command run to completion (or killed at its deadline).
struct CommandResult {
  int exit_code = -1;      // exit status; 128 + signal if killed by a signal
  bool timed_out = false;  // the deadline passed and the command's process group was killed
  std::string out;         // stdout
  std::string err;         // stderr
};

// True when running as root (namespaces, iptables); tests that need it fail without it
// (tests/support/requirements.h).
bool HaveRoot();

// Path to networld.sh and to a program built in examples/ (e.g. ExamplePath("tcp_client")).
std::string NetworldScript();
std::string ExamplePath(const std::string& program);

// Runs argv (argv[0] is a path or a name looked up in PATH) with stdin from /dev/null,
// capturing stdout/stderr, in its own process group; after `timeout` the group gets SIGKILL.
// `env` entries ("K=V") are added to the inherited environment.
absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         absl::Duration timeout,
                                         const std::vector<std::string>& env = {});

class World {
 public:
  // Removes worlds left by dead owners (`networld.sh gc`), then brings up a new uniquely
  // named world owned by this process.
  static absl::StatusOr<std::unique_ptr<World>> Create();

  World(const World&) = delete;
  World& operator=(const World&) = delete;
  ~World();  // Down(), errors logged to stderr

  const std::string& name() const { return name_; }
  // "NAME-c" / "NAME-r" / "NAME-s", and the file to setns() into ("/run/netns/NAME-c").
  std::string NamespaceName(Node node) const;
  std::string NamespacePath(Node node) const;

  // Switches on one fault: Fault({"reject-router", "host-unreach", "7003"}). The words are
  // those of `networld.sh fault NAME ...` (see docs/testing.md).
  absl::Status Fault(const std::vector<std::string>& args);
  // Points the client's glibc resolver at the server's IPv4 or IPv6 address (`networld.sh
  // resolver NAME v4|v6`): getaddrinfo in the client then asks the server, where `dns-drop`
  // and `dns-servfail` act.
  absl::Status Resolver(bool v6);
  // Starts a listener in the server namespace: Serve("tcp", 8080) starts the echo/HTTP server.
  absl::Status Serve(const std::string& proto, int port);
  // Starts dns_test_server on port 53 of the server namespace with its own flags
  // (`networld.sh serve NAME dns FLAGS`): ServeDns({"--mode", "refused"}); {} is the by-name
  // server the client's resolv.conf points at.
  absl::Status ServeDns(const std::vector<std::string>& flags = {});

  // Runs argv inside one namespace of the world (via `networld.sh exec`).
  absl::StatusOr<CommandResult> Exec(Node node, const std::vector<std::string>& argv,
                                     absl::Duration timeout);
  absl::StatusOr<CommandResult> RunInClient(const std::vector<std::string>& argv,
                                            absl::Duration timeout) {
    return Exec(Node::kClient, argv, timeout);
  }

  // Removes the namespaces and stops the servers this world started. Idempotent; does
  // nothing in a process forked from the one that created the world.
  absl::Status Down();

 private:
  explicit World(std::string name) : name_(std::move(name)), owner_(getpid()) {}
  absl::StatusOr<CommandResult> Script(const std::vector<std::string>& args,
                                       absl::Duration timeout);

  std::string name_;
  pid_t owner_;  // a child forked after Create() must not tear the world down
  bool down_ = false;
};

}  // namespace netcorr::testing
