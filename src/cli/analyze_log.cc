#include "src/cli/analyze_log.h"

#include <unistd.h>

#include <algorithm>
#include <limits>
#include <utility>

namespace netcorr::cli {

absl::StatusOr<std::unique_ptr<AnalyzeLog>> AnalyzeLog::OpenStrace(
    const std::vector<std::string>& paths) {
  std::unique_ptr<AnalyzeLog> log(new AnalyzeLog());
  for (const std::string& p : paths) {
    // `-ff -o PREFIX` leaves PREFIX.<tid> files and no PREFIX: take them all.
    if (access(p.c_str(), F_OK) != 0) {
      auto ff = analyze::FindStraceFfFiles(p);
      if (ff.ok() && !ff->empty()) {
        log->files_.insert(log->files_.end(), ff->begin(), ff->end());
        continue;
      }
    }
    log->files_.push_back(p);
  }
  auto stream = analyze::StraceStream::OpenFiles(log->files_, analyze::StraceParseOptions{});
  if (!stream.ok()) return stream.status();
  log->stream_ = *std::move(stream);
  return log;
}

std::unique_ptr<AnalyzeLog> AnalyzeLog::FromRecord(analyze::StraceParseResult record) {
  // Calls at their exit (unfinished ones last), processes after the calls of the same time.
  struct Keyed {
    TimeNs time;
    int rank;
    size_t index;
    analyze::StraceItem item;
  };
  std::vector<Keyed> keyed;
  size_t index = 0;
  for (SyscallEvent& c : record.calls) {
    const TimeNs t = c.finished ? c.exit_ns : std::numeric_limits<TimeNs>::max();
    keyed.push_back({t, 0, index, analyze::StraceItem{std::move(c), index}});
    ++index;
  }
  for (ProcessEvent& p : record.processes) {
    const TimeNs t = p.time_ns;
    keyed.push_back({t, 1, index, analyze::StraceItem{std::move(p), index}});
    ++index;
  }
  std::sort(keyed.begin(), keyed.end(), [](const Keyed& a, const Keyed& b) {
    if (a.time != b.time) return a.time < b.time;
    if (a.rank != b.rank) return a.rank < b.rank;
    return a.index < b.index;
  });
  auto items = std::make_shared<std::vector<analyze::StraceItem>>();
  items->reserve(keyed.size());
  for (Keyed& k : keyed) items->push_back(std::move(k.item));
  record.calls.clear();
  record.processes.clear();
  std::unique_ptr<AnalyzeLog> log(new AnalyzeLog());
  log->record_items_ = std::move(items);
  log->record_facts_ =
      std::make_shared<analyze::StraceLogFacts>(static_cast<analyze::StraceLogFacts&>(record));
  return log;
}

absl::StatusOr<std::unique_ptr<AnalyzeLog>> AnalyzeLog::Reopen() const {
  if (stream_ == nullptr) {
    std::unique_ptr<AnalyzeLog> log(new AnalyzeLog());
    log->record_items_ = record_items_;
    log->record_facts_ = record_facts_;
    return log;
  }
  std::unique_ptr<AnalyzeLog> log(new AnalyzeLog());
  log->files_ = files_;
  auto stream = analyze::StraceStream::OpenFiles(files_, analyze::StraceParseOptions{});
  if (!stream.ok()) return stream.status();
  log->stream_ = *std::move(stream);
  return log;
}

absl::StatusOr<std::optional<analyze::StraceItem>> AnalyzeLog::Next() {
  if (stream_ != nullptr) return stream_->Next();
  if (next_record_item_ >= record_items_->size()) return std::nullopt;
  return (*record_items_)[next_record_item_++];
}

const analyze::StraceLogFacts& AnalyzeLog::facts() const {
  return stream_ != nullptr ? stream_->facts() : *record_facts_;
}

size_t AnalyzeLog::buffered_calls() const {
  return stream_ != nullptr ? stream_->buffered_calls() : 0;
}

}  // namespace netcorr::cli
