// The reading half of the strace reader: sources (one log, or the files of -ff), lines put back
// together and merged in time order, handed to the Assembler (strace_assembler.h).

#include "src/analyze/strace_log.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <memory>
#include <queue>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "src/analyze/line_reader.h"
#include "src/analyze/strace_assembler.h"
#include "src/analyze/strace_line.h"

namespace netcorr::analyze {
namespace {

constexpr TimeNs kNsPerDay = 86'400'000'000'000;
constexpr size_t kBinaryProbeBytes = 64 * 1024;

// Time of day wraps at midnight; a -tt log that crosses it keeps growing instead, so that times
// stay ordered. Kept per source: each -ff file crosses midnight on its own.
class TimeNormalizer {
 public:
  void Apply(StraceLine& line) {
    if (line.time_form != StraceTimeForm::kTimeOfDay) return;
    if (has_last_ && line.time_ns + kNsPerDay / 2 < last_) offset_ = AddTime(offset_, kNsPerDay);
    last_ = line.time_ns;
    has_last_ = true;
    line.time_ns = AddTime(line.time_ns, offset_);
  }

 private:
  bool has_last_ = false;
  TimeNs last_ = 0;
  TimeNs offset_ = 0;
};

// True when the probe looks like binary data rather than text: strace escapes every
// non-printable byte, so a NUL or a run of control bytes means this is no strace log.
bool LooksBinary(std::string_view probe) {
  size_t odd = 0;
  for (char c : probe) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u == 0) return true;
    if ((u < 0x20 && c != '\n' && c != '\r' && c != '\t') || u >= 0x80) ++odd;
  }
  return probe.size() >= 64 && odd * 10 > probe.size();
}

struct Source {
  Source(LineReader r, std::string n, int32_t t)
      : reader(std::move(r)), tid(t), name(std::move(n)) {}

  LineReader reader;
  int32_t tid = kAnonymousTid;
  TimeNormalizer times;
  StraceLine line;
  std::string_view raw;
  bool has_line = false;
  std::string name;    // for messages
  std::string joined;  // a call broken over two lines, put back together
  std::string held;    // a line read ahead that turned out not to continue the previous one
  bool has_held = false;
};

// The next non-blank line of the source, counted; false at its end.
bool NextRaw(Source& s, Assembler& a, size_t max_line, std::string_view& raw) {
  if (s.has_held) {
    s.has_held = false;
    raw = s.held;
    return true;
  }
  for (;;) {
    bool overlong = false;
    if (!s.reader.Next(raw, overlong)) return false;
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    if (raw.find_first_not_of(" \t") == std::string_view::npos) continue;
    a.CountLine();
    if (overlong || raw.size() > max_line) {
      a.CountUnknown(raw);
      continue;
    }
    return true;
  }
}

// Reads and parses the next line of a source. Returns false at the end of the source.
bool Advance(Source& s, Assembler& a, size_t max_line) {
  std::string_view raw;
  if (!NextRaw(s, a, max_line, raw)) {
    s.has_line = false;
    return false;
  }
  StraceLine line = ParseStraceLine(raw);
  if (line.truncated_call) {
    // Maybe the rest of the call is on the next line ("-f" output to a shared stream).
    std::string first(raw);
    std::string_view next;
    if (NextRaw(s, a, max_line, next)) {
      s.joined = first;
      s.joined.append(next);
      StraceLine whole = ParseStraceLine(s.joined);
      if (whole.kind != StraceLineKind::kUnknown && !next.empty() && next.front() == ' ') {
        line = whole;
        raw = s.joined;
      } else {
        s.held = std::string(next);
        s.has_held = true;
        s.joined = std::move(first);
        raw = s.joined;
        line = ParseStraceLine(raw);
      }
    } else {
      s.joined = std::move(first);
      raw = s.joined;
      line = ParseStraceLine(raw);
    }
  }
  s.line = line;
  s.times.Apply(s.line);
  s.raw = raw;
  s.has_line = true;
  return true;
}

absl::StatusOr<StraceParseResult> ParseSources(std::vector<Source>& sources,
                                               const StraceParseOptions& options) {
  Assembler a(options);
  for (Source& s : sources) {
    std::string_view probe = s.reader.Peek(kBinaryProbeBytes);
    if (LooksBinary(probe)) {
      return absl::InvalidArgumentError(absl::StrCat(s.name, ": binary data, not an strace log"));
    }
  }
  const size_t max_line = options.max_line_bytes;
  // Lines without a time (unknown lines, logs without -t) go first: they cannot be ordered.
  using Key = std::pair<TimeNs, size_t>;
  std::priority_queue<Key, std::vector<Key>, std::greater<Key>> heap;
  const auto key_of = [](const Source& s) {
    return s.line.time_form == StraceTimeForm::kNone ? std::numeric_limits<TimeNs>::min()
                                                     : s.line.time_ns;
  };
  for (size_t i = 0; i < sources.size(); ++i) {
    if (Advance(sources[i], a, max_line)) heap.emplace(key_of(sources[i]), i);
  }
  while (!heap.empty()) {
    const size_t i = heap.top().second;
    heap.pop();
    Source& s = sources[i];
    a.Consume(s.line, s.tid, s.raw);
    if (Advance(s, a, max_line)) heap.emplace(key_of(s), i);
  }
  for (Source& s : sources) {
    if (!s.reader.status().ok()) return s.reader.status();
  }
  const uint64_t recognized = a.recognized();
  StraceParseResult r = a.Finish();
  if (r.lines > 0 && recognized == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(sources.size() == 1 ? sources[0].name : std::string("the strace logs"),
                     ": not an strace log (none of its ", r.lines, " lines is an strace line)"));
  }
  return r;
}

// "app.strace.1234" -> 1234; 0 when the name has no numeric suffix.
int32_t TidFromSuffix(const std::string& path) {
  const size_t dot = path.rfind('.');
  if (dot == std::string::npos || dot + 1 >= path.size() || path.size() - dot - 1 > 9) return 0;
  int32_t v = 0;
  for (size_t i = dot + 1; i < path.size(); ++i) {
    if (path[i] < '0' || path[i] > '9') return 0;
    v = v * 10 + (path[i] - '0');
  }
  return v;
}

absl::Status OpenError(const std::string& path, int err) {
  const std::string msg = absl::StrCat("cannot read strace log ", path, ": ", std::strerror(err));
  return err == ENOENT ? absl::NotFoundError(msg) : absl::InvalidArgumentError(msg);
}

absl::Status CheckRegularFile(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return OpenError(path, errno);
  if (S_ISDIR(st.st_mode)) return OpenError(path, EISDIR);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<StraceParseResult> ParseStraceLog(std::istream& in,
                                                 const StraceParseOptions& options) {
  std::vector<Source> sources;
  sources.emplace_back(LineReader(in, "strace log"), "strace log",
                       options.default_pid != 0 ? options.default_pid : kAnonymousTid);
  return ParseSources(sources, options);
}

absl::StatusOr<StraceParseResult> ParseStraceText(std::string_view text,
                                                  const StraceParseOptions& options) {
  std::vector<Source> sources;
  sources.emplace_back(LineReader(text), "strace log",
                       options.default_pid != 0 ? options.default_pid : kAnonymousTid);
  return ParseSources(sources, options);
}

absl::StatusOr<StraceParseResult> ParseStraceFile(const std::string& path,
                                                  const StraceParseOptions& options) {
  return ParseStraceFiles({path}, options);
}

absl::StatusOr<StraceParseResult> ParseStraceFiles(const std::vector<std::string>& paths,
                                                   const StraceParseOptions& options) {
  if (paths.empty()) return absl::InvalidArgumentError("no strace log given");
  std::vector<std::ifstream> files(paths.size());
  std::vector<Source> sources;
  sources.reserve(paths.size());
  for (size_t i = 0; i < paths.size(); ++i) {
    if (absl::Status st = CheckRegularFile(paths[i]); !st.ok()) return st;
    files[i].open(paths[i], std::ios::binary);
    if (!files[i].is_open()) return OpenError(paths[i], errno != 0 ? errno : EIO);
    // With one file, a numeric suffix is only a name ("trace.1" from -o trace.1): the pid
    // comes from the lines or the options. Several files are -ff output.
    const int32_t suffix = paths.size() > 1 ? TidFromSuffix(paths[i]) : 0;
    sources.emplace_back(
        LineReader(files[i], paths[i]), paths[i],
        suffix != 0 ? suffix : (options.default_pid != 0 ? options.default_pid : kAnonymousTid));
  }
  return ParseSources(sources, options);
}

absl::StatusOr<std::vector<std::string>> FindStraceFfFiles(const std::string& prefix) {
  const size_t slash = prefix.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : prefix.substr(0, slash + 1);
  const std::string base = slash == std::string::npos ? prefix : prefix.substr(slash + 1);
  if (base.empty()) return absl::InvalidArgumentError(absl::StrCat("no file name in ", prefix));
  std::unique_ptr<DIR, int (*)(DIR*)> d(opendir(dir.c_str()), &closedir);
  if (d == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("cannot list ", dir, " for ", prefix, ".*: ", std::strerror(errno)));
  }
  std::vector<std::pair<int32_t, std::string>> found;
  while (dirent* e = readdir(d.get())) {
    const std::string name = e->d_name;
    if (name.size() <= base.size() + 1 || name.compare(0, base.size(), base) != 0 ||
        name[base.size()] != '.') {
      continue;
    }
    const std::string full = slash == std::string::npos ? name : dir + name;
    const int32_t tid = TidFromSuffix(name);
    if (tid == 0 || name.size() != base.size() + 1 + std::to_string(tid).size()) continue;
    found.emplace_back(tid, full);
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> paths;
  paths.reserve(found.size());
  for (auto& [tid, path] : found) paths.push_back(std::move(path));
  return paths;
}

}  // namespace netcorr::analyze
