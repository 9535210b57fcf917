// The reading half of the strace reader: sources (one log, or the files of -ff), lines put back
// together and merged in time order, handed to the Assembler (strace_assembler.h), whose final
// items leave through the reorder buffer as soon as nothing still to come can sort before them.

#include "src/analyze/strace_stream.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
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
// How many lines the bound of final items may lag behind: computing it looks at every call in
// progress and every held one, so it is not done on every line.
constexpr size_t kLinesPerBound = 64;

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

struct StraceSource {
  StraceSource(LineReader r, std::string n, int32_t t)
      : reader(std::move(r)), tid(t), name(std::move(n)) {}

  LineReader reader;
  int32_t tid = kAnonymousTid;
  TimeNormalizer times;
  StraceLine line;
  std::string_view raw;
  std::string name;    // for messages
  std::string joined;  // a call broken over two lines, put back together
  std::string held;    // a line read ahead that turned out not to continue the previous one
  bool has_held = false;
};

namespace {

// The next non-blank line of the source, counted; false at its end.
bool NextRaw(StraceSource& s, Assembler& a, size_t max_line, std::string_view& raw) {
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
bool Advance(StraceSource& s, Assembler& a, size_t max_line) {
  std::string_view raw;
  if (!NextRaw(s, a, max_line, raw)) return false;
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
  return true;
}

// Lines without a time (unknown lines, logs without -t) go first: they cannot be ordered.
TimeNs SourceTime(const StraceSource& s) {
  return s.line.time_form == StraceTimeForm::kNone ? std::numeric_limits<TimeNs>::min()
                                                   : s.line.time_ns;
}

}  // namespace

int32_t StraceTidFromSuffix(const std::string& path) {
  const size_t dot = path.rfind('.');
  if (dot == std::string::npos || dot + 1 >= path.size() || path.size() - dot - 1 > 9) return 0;
  int32_t v = 0;
  for (size_t i = dot + 1; i < path.size(); ++i) {
    if (path[i] < '0' || path[i] > '9') return 0;
    v = v * 10 + (path[i] - '0');
  }
  return v;
}

StraceStream::StraceStream(std::vector<std::unique_ptr<std::ifstream>> files,
                           const StraceParseOptions& o)
    : options_(o), files_(std::move(files)) {
  assembler_ = std::make_unique<Assembler>(options_, out_);
}

StraceStream::~StraceStream() = default;

absl::StatusOr<std::unique_ptr<StraceStream>> StraceStream::OpenFiles(
    const std::vector<std::string>& paths, const StraceParseOptions& options) {
  if (paths.empty()) return absl::InvalidArgumentError("no strace log given");
  std::vector<std::unique_ptr<std::ifstream>> files;
  for (const std::string& path : paths) {
    if (absl::Status st = CheckRegularFile(path); !st.ok()) return st;
    auto f = std::make_unique<std::ifstream>(path, std::ios::binary);
    if (!f->is_open()) return OpenError(path, errno != 0 ? errno : EIO);
    files.push_back(std::move(f));
  }
  std::unique_ptr<StraceStream> stream(new StraceStream(std::move(files), options));
  stream->sources_.reserve(paths.size());
  for (size_t i = 0; i < paths.size(); ++i) {
    // With one file, a numeric suffix is only a name ("trace.1" from -o trace.1): the pid
    // comes from the lines or the options. Several files are -ff output.
    const int32_t suffix = paths.size() > 1 ? StraceTidFromSuffix(paths[i]) : 0;
    stream->sources_.emplace_back(
        LineReader(*stream->files_[i], paths[i]), paths[i],
        suffix != 0 ? suffix : (options.default_pid != 0 ? options.default_pid : kAnonymousTid));
  }
  return stream;
}

std::unique_ptr<StraceStream> StraceStream::FromStream(std::istream& in,
                                                       const StraceParseOptions& options) {
  std::unique_ptr<StraceStream> stream(new StraceStream({}, options));
  stream->sources_.emplace_back(LineReader(in, "strace log"), "strace log",
                                options.default_pid != 0 ? options.default_pid : kAnonymousTid);
  return stream;
}

std::unique_ptr<StraceStream> StraceStream::FromText(std::string_view text,
                                                     const StraceParseOptions& options) {
  std::unique_ptr<StraceStream> stream(new StraceStream({}, options));
  stream->sources_.emplace_back(LineReader(text), "strace log",
                                options.default_pid != 0 ? options.default_pid : kAnonymousTid);
  return stream;
}

const StraceLogFacts& StraceStream::facts() const { return assembler_->facts(); }

void StraceStream::Relabel(StraceItem& item) const { assembler_->Relabel(item); }

size_t StraceStream::buffered_calls() const {
  return assembler_->held_calls() + out_.calls();
}

bool StraceStream::Probe() {
  for (StraceSource& s : sources_) {
    if (LooksBinary(s.reader.Peek(kBinaryProbeBytes))) {
      error_ = absl::InvalidArgumentError(absl::StrCat(s.name, ": binary data, not an strace log"));
      return false;
    }
  }
  const size_t max_line = options_.max_line_bytes;
  for (size_t i = 0; i < sources_.size(); ++i) {
    if (Advance(sources_[i], *assembler_, max_line)) heap_.emplace(SourceTime(sources_[i]), i);
  }
  return true;
}

bool StraceStream::ReadLine() {
  if (heap_.empty()) return false;
  const size_t i = heap_.top().second;
  heap_.pop();
  StraceSource& s = sources_[i];
  assembler_->Consume(s.line, s.tid, s.raw);
  if (Advance(s, *assembler_, options_.max_line_bytes)) heap_.emplace(SourceTime(s), i);
  return true;
}

void StraceStream::Finish() {
  finished_ = true;
  for (StraceSource& s : sources_) {
    if (!s.reader.status().ok()) {
      error_ = s.reader.status();
      return;
    }
  }
  assembler_->Finish();
  const StraceLogFacts& facts = assembler_->facts();
  if (facts.lines > 0 && assembler_->recognized() == 0) {
    error_ = absl::InvalidArgumentError(
        absl::StrCat(sources_.size() == 1 ? sources_[0].name : std::string("the strace logs"),
                     ": not an strace log (none of its ", facts.lines,
                     " lines is an strace line)"));
    return;
  }
  bound_ = ItemKey::Max();
}

absl::StatusOr<std::optional<StraceItem>> StraceStream::Next() {
  if (!started_) {
    started_ = true;
    if (!Probe()) return error_;
  }
  for (;;) {
    if (!error_.ok()) return error_;
    StraceItem item;
    if (out_.PopBelow(bound_, item)) {
      assembler_->Relabel(item);
      return item;
    }
    if (finished_) {
      // Whatever is left sorts at the maximum key itself (a damaged log's times saturate).
      if (!out_.Pop(item)) return std::nullopt;
      assembler_->Relabel(item);
      return item;
    }
    if (!ReadLine()) {
      Finish();
      continue;
    }
    if (++lines_since_bound_ >= kLinesPerBound) {
      lines_since_bound_ = 0;
      // Every line still to come is stamped at the earliest source's current line or later
      // (a line without a time counts as 0, as the Assembler stamps it).
      const TimeNs clock =
          heap_.empty() ? std::numeric_limits<TimeNs>::max() : std::max<TimeNs>(heap_.top().first, 0);
      bound_ = assembler_->LowestPending(clock);
    }
  }
}

}  // namespace netcorr::analyze
