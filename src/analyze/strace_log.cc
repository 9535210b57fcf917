// The whole-log form of the strace reader: the stream (strace_stream.h) collected, and put in
// entry order with ids from 1, as tests, the fuzzer and small inputs want it.

#include "src/analyze/strace_log.h"

#include <dirent.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <utility>
#include <variant>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "src/analyze/strace_stream.h"

namespace netcorr::analyze {
namespace {

absl::StatusOr<StraceParseResult> Collect(StraceStream& stream) {
  std::vector<StraceItem> items;
  for (;;) {
    absl::StatusOr<std::optional<StraceItem>> next = stream.Next();
    if (!next.ok()) return next.status();
    if (!next->has_value()) break;
    items.push_back(std::move(**next));
  }
  StraceParseResult r;
  static_cast<StraceLogFacts&>(r) = stream.facts();
  std::vector<std::pair<uint64_t, ProcessEvent>> processes;
  std::vector<std::pair<uint64_t, StraceSignal>> signals;
  for (StraceItem& item : items) {
    // What the whole log revealed (its pid, a thread's process) reaches the early items too.
    stream.Relabel(item);
    if (SyscallEvent* c = std::get_if<SyscallEvent>(&item.value)) {
      r.calls.push_back(std::move(*c));
    } else if (ProcessEvent* p = std::get_if<ProcessEvent>(&item.value)) {
      processes.emplace_back(item.order, std::move(*p));
    } else if (StraceSignal* s = std::get_if<StraceSignal>(&item.value)) {
      signals.emplace_back(item.order, std::move(*s));
    }
  }
  // Entry order, ids from 1 (the stream numbers calls as they complete); links follow.
  std::sort(r.calls.begin(), r.calls.end(), [](const SyscallEvent& a, const SyscallEvent& b) {
    return a.entry_ns != b.entry_ns ? a.entry_ns < b.entry_ns : a.id < b.id;
  });
  std::vector<uint64_t> id_of(r.calls.size() + 1, 0);
  for (size_t k = 0; k < r.calls.size(); ++k) {
    if (r.calls[k].id < id_of.size()) id_of[r.calls[k].id] = k + 1;
  }
  for (size_t k = 0; k < r.calls.size(); ++k) {
    SyscallEvent& c = r.calls[k];
    c.id = k + 1;
    if (c.resolves_call) {
      c.resolves_call = *c.resolves_call < id_of.size() ? id_of[*c.resolves_call] : 0;
    }
  }
  std::sort(processes.begin(), processes.end(), [](const auto& a, const auto& b) {
    return a.second.time_ns != b.second.time_ns ? a.second.time_ns < b.second.time_ns
                                                : a.first < b.first;
  });
  for (auto& [order, p] : processes) r.processes.push_back(std::move(p));
  std::sort(signals.begin(), signals.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [order, s] : signals) r.signals.push_back(std::move(s));
  return r;
}

}  // namespace

absl::StatusOr<StraceParseResult> ParseStraceLog(std::istream& in,
                                                 const StraceParseOptions& options) {
  return Collect(*StraceStream::FromStream(in, options));
}

absl::StatusOr<StraceParseResult> ParseStraceText(std::string_view text,
                                                  const StraceParseOptions& options) {
  return Collect(*StraceStream::FromText(text, options));
}

absl::StatusOr<StraceParseResult> ParseStraceFile(const std::string& path,
                                                  const StraceParseOptions& options) {
  return ParseStraceFiles({path}, options);
}

absl::StatusOr<StraceParseResult> ParseStraceFiles(const std::vector<std::string>& paths,
                                                   const StraceParseOptions& options) {
  absl::StatusOr<std::unique_ptr<StraceStream>> stream = StraceStream::OpenFiles(paths, options);
  if (!stream.ok()) return stream.status();
  return Collect(**stream);
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
    const int32_t tid = StraceTidFromSuffix(name);
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
