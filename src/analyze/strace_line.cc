#include "src/analyze/strace_line.h"

#include <charconv>
#include <cstring>
#include <limits>

#include "src/analyze/strace_names.h"

namespace netcorr::analyze {
namespace {

constexpr std::string_view kUnfinishedMarker = "<unfinished ...>";
// strace detaching (-p, then Ctrl-C) in the middle of a call: the call never returns in the log.
constexpr std::string_view kDetachedMarker = "<detached ...>";
constexpr TimeNs kNsPerSecond = 1'000'000'000;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(c) || c == '_';
}
bool IsErrnoChar(char c) { return (c >= 'A' && c <= 'Z') || IsDigit(c) || c == '_'; }

void SkipSpaces(std::string_view s, size_t& i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
}

std::string_view TrimRight(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

bool ConsumePrefix(std::string_view s, size_t& i, std::string_view prefix) {
  if (s.substr(i, prefix.size()) != prefix) return false;
  i += prefix.size();
  return true;
}

// Digits at s[i...], at most `max_digits` of them kept in `value` (more are skipped so an absurd
// number cannot overflow). Returns the count of digits read.
size_t ReadDigits(std::string_view s, size_t& i, int64_t& value, size_t max_digits) {
  const size_t begin = i;
  value = 0;
  while (i < s.size() && IsDigit(s[i])) {
    if (i - begin < max_digits) value = value * 10 + (s[i] - '0');
    ++i;
  }
  return i - begin;
}

// The fraction after a decimal point as nanoseconds; `digits` gets how many were written.
TimeNs ReadFraction(std::string_view s, size_t& i, int& digits) {
  TimeNs ns = 0;
  int n = 0;
  while (i < s.size() && IsDigit(s[i])) {
    if (n < 9) ns = ns * 10 + (s[i] - '0');
    ++n;
    ++i;
  }
  for (int k = n; k < 9; ++k) ns *= 10;
  digits = n;
  return ns;
}

// "[pid 123] " or "123 " (any padding). Leaves i unchanged when there is no pid.
bool ReadPid(std::string_view s, size_t& i, int32_t& pid) {
  size_t j = i;
  if (ConsumePrefix(s, j, "[pid")) {
    SkipSpaces(s, j);
    int64_t v = 0;
    const size_t n = ReadDigits(s, j, v, 10);
    if (n == 0 || n > 10 || j >= s.size() || s[j] != ']' ||
        v > std::numeric_limits<int32_t>::max()) {
      return false;
    }
    ++j;
    SkipSpaces(s, j);
    pid = static_cast<int32_t>(v);
    i = j;
    return true;
  }
  int64_t v = 0;
  const size_t n = ReadDigits(s, j, v, 10);
  // A pid is followed by blanks; digits followed by '.' or ':' are a timestamp.
  if (n == 0 || n > 10 || j >= s.size() || s[j] != ' ' || v > std::numeric_limits<int32_t>::max()) {
    return false;
  }
  SkipSpaces(s, j);
  pid = static_cast<int32_t>(v);
  i = j;
  return true;
}

// "1795839754.630098", "04:23:20.372284", "04:23:20", or relative "0.000123".
bool ReadTimestamp(std::string_view s, size_t& i, StraceLine& out) {
  size_t j = i;
  int64_t first = 0;
  const size_t n = ReadDigits(s, j, first, 12);
  if (n == 0 || n > 12 || j >= s.size()) return false;
  if (s[j] == ':') {
    int64_t mm = 0, ss = 0;
    ++j;
    if (ReadDigits(s, j, mm, 2) != 2 || j >= s.size() || s[j] != ':') return false;
    ++j;
    if (ReadDigits(s, j, ss, 2) != 2) return false;
    if (first > 23 || mm > 59 || ss > 60) return false;
    TimeNs frac = 0;
    int digits = 0;
    if (j < s.size() && s[j] == '.') {
      ++j;
      frac = ReadFraction(s, j, digits);
      if (digits == 0) return false;
    }
    if (j >= s.size() || s[j] != ' ') return false;
    out.time_form = StraceTimeForm::kTimeOfDay;
    out.time_ns = ((first * 60 + mm) * 60 + ss) * kNsPerSecond + frac;
    out.time_digits = digits;
  } else if (s[j] == '.') {
    ++j;
    int digits = 0;
    const TimeNs frac = ReadFraction(s, j, digits);
    if (digits == 0 || j >= s.size() || s[j] != ' ') return false;
    // 12 digits of seconds stay far below int64 nanoseconds' limit (9.2e9 s).
    if (first > std::numeric_limits<TimeNs>::max() / kNsPerSecond - 1) return false;
    out.time_form = StraceTimeForm::kEpoch;
    out.time_ns = first * kNsPerSecond + frac;
    out.time_digits = digits;
  } else {
    return false;
  }
  SkipSpaces(s, j);
  i = j;
  return true;
}

// " <0.000061>" at the end of the line (-T). Returns the line without it.
std::string_view StripDuration(std::string_view s, StraceLine& out) {
  s = TrimRight(s);
  if (s.size() < 3 || s.back() != '>') return s;
  const size_t open = s.rfind('<');
  if (open == std::string_view::npos) return s;
  std::string_view inner = s.substr(open + 1, s.size() - open - 2);
  size_t i = 0;
  int64_t secs = 0;
  // At most 9 digits of seconds (31 years): the product below stays far from overflow.
  const size_t n = ReadDigits(inner, i, secs, 9);
  if (n == 0 || n > 9 || i >= inner.size() || inner[i] != '.') return s;
  ++i;
  int digits = 0;
  const TimeNs frac = ReadFraction(inner, i, digits);
  if (digits == 0 || i != inner.size()) return s;
  out.has_duration = true;
  out.duration_ns = secs * kNsPerSecond + frac;
  return TrimRight(s.substr(0, open));
}

// "= 0", "= -1 ECONNREFUSED (Connection refused)", "= 3<TCP:[...]>", "= ? ERESTARTSYS (...)",
// "= 0 (Timeout)", "= 0x2 (flags O_RDWR)". s[i] is just after the call's closing parenthesis.
void ReadResult(std::string_view s, size_t i, StraceLine& out) {
  SkipSpaces(s, i);
  if (i >= s.size() || s[i] != '=') return;
  ++i;
  SkipSpaces(s, i);
  if (i >= s.size()) return;
  if (s[i] == '?') {
    out.result_unknown = true;
    ++i;
  } else {
    bool negative = false;
    if (s[i] == '-') {
      negative = true;
      ++i;
    }
    uint64_t v = 0;
    const char* begin = s.data() + i;
    const char* end = s.data() + s.size();
    std::from_chars_result r;
    if (end - begin > 2 && begin[0] == '0' && (begin[1] == 'x' || begin[1] == 'X')) {
      r = std::from_chars(begin + 2, end, v, 16);
    } else {
      r = std::from_chars(begin, end, v, 10);
    }
    if (r.ec != std::errc() || r.ptr == begin) return;
    // Addresses above INT64_MAX (mmap results) wrap; only small values matter here.
    out.result = static_cast<int64_t>(negative ? 0 - v : v);  // modular, never UB
    i = static_cast<size_t>(r.ptr - s.data());
    if (i < s.size() && s[i] == '<') {
      const size_t past = SkipDecoration(s, i);
      if (past == std::string_view::npos) return;
      out.result_decoration = s.substr(i + 1, past - i - 2);
      i = past;
    }
  }
  out.has_result = true;
  SkipSpaces(s, i);
  if (i < s.size() && s[i] != '(' && (out.result_unknown || out.result < 0)) {
    const size_t b = i;
    while (i < s.size() && IsErrnoChar(s[i])) ++i;
    out.error_name = s.substr(b, i - b);
    if (std::optional<int> e = ErrnoFromName(out.error_name); e.has_value()) {
      out.error = *e;
    }
    SkipSpaces(s, i);
  }
  if (i < s.size() && s[i] == '(') {
    const size_t close = FindClosing(s, i + 1);
    out.result_comment =
        close == std::string_view::npos ? s.substr(i + 1) : s.substr(i + 1, close - i - 1);
  }
}

// "+++ exited with 0 +++", "+++ killed by SIGPIPE +++", "+++ killed by SIGSEGV (core dumped) +++",
// "+++ superseded by execve in pid 123 +++".
void ReadExit(std::string_view body, StraceLine& out) {
  body = TrimRight(body);
  if (body.size() < 8 || body.substr(body.size() - 4) != " +++") return;
  std::string_view mid = body.substr(4, body.size() - 8);
  size_t i = 0;
  if (ConsumePrefix(mid, i, "exited with ")) {
    bool negative = false;
    if (i < mid.size() && mid[i] == '-') {
      negative = true;
      ++i;
    }
    int64_t v = 0;
    if (ReadDigits(mid, i, v, 10) == 0 || i != mid.size()) return;
    out.kind = StraceLineKind::kExited;
    out.status = static_cast<int32_t>(negative ? -v : v);
  } else if (ConsumePrefix(mid, i, "killed by ")) {
    const size_t b = i;
    while (i < mid.size() && IsNameChar(mid[i])) ++i;
    out.name = mid.substr(b, i - b);
    if (out.name.empty()) return;
    out.core_dumped = mid.substr(i).find("core dumped") != std::string_view::npos;
    out.kind = StraceLineKind::kKilled;
  } else if (ConsumePrefix(mid, i, "superseded by execve in pid ")) {
    int64_t v = 0;
    if (ReadDigits(mid, i, v, 10) == 0) return;
    out.status = static_cast<int32_t>(v);
    out.kind = StraceLineKind::kSuperseded;
  }
}

// "--- SIGPIPE {si_signo=SIGPIPE, ...} ---", "--- stopped by SIGSTOP ---".
void ReadSignal(std::string_view body, StraceLine& out) {
  body = TrimRight(body);
  if (body.size() < 8 || body.substr(body.size() - 4) != " ---") return;
  std::string_view mid = body.substr(4, body.size() - 8);
  size_t i = 0;
  ConsumePrefix(mid, i, "stopped by ");
  const size_t b = i;
  while (i < mid.size() && IsNameChar(mid[i])) ++i;
  out.name = mid.substr(b, i - b);
  if (out.name.empty()) return;
  SkipSpaces(mid, i);
  if (i < mid.size() && mid[i] == '{') {
    const size_t close = FindClosing(mid, i + 1);
    out.args =
        close == std::string_view::npos ? mid.substr(i + 1) : mid.substr(i + 1, close - i - 1);
  }
  out.kind = StraceLineKind::kSignal;
}

// "strace: Process 123 attached" / "detached" (with -f to stderr these share the stream).
void ReadStraceMessage(std::string_view body, StraceLine& out) {
  size_t i = 0;
  if (!ConsumePrefix(body, i, "strace: Process ")) return;
  int64_t v = 0;
  if (ReadDigits(body, i, v, 10) == 0) return;
  std::string_view rest = TrimRight(body.substr(i));
  if (rest.substr(0, 9) == " attached") {
    out.kind = StraceLineKind::kAttached;
  } else if (rest.substr(0, 9) == " detached") {
    out.kind = StraceLineKind::kDetached;
  } else {
    return;
  }
  out.status = static_cast<int32_t>(v);
}

}  // namespace

size_t SkipDecoration(std::string_view text, size_t open) {
  const size_t n = text.size();
  int angle = 0;
  int square = 0;
  size_t i = open;
  while (i < n) {
    const char c = text[i];
    if (c == '"') {
      // A quoted UNIX path: skip to its unescaped end.
      ++i;
      while (i < n && text[i] != '"') i += text[i] == '\\' ? 2 : 1;
      if (i >= n) return std::string_view::npos;
    } else if (c == '[') {
      ++square;
    } else if (c == ']') {
      if (square > 0) --square;
    } else if (c == '<' && square == 0) {
      ++angle;
    } else if (c == '>' && square == 0 && !(i > open && text[i - 1] == '-')) {
      if (--angle == 0) return i + 1;
    }
    ++i;
  }
  return std::string_view::npos;
}

size_t FindClosing(std::string_view text, size_t start) {
  int depth = 0;
  size_t i = start;
  const size_t n = text.size();
  while (i < n) {
    const char c = text[i];
    switch (c) {
      case '"': {
        // A string: find its unescaped closing quote.
        ++i;
        while (i < n) {
          const void* q = std::memchr(text.data() + i, '"', n - i);
          const void* b = std::memchr(text.data() + i, '\\', n - i);
          if (q == nullptr) return std::string_view::npos;
          if (b != nullptr && b < q) {
            i = static_cast<size_t>(static_cast<const char*>(b) - text.data()) + 2;
            continue;
          }
          i = static_cast<size_t>(static_cast<const char*>(q) - text.data()) + 1;
          break;
        }
        continue;
      }
      case '<': {
        // An fd decoration follows the fd number: "3<TCP:[...]>", "0</dev/null<char 1:3>>".
        if (i > 0 && text[i - 1] >= '0' && text[i - 1] <= '9') {
          i = SkipDecoration(text, i);
          if (i == std::string_view::npos) return i;
          continue;
        }
        break;
      }
      case '/':
        if (i + 1 < n && text[i + 1] == '*') {
          const size_t end = text.find("*/", i + 2);
          if (end == std::string_view::npos) return std::string_view::npos;
          i = end + 2;
          continue;
        }
        break;
      case '(':
      case '[':
      case '{':
        ++depth;
        break;
      case ')':
      case ']':
      case '}':
        if (depth == 0) return i;
        --depth;
        break;
      default:
        break;
    }
    ++i;
  }
  return std::string_view::npos;
}

StraceLine ParseStraceLine(std::string_view line) {
  StraceLine out;
  size_t i = 0;
  SkipSpaces(line, i);
  if (i >= line.size()) return out;
  int32_t pid = 0;
  if (ReadPid(line, i, pid)) {
    out.has_pid = true;
    out.pid = pid;
  }
  ReadTimestamp(line, i, out);
  // -i: "[00007f3c1a2b4c5d] " instruction pointer.
  if (i < line.size() && line[i] == '[') {
    const size_t close = line.find(']', i);
    const bool hex = close != std::string_view::npos && close > i + 1 &&
                     line.substr(i + 1, close - i - 1).find_first_not_of("0123456789abcdef") ==
                         std::string_view::npos;
    if (hex && close + 1 < line.size() && line[close + 1] == ' ') {
      i = close + 1;
      SkipSpaces(line, i);
    }
  }
  if (i >= line.size()) return out;
  std::string_view body = line.substr(i);

  if (body.substr(0, 4) == "+++ ") {
    ReadExit(body, out);
    return out;
  }
  if (body.substr(0, 4) == "--- ") {
    ReadSignal(body, out);
    return out;
  }
  if (body.substr(0, 8) == "strace: ") {
    ReadStraceMessage(body, out);
    return out;
  }

  std::string_view rest = StripDuration(body, out);
  if (rest.substr(0, 5) == "<... ") {
    size_t j = 5;
    const size_t b = j;
    while (j < rest.size() && IsNameChar(rest[j])) ++j;
    if (j == b || rest.substr(j, 9) != " resumed>") {
      out.has_duration = false;
      return out;
    }
    out.name = rest.substr(b, j - b);
    j += 9;
    // A call resumed and then cut short again ("<... read resumed> <unfinished ...>) = ?").
    const size_t close = FindClosing(rest, j);
    if (close == std::string_view::npos) {
      out.kind = StraceLineKind::kResumed;
      out.args = rest.substr(j);
      return out;
    }
    out.args = rest.substr(j, close - j);
    out.kind = StraceLineKind::kResumed;
    ReadResult(rest, close + 1, out);
    return out;
  }

  size_t j = 0;
  while (j < rest.size() && IsNameChar(rest[j])) ++j;
  if (j == 0 || j >= rest.size() || rest[j] != '(') {
    out.has_duration = false;
    return out;
  }
  out.name = rest.substr(0, j);
  const size_t open = j + 1;
  for (std::string_view marker : {kUnfinishedMarker, kDetachedMarker}) {
    if (rest.size() >= open + marker.size() && rest.substr(rest.size() - marker.size()) == marker) {
      out.kind = StraceLineKind::kUnfinished;
      out.args = TrimRight(rest.substr(open, rest.size() - marker.size() - open));
      return out;
    }
  }
  const size_t close = FindClosing(rest, open);
  if (close == std::string_view::npos) {
    // Cut off (a truncated file, a killed strace): the name is known, the outcome is not.
    out.has_duration = false;
    out.name = {};
    out.truncated_call = true;
    return out;
  }
  out.args = rest.substr(open, close - open);
  ReadResult(rest, close + 1, out);
  // strace always writes " = " after a finished call: "print(x)" in some text file is not one.
  out.kind = out.has_result ? StraceLineKind::kCall : StraceLineKind::kUnknown;
  if (!out.has_result) out.has_duration = false;
  return out;
}

}  // namespace netcorr::analyze
