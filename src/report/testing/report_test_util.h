#pragma once

// Builders of synthetic calls, packets and findings for the report's tests.

#include <cstdint>
#include <string>
#include <vector>

#include "src/model/finding.h"
#include "src/model/packet.h"
#include "src/model/syscall_event.h"
#include "src/report/report.h"

namespace netcorr::report::testing {

// 2026-11-28 12:00:00.123456789 UTC: times near today's, above 2^53 ns, so a JSON consumer that
// went through a double would be caught.
inline constexpr TimeNs kT0 = 1795867200LL * 1'000'000'000 + 123'456'789;
inline constexpr TimeNs kUs = 1'000;
inline constexpr TimeNs kMs = 1'000'000;
inline constexpr TimeNs kSec = 1'000'000'000;

Endpoint Ep(const std::string& ip, uint16_t port);
FlowKey TcpFlow(const std::string& local, uint16_t lport, const std::string& remote,
                uint16_t rport);
FlowKey UdpFlow(const std::string& local, uint16_t lport, const std::string& remote,
                uint16_t rport);

// A finished call on `fd` of pid 4242 (tid = pid); error 0 means it returned `result`.
SyscallEvent Call(uint64_t id, const std::string& name, int fd, TimeNs entry, TimeNs exit,
                  int error = 0, int64_t result = 0);
// The socket identity of a flow, attached to a call.
SocketIdentity SocketOf(const FlowKey& flow);

Packet Tcp(uint64_t id, TimeNs ts, const Endpoint& src, const Endpoint& dst, uint8_t flags,
           uint32_t seq, uint32_t ack = 0, uint32_t payload = 0);
Packet Udp(uint64_t id, TimeNs ts, const Endpoint& src, const Endpoint& dst, uint32_t payload);
Packet Dns(uint64_t id, TimeNs ts, const Endpoint& src, const Endpoint& dst, uint16_t dns_id,
           bool response, uint8_t rcode, const std::string& qname);
// An ICMP (or ICMPv6) error from `sender` to `to`, quoting `original`.
Packet Icmp(uint64_t id, TimeNs ts, const std::string& sender, const std::string& to, uint8_t type,
            uint8_t code, const FlowKey& original, bool v6 = false);

Finding MakeFinding(FindingKind kind, const SyscallEvent& call, std::vector<uint64_t> evidence,
                    const std::string& summary, const std::string& hint);

// Calls, packets and findings with nothing else: a session for timeline tests.
struct Events {
  std::vector<SyscallEvent> calls;
  std::vector<Packet> packets;
  std::vector<Finding> findings;
  ReportInput Input() const;
};

// One small, self-contained session per finding kind: the call, the packets that explain it,
// and the finding, with a fragment of the packet text each kind must show.
struct KindScenario {
  FindingKind kind;
  std::vector<SyscallEvent> calls;
  std::vector<Packet> packets;
  std::vector<Finding> findings;
  std::string expected_packet_text;  // "" when the kind has no packet evidence
  ReportInput Input() const;
};
KindScenario ScenarioFor(FindingKind kind);

// A richer session: a refused connect (SYN, RST inside the call), an unrelated UDP exchange, a
// connect still blocked after 21.3 s with three SYNs, an ICMP admin-prohibited from the router,
// a successful unrelated TCP exchange, and two processes (one exits 7, one killed by SIGKILL).
struct Session {
  std::vector<SyscallEvent> calls;
  std::vector<Packet> packets;
  std::vector<Finding> findings;
  std::vector<ProcessEvent> processes;
  ReportInput Input() const;
};
Session MakeSession();

// A docker container's first process, seen from the host: its own network namespace (named
// "blue" under /run/netns), pid 1 in its own PID namespace, a docker-ID.scope cgroup.
TargetNamespace ContainedNamespace();

// Drops ANSI escape sequences ("\x1b[...m").
std::string StripAnsi(const std::string& text);
std::vector<std::string> Lines(const std::string& text);

}  // namespace netcorr::report::testing
