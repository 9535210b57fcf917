#pragma once

// The --all timeline of a long session, on disk instead of in memory. SessionRecord lets ended
// stories go, so the events it keeps are not the whole session; with --all every call and packet
// is also appended here, as it is added to the record, as a compact record of what its timeline
// row shows (pre-rendered texts, the marks' flags, the ordering fields). Events arrive nearly in
// time order (a call at its exit but sorted by its entry, which may be hours earlier; packets
// after their delivery latency), so they are sorted externally: a bounded in-memory run is
// sorted and appended to the file as a sorted run, and a reader merges the runs (SpillReader).
// The writer's memory is bounded by the run size however long the session; the reader's by its
// buffers' 8 MB budget, at least 4 KB per run (a multi-level merge would bound that too past
// 2,048 runs). The file is unlinked from the start (O_TMPFILE, or mkstemp then unlink) and
// 0600, so it disappears with the process.
//
// A write error is kept (the first one) and every later event counted as lost: the report then
// says the timeline is incomplete instead of truncating it silently. Not thread-safe, except
// that a reader may read what Seal() returned while the writer appends after it.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "src/model/packet.h"
#include "src/model/syscall_event.h"
#include "src/model/time.h"
#include "src/report/timeline_cells.h"

namespace netcorr::report {

// One event as the timeline needs it. Calls: the sort key is their entry.
struct SpillEvent {
  TimeNs time_ns = 0;  // call entry or packet timestamp
  bool is_call = false;
  uint64_t id = 0;     // SyscallEvent::id or Packet::id (the frame number)
  TimeNs exit_ns = 0;  // calls
  CallMarks marks;     // calls
  std::string head;     // calls: FormatCallHead; packets: FormatPacket
  std::string outcome;  // calls: FormatCallOutcome
  std::string exit_text;  // calls: CallExitText
};
SpillEvent SpillEventOf(const SyscallEvent& call);
SpillEvent SpillEventOf(const Packet& packet);

// The timeline's order (timeline.cc's ItemBefore): time, a call before a packet at the same
// nanosecond, then id.
bool SpillEventBefore(const SpillEvent& a, const SpillEvent& b);

// A sorted run: where it lies in the file.
struct SpillRun {
  uint64_t offset = 0;
  uint64_t bytes = 0;
  uint64_t events = 0;
};

// What a reader needs, as of one Seal(): the runs written so far. The fd belongs to the
// TimelineSpill, which must outlive this.
struct SpilledTimeline {
  int fd = -1;
  std::vector<SpillRun> runs;
  uint64_t calls = 0;
  uint64_t packets = 0;
  TimeNs first_ns = 0;  // the earliest event time (0: no event)
  TimeNs last_ns = 0;   // the latest call exit or packet
  uint64_t file_bytes = 0;
  absl::Status error;  // the first write error: `lost` events after it are missing
  uint64_t lost = 0;
  uint64_t events() const { return calls + packets; }
};

class TimelineSpill {
 public:
  static constexpr size_t kDefaultRunBytes = 4u << 20;
  // A file in `dir` ($TMPDIR or /tmp for the caller to choose); run_bytes bounds the memory
  // the unsorted events take before they are written as a run.
  static absl::StatusOr<std::unique_ptr<TimelineSpill>> Create(const std::string& dir,
                                                               size_t run_bytes = kDefaultRunBytes);
  ~TimelineSpill();
  TimelineSpill(const TimelineSpill&) = delete;
  TimelineSpill& operator=(const TimelineSpill&) = delete;

  void AddCall(const SyscallEvent& call) { Add(SpillEventOf(call)); }
  void AddPacket(const Packet& packet) { Add(SpillEventOf(packet)); }
  void Add(const SpillEvent& event);

  // Writes the events held in memory as a run and returns the file's runs: the whole timeline
  // so far, for a report (the one so far on SIGUSR1, or the final one).
  SpilledTimeline Seal();

 private:
  TimelineSpill(int fd, size_t run_bytes) : fd_(fd), run_bytes_(run_bytes) {}
  void WriteRun();

  int fd_;
  size_t run_bytes_;
  // The run being filled: encoded records, and their keys for sorting.
  struct Key {
    TimeNs time_ns;
    bool is_call;
    uint64_t id;
    size_t offset;
    size_t size;
  };
  std::string arena_;
  std::vector<Key> keys_;
  SpilledTimeline state_;
};

// Reads the merged, sorted events of a SpilledTimeline: one small buffer per run, a heap of
// the runs' next events. A record that does not decode (a short read, a length beyond its run)
// ends the reading with an error.
class SpillReader {
 public:
  explicit SpillReader(const SpilledTimeline& spill);
  ~SpillReader();
  SpillReader(const SpillReader&) = delete;
  SpillReader& operator=(const SpillReader&) = delete;

  // The next event in timeline order, or nullopt at the end or on an error (see status()).
  std::optional<SpillEvent> Next();
  const absl::Status& status() const { return status_; }

 private:
  class Cursor;
  void Push(size_t cursor);
  std::vector<std::unique_ptr<Cursor>> cursors_;
  std::vector<std::pair<SpillEvent, size_t>> heap_;  // (event, cursor), earliest on top
  absl::Status status_;
};

}  // namespace netcorr::report
