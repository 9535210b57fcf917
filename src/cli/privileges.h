#pragma once

// Which capabilities a session needs beyond an ordinary user's rights, and the one line that
// tells a user without them exactly what to grant. What each step needs was measured with file
// capabilities on a copy of the binary run by an unprivileged user (docs/privileges.md):
//
//   capture (AF_PACKET socket)                      CAP_NET_RAW
//   entering another network namespace (setns)      CAP_SYS_ADMIN  (-p PID elsewhere, --netns)
//   ptrace of another user's process                CAP_SYS_PTRACE (also of one's own under
//                                                   kernel.yama.ptrace_scope >= 1)
//   launching one's own program                     nothing (the child is netcorr's)

#include <sys/types.h>

#include <string>
#include <vector>

namespace netcorr::cli {

struct CapSet {
  bool net_raw = false;
  bool sys_admin = false;
  bool sys_ptrace = false;

  bool empty() const { return !net_raw && !sys_admin && !sys_ptrace; }
  CapSet operator|(const CapSet& o) const {
    return {net_raw || o.net_raw, sys_admin || o.sys_admin, sys_ptrace || o.sys_ptrace};
  }
  // The capabilities of this set that `have` lacks.
  CapSet Minus(const CapSet& have) const {
    return {net_raw && !have.net_raw, sys_admin && !have.sys_admin, sys_ptrace && !have.sys_ptrace};
  }
};

// netcorr's effective capabilities (capget), of the three it may use.
CapSet EffectiveCaps();

// What capturing needs: CAP_NET_RAW, and CAP_SYS_ADMIN when the capture runs in a network
// namespace other than netcorr's own.
CapSet CaptureNeeds(bool other_netns);

// One step of a session and the capabilities it needs.
struct Need {
  std::string what;  // "capturing packets in process 42's network namespace"
  CapSet caps;
};

// "attaching to process 42 (uid 0) needs CAP_SYS_PTRACE, capturing packets needs CAP_NET_RAW:
// run netcorr as root (sudo), or grant them: sudo setcap cap_net_raw,cap_sys_ptrace+ep
// /usr/bin/netcorr". Names only the steps with a capability `have` lacks; the setcap line
// holds every step's and what `have` holds already, since setcap replaces the file's set.
// `exe` is netcorr's path. "" when nothing is missing (the refusal has another cause, such as
// a user namespace): the caller then says what the kernel said.
std::string GrantLine(const std::vector<Need>& needs, const CapSet& have, const std::string& exe);

// The one line for an attach the kernel refused (EPERM/EACCES): another tracer already holds
// the process (its TracerPid), Yama forbids it (kernel.yama.ptrace_scope), or it belongs to
// another user; with the capabilities to grant. `capture_needs` joins the setcap line so that
// one grant covers the whole session. "" when the cause is none of these.
std::string AttachDeniedLine(pid_t pid, const CapSet& capture_needs);

// The line for a capture the kernel refused: what `where` ("process 42's network namespace",
// "network namespace /run/netns/blue", "" for netcorr's own) needs and how to grant it, with
// the kernel's message `fallback` when no capability is missing.
std::string CaptureDeniedLine(const std::string& where, const std::string& fallback);
// The report's short reason: "no permission to capture packets (needs CAP_NET_RAW)".
std::string CaptureDeniedReason(bool other_netns);

// /proc/self/exe, for the setcap line ("netcorr" if unreadable).
std::string OwnExecutable();

}  // namespace netcorr::cli
