#include "src/cli/privileges.h"

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "src/cli/proc_status.h"

namespace netcorr::cli {

namespace {

// The names as capabilities(7) and setcap(8) spell them.
std::vector<std::string> Names(const CapSet& caps, bool for_setcap) {
  std::vector<std::string> out;
  if (caps.net_raw) out.push_back(for_setcap ? "cap_net_raw" : "CAP_NET_RAW");
  if (caps.sys_admin) out.push_back(for_setcap ? "cap_sys_admin" : "CAP_SYS_ADMIN");
  if (caps.sys_ptrace) out.push_back(for_setcap ? "cap_sys_ptrace" : "CAP_SYS_PTRACE");
  return out;
}

std::string AndList(const std::vector<std::string>& names) {
  if (names.size() <= 1) return absl::StrJoin(names, "");
  return absl::StrCat(absl::StrJoin(names.begin(), names.end() - 1, ", "), " and ", names.back());
}

// kernel.yama.ptrace_scope; 0 when Yama is not built in (the file is then missing).
int YamaPtraceScope() {
  int scope = 0;
  const std::string text = ReadWholeFile("/proc/sys/kernel/yama/ptrace_scope");
  return absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &scope) ? scope : 0;
}

}  // namespace

CapSet EffectiveCaps() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (syscall(SYS_capget, &header, data) != 0) return {};
  const auto has = [&](int cap) { return (data[cap / 32].effective & (1u << (cap % 32))) != 0; };
  return {has(CAP_NET_RAW), has(CAP_SYS_ADMIN), has(CAP_SYS_PTRACE)};
}

CapSet CaptureNeeds(bool other_netns) { return {true, other_netns, false}; }

std::string GrantLine(const std::vector<Need>& needs, const CapSet& have, const std::string& exe) {
  std::vector<std::string> parts;
  CapSet all = have;
  size_t missing_count = 0;
  for (const Need& need : needs) {
    all = all | need.caps;
    const std::vector<std::string> missing = Names(need.caps.Minus(have), false);
    if (missing.empty()) continue;
    missing_count += missing.size();
    parts.push_back(absl::StrCat(need.what, " needs ", AndList(missing)));
  }
  if (parts.empty()) return "";
  return absl::StrCat(absl::StrJoin(parts, ", "), ": run netcorr as root (sudo), or grant ",
                      missing_count == 1 ? "it" : "them", ": sudo setcap ",
                      absl::StrJoin(Names(all, true), ","), "+ep ", exe);
}

std::string AttachDeniedLine(pid_t pid, const CapSet& capture_needs) {
  const std::string status = ReadWholeFile(absl::StrCat("/proc/", pid, "/status"));
  const std::vector<int64_t> tracer = StatusNumbers(status, "TracerPid:");
  if (!tracer.empty() && tracer.front() != 0) {
    // Only one tracer per process: no capability changes that.
    return absl::StrCat("cannot attach to process ", pid, ": it is already traced by process ",
                        tracer.front(), " (strace, gdb or another netcorr)");
  }
  const int scope = YamaPtraceScope();
  if (scope >= 3) {
    return absl::StrCat("cannot attach to process ", pid,
                        ": kernel.yama.ptrace_scope is 3, which forbids attaching for everyone "
                        "until reboot");
  }
  const std::vector<int64_t> uids = StatusNumbers(status, "Uid:");
  const bool other_user = uids.empty() || uids.front() != static_cast<int64_t>(getuid());
  std::string what;
  if (other_user) {
    what =
        absl::StrCat("attaching to process ", pid, " (uid ",
                     uids.empty() ? std::string("?") : absl::StrCat(uids.front()), ", not yours)");
  } else if (scope >= 1) {
    what = absl::StrCat("attaching to process ", pid, " under kernel.yama.ptrace_scope=", scope);
  } else {
    return "";
  }
  std::vector<Need> needs = {{what, CapSet{false, false, true}}};
  if (!capture_needs.empty()) needs.push_back({"capturing its packets", capture_needs});
  return GrantLine(needs, EffectiveCaps(), OwnExecutable());
}

std::string CaptureDeniedLine(const std::string& where, const std::string& fallback) {
  const std::string what = where.empty() ? "capturing packets" : "capturing packets in " + where;
  std::string line =
      GrantLine({{what, CaptureNeeds(!where.empty())}}, EffectiveCaps(), OwnExecutable());
  return line.empty() ? fallback : line;
}

std::string CaptureDeniedReason(bool other_netns) {
  const std::vector<std::string> missing =
      Names(CaptureNeeds(other_netns).Minus(EffectiveCaps()), false);
  if (missing.empty()) return "no permission to capture packets";
  return absl::StrCat("no permission to capture packets (needs ", AndList(missing), ")");
}

std::string OwnExecutable() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return "netcorr";
  return std::string(buf, static_cast<size_t>(n));
}

}  // namespace netcorr::cli
