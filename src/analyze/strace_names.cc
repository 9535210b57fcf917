#include "src/analyze/strace_names.h"

#include <signal.h>
#include <string.h>

#include <charconv>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace netcorr::analyze {
namespace {

// Kernel-internal codes (include/linux/errno.h); user space never sees them, strace does.
constexpr int kERestartSys = 512;
constexpr int kERestartNoIntr = 513;
constexpr int kERestartNoHand = 514;
constexpr int kENoIoctlCmd = 515;
constexpr int kERestartRestartBlock = 516;

std::optional<int> ParseNonNegative(std::string_view s) {
  int v = 0;
  if (s.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

// Built once from the C library's own tables so the names match the ones strace prints (both
// come from the kernel's uapi headers).
const absl::flat_hash_map<std::string, int>& ErrnoTable() {
  static const auto* table = [] {
    auto* t = new absl::flat_hash_map<std::string, int>();
    for (int e = 1; e < 4096; ++e) {
      if (const char* n = strerrorname_np(e); n != nullptr) t->emplace(n, e);
    }
    t->emplace("ERESTARTSYS", kERestartSys);
    t->emplace("ERESTARTNOINTR", kERestartNoIntr);
    t->emplace("ERESTARTNOHAND", kERestartNoHand);
    t->emplace("ENOIOCTLCMD", kENoIoctlCmd);
    t->emplace("ERESTART_RESTARTBLOCK", kERestartRestartBlock);
    // Aliases strace may print where glibc names the other spelling.
    t->emplace("EWOULDBLOCK", EAGAIN);
    t->emplace("EDEADLOCK", EDEADLK);
    t->emplace("ENOTSUP", EOPNOTSUPP);
    return t;
  }();
  return *table;
}

const absl::flat_hash_map<std::string, int>& SignalTable() {
  static const auto* table = [] {
    auto* t = new absl::flat_hash_map<std::string, int>();
    for (int s = 1; s < SIGRTMIN; ++s) {
      if (const char* n = sigabbrev_np(s); n != nullptr) t->emplace(std::string("SIG") + n, s);
    }
    // strace names real-time signals relative to the kernel's SIGRTMIN (32), not glibc's.
    constexpr int kKernelRtMin = 32;
    t->emplace("SIGRTMIN", kKernelRtMin);
    for (int i = 1; i <= 32; ++i) t->emplace("SIGRT_" + std::to_string(i), kKernelRtMin + i);
    t->emplace("SIGIOT", SIGABRT);
    t->emplace("SIGPOLL", SIGIO);
    return t;
  }();
  return *table;
}

}  // namespace

std::optional<int> ErrnoFromName(std::string_view name) {
  if (name.empty()) return std::nullopt;
  if (name.front() >= '0' && name.front() <= '9') return ParseNonNegative(name);
  if (name.substr(0, 6) == "ERRNO_") return ParseNonNegative(name.substr(6));
  const auto& t = ErrnoTable();
  auto it = t.find(absl::string_view(name.data(), name.size()));
  if (it == t.end()) return std::nullopt;
  return it->second;
}

std::optional<int> SignalFromName(std::string_view name) {
  if (name.empty()) return std::nullopt;
  if (name.front() >= '0' && name.front() <= '9') return ParseNonNegative(name);
  const auto& t = SignalTable();
  auto it = t.find(absl::string_view(name.data(), name.size()));
  if (it == t.end()) return std::nullopt;
  return it->second;
}

}  // namespace netcorr::analyze
