#include "src/report/call_format.h"

#include <cctype>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "src/model/errno_name.h"

namespace netcorr::report {

std::string FormatHumanDuration(TimeNs d) {
  if (d < 0) d = 0;
  if (d < 1'000) return absl::StrCat(d, " ns");
  if (d < 1'000'000) return absl::StrFormat("%.1f us", static_cast<double>(d) / 1e3);
  if (d < 1'000'000'000) return absl::StrFormat("%.1f ms", static_cast<double>(d) / 1e6);
  return absl::StrFormat("%.1f s", static_cast<double>(d) / 1e9);
}

std::string FormatTask(int32_t pid, int32_t tid) {
  if (tid == 0 || tid == pid) return absl::StrCat("[", pid, "]");
  return absl::StrCat("[", pid, "/", tid, "]");
}

namespace {

// Where the balanced {...} block starting at `open` ends (one past its '}'), or npos.
size_t BlockEnd(const std::string& s, size_t open) {
  int depth = 0;
  bool quoted = false;
  for (size_t i = open; i < s.size(); ++i) {
    const char c = s[i];
    if (quoted) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        quoted = false;
      }
      continue;
    }
    if (c == '"') {
      quoted = true;
    } else if (c == '{') {
      ++depth;
    } else if (c == '}' && --depth == 0) {
      return i + 1;
    }
  }
  return std::string::npos;
}

// The report's compact form of strace-style arguments: an inet sockaddr the call carried,
// "{sa_family=AF_INET, sin_port=htons(81), sin_addr=inet_addr("10.71.2.2")}, 16", becomes
// "10.71.2.2:81" (its length goes too), and the strace -yy decoration of fds inside the
// arguments, "fd=3<TCP:[10.71.1.2:40000->10.71.2.2:81]>", becomes "fd=3": the packets column
// shows the flow already, and the timeline must stay narrow.
std::string CompactArgs(const SyscallEvent& call) {
  std::string args = call.args;
  if (call.address.has_value()) {
    for (const char* family : {"{sa_family=AF_INET,", "{sa_family=AF_INET6,"}) {
      const size_t open = args.find(family);
      if (open == std::string::npos) continue;
      const size_t end = BlockEnd(args, open);
      if (end == std::string::npos) break;
      size_t cut = end;
      // ", 16" right after the sockaddr (connect, bind, sendto) is its length.
      if (args.compare(end, 2, ", ") == 0) {
        size_t digits = end + 2;
        while (digits < args.size() && args[digits] >= '0' && args[digits] <= '9') ++digits;
        if (digits > end + 2 && (digits == args.size() || args[digits] == ',')) cut = digits;
      }
      args.replace(open, cut - open, call.address->ToString());
      break;
    }
  }
  // "3<TCP:[...]>" -> "3": a digit, then '<', a word, ":[", anything without '<', "]>".
  std::string out;
  out.reserve(args.size());
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == '<' && i > 0 && args[i - 1] >= '0' && args[i - 1] <= '9') {
      size_t j = i + 1;
      while (j < args.size() && (std::isalnum(static_cast<unsigned char>(args[j])))) ++j;
      const size_t close = args.find("]>", j);
      if (j > i + 1 && args.compare(j, 2, ":[") == 0 && close != std::string::npos &&
          args.find('<', j) > close) {
        i = close + 1;
        continue;
      }
    }
    out.push_back(args[i]);
  }
  return out;
}

}  // namespace

std::string FormatCallHead(const SyscallEvent& call) {
  std::string args = CompactArgs(call);
  if (args.empty() && call.address.has_value()) args = call.address->ToString();
  if (args.empty() && !call.waited.empty()) {
    // poll/select/epoll_wait without decoded arguments: at least the fds waited on.
    std::vector<std::string> fds;
    for (const FdSocket& w : call.waited) fds.push_back(absl::StrCat(w.fd));
    args = absl::StrCat("[", absl::StrJoin(fds, ", "), "]");
  }
  std::string inside;
  if (call.fd >= 0) {
    inside = args.empty() ? absl::StrCat(call.fd) : absl::StrCat(call.fd, ", ", args);
  } else {
    inside = args;
  }
  return absl::StrCat(FormatTask(call.pid, call.tid), " ", call.name, "(", inside, ")");
}

std::string FormatCallOutcome(const SyscallEvent& call) {
  if (call.unseen) {
    return absl::StrCat("[not seen by ptrace; ", FormatHumanDuration(call.duration_ns()),
                        " on the wire]");
  }
  if (!call.finished) {
    return absl::StrCat("... still blocked after ", FormatHumanDuration(call.duration_ns()));
  }
  std::string out = call.error != 0 ? absl::StrCat("= -1 ", ErrnoName(call.error))
                                    : absl::StrCat("= ", call.result);
  // A call recorded at its entry (close() of a socket: one stop) has no measured duration.
  if (call.duration_ns() > 0) {
    absl::StrAppend(&out, " (", FormatHumanDuration(call.duration_ns()), ")");
  }
  if (call.resolves_call.has_value()) {
    absl::StrAppend(
        &out, " [connect outcome: ",
        call.resolved_error == 0 ? std::string("connected") : ErrnoName(call.resolved_error), "]");
  }
  return out;
}

std::string FormatCall(const SyscallEvent& call) {
  return absl::StrCat(FormatCallHead(call), " ", FormatCallOutcome(call));
}

std::string FormatCallResultShort(const SyscallEvent& call) {
  if (call.unseen) return "not seen by ptrace";
  if (!call.finished) return "still blocked";
  if (call.error != 0) return ErrnoName(call.error);
  return absl::StrCat("= ", call.result);
}

}  // namespace netcorr::report
