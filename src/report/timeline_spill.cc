#include "src/report/timeline_spill.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "src/report/call_format.h"
#include "src/report/packet_format.h"

namespace netcorr::report {

namespace {

// A record: u32 body length, then the body: i64 time, u64 id, i64 exit, u8 flags, three u32
// text lengths, the texts. Native byte order: the file is read back by the process that wrote
// it, and by nothing else.
constexpr size_t kLengthBytes = 4;
constexpr size_t kFixedBody = 8 + 8 + 8 + 1 + 3 * 4;

enum Flag : uint8_t {
  kIsCall = 1,
  kFailed = 2,
  kFinished = 4,
  kResolvesCall = 8,
  kRevealedError = 16,
};

template <typename T>
void Put(std::string& out, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out.append(bytes, sizeof(T));
}

template <typename T>
T Get(const char* at) {
  T value;
  std::memcpy(&value, at, sizeof(T));
  return value;
}

void Encode(const SpillEvent& e, std::string& out) {
  const uint32_t body = static_cast<uint32_t>(kFixedBody + e.head.size() + e.outcome.size() +
                                              e.exit_text.size());
  Put<uint32_t>(out, body);
  Put<int64_t>(out, e.time_ns);
  Put<uint64_t>(out, e.id);
  Put<int64_t>(out, e.exit_ns);
  uint8_t flags = 0;
  if (e.is_call) flags |= kIsCall;
  if (e.marks.failed) flags |= kFailed;
  if (e.marks.finished) flags |= kFinished;
  if (e.marks.resolves_call) flags |= kResolvesCall;
  if (e.marks.revealed_error) flags |= kRevealedError;
  Put<uint8_t>(out, flags);
  Put<uint32_t>(out, static_cast<uint32_t>(e.head.size()));
  Put<uint32_t>(out, static_cast<uint32_t>(e.outcome.size()));
  Put<uint32_t>(out, static_cast<uint32_t>(e.exit_text.size()));
  out.append(e.head).append(e.outcome).append(e.exit_text);
}

// Decodes one body of `size` bytes; false when its lengths do not add up.
bool Decode(const char* body, size_t size, SpillEvent& e) {
  if (size < kFixedBody) return false;
  e.time_ns = Get<int64_t>(body);
  e.id = Get<uint64_t>(body + 8);
  e.exit_ns = Get<int64_t>(body + 16);
  const uint8_t flags = Get<uint8_t>(body + 24);
  e.is_call = (flags & kIsCall) != 0;
  e.marks.failed = (flags & kFailed) != 0;
  e.marks.finished = (flags & kFinished) != 0;
  e.marks.resolves_call = (flags & kResolvesCall) != 0;
  e.marks.revealed_error = (flags & kRevealedError) != 0;
  const uint64_t head = Get<uint32_t>(body + 25);
  const uint64_t outcome = Get<uint32_t>(body + 29);
  const uint64_t exit_text = Get<uint32_t>(body + 33);
  if (kFixedBody + head + outcome + exit_text != size) return false;
  const char* text = body + kFixedBody;
  e.head.assign(text, head);
  e.outcome.assign(text + head, outcome);
  e.exit_text.assign(text + head + outcome, exit_text);
  return true;
}

absl::Status WriteAll(int fd, const std::string& data, uint64_t offset) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = pwrite(fd, data.data() + done, data.size() - done,
                             static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return absl::ErrnoToStatus(n < 0 ? errno : ENOSPC, "writing the --all timeline's file");
    }
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

}  // namespace

SpillEvent SpillEventOf(const SyscallEvent& call) {
  SpillEvent e;
  e.time_ns = call.entry_ns;
  e.is_call = true;
  e.id = call.id;
  e.exit_ns = call.exit_ns;
  e.marks = MarksOf(call);
  e.head = FormatCallHead(call);
  e.outcome = FormatCallOutcome(call);
  e.exit_text = CallExitText(call);
  return e;
}

SpillEvent SpillEventOf(const Packet& packet) {
  SpillEvent e;
  e.time_ns = packet.ts_ns;
  e.id = packet.id;
  e.exit_ns = packet.ts_ns;
  e.head = FormatPacket(packet);
  return e;
}

bool SpillEventBefore(const SpillEvent& a, const SpillEvent& b) {
  if (a.time_ns != b.time_ns) return a.time_ns < b.time_ns;
  // At the same nanosecond a call's entry comes first: it is what sent the packet.
  if (a.is_call != b.is_call) return a.is_call;
  return a.id < b.id;
}

absl::StatusOr<std::unique_ptr<TimelineSpill>> TimelineSpill::Create(const std::string& dir,
                                                                     size_t run_bytes) {
  // Never linked into the directory: nothing else can open it, and it goes with the process.
  int fd = open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
    // A file system without O_TMPFILE: a unique name, unlinked at once.
    std::string path = absl::StrCat(dir, "/netcorr-timeline-XXXXXX");
    fd = mkostemp(path.data(), O_CLOEXEC);
    if (fd >= 0) unlink(path.c_str());
  }
  if (fd < 0) {
    return absl::ErrnoToStatus(errno,
                               absl::StrCat("cannot create the --all timeline's file in ", dir));
  }
  return std::unique_ptr<TimelineSpill>(new TimelineSpill(fd, std::max<size_t>(run_bytes, 1)));
}

TimelineSpill::~TimelineSpill() { close(fd_); }

void TimelineSpill::Add(const SpillEvent& event) {
  if (!state_.error.ok()) {
    ++state_.lost;
    return;
  }
  keys_.push_back(Key{event.time_ns, event.is_call, event.id, arena_.size(), 0});
  Encode(event, arena_);
  keys_.back().size = arena_.size() - keys_.back().offset;
  ++(event.is_call ? state_.calls : state_.packets);
  const TimeNs last = event.is_call ? std::max(event.exit_ns, event.time_ns) : event.time_ns;
  if (state_.events() == 1) {
    state_.first_ns = event.time_ns;
    state_.last_ns = last;
  } else {
    state_.first_ns = std::min(state_.first_ns, event.time_ns);
    state_.last_ns = std::max(state_.last_ns, last);
  }
  if (arena_.size() >= run_bytes_) WriteRun();
}

void TimelineSpill::WriteRun() {
  if (keys_.empty()) return;
  std::sort(keys_.begin(), keys_.end(), [](const Key& a, const Key& b) {
    if (a.time_ns != b.time_ns) return a.time_ns < b.time_ns;
    if (a.is_call != b.is_call) return a.is_call;
    return a.id < b.id;
  });
  SpillRun run;
  run.offset = state_.file_bytes;
  run.events = keys_.size();
  // Written in chunks of about 1 MB: the sorted copy never doubles the run in memory.
  constexpr size_t kChunk = 1u << 20;
  std::string chunk;
  absl::Status written;
  for (size_t i = 0; i < keys_.size() && written.ok(); ++i) {
    chunk.append(arena_, keys_[i].offset, keys_[i].size);
    if (chunk.size() >= kChunk || i + 1 == keys_.size()) {
      written = WriteAll(fd_, chunk, run.offset + run.bytes);
      run.bytes += chunk.size();
      chunk.clear();
    }
  }
  if (written.ok()) {
    state_.runs.push_back(run);
    state_.file_bytes += run.bytes;
  } else {
    // The run is not on disk: its events are lost, and so is every later one.
    state_.error = written;
    for (const Key& k : keys_) --(k.is_call ? state_.calls : state_.packets);
    state_.lost += keys_.size();
  }
  keys_.clear();
  arena_.clear();
  if (arena_.capacity() > 2 * run_bytes_) arena_.shrink_to_fit();
}

SpilledTimeline TimelineSpill::Seal() {
  WriteRun();
  SpilledTimeline view = state_;
  view.fd = fd_;
  return view;
}

// One run's records, read through a small buffer.
class SpillReader::Cursor {
 public:
  Cursor(int fd, const SpillRun& run, size_t buffer_bytes)
      : fd_(fd), next_(run.offset), end_(run.offset + run.bytes), buffer_bytes_(buffer_bytes) {}

  // The next record, nullopt at the run's end; an error when the bytes do not decode.
  absl::StatusOr<std::optional<SpillEvent>> Next() {
    if (next_ == end_ && pos_ == buffer_.size()) return std::optional<SpillEvent>();
    if (absl::Status s = Need(kLengthBytes); !s.ok()) return s;
    const uint32_t body = Get<uint32_t>(buffer_.data() + pos_);
    if (body < kFixedBody || body > Remaining() - kLengthBytes) {
      return absl::DataLossError("the --all timeline's file holds a record longer than its run");
    }
    if (absl::Status s = Need(kLengthBytes + body); !s.ok()) return s;
    SpillEvent e;
    if (!Decode(buffer_.data() + pos_ + kLengthBytes, body, e)) {
      return absl::DataLossError("the --all timeline's file holds a record that does not decode");
    }
    pos_ += kLengthBytes + body;
    return std::optional<SpillEvent>(std::move(e));
  }

 private:
  uint64_t Remaining() const { return (buffer_.size() - pos_) + (end_ - next_); }

  // Makes `bytes` bytes available at pos_, reading more of the run when needed.
  absl::Status Need(size_t bytes) {
    if (buffer_.size() - pos_ >= bytes) return absl::OkStatus();
    if (Remaining() < bytes) {
      return absl::DataLossError("the --all timeline's file ends inside a record");
    }
    buffer_.erase(0, pos_);
    pos_ = 0;
    const size_t have = buffer_.size();
    const uint64_t want = std::min<uint64_t>(std::max(bytes, buffer_bytes_), have + (end_ - next_));
    buffer_.resize(static_cast<size_t>(want));
    size_t filled = have;
    while (filled < buffer_.size()) {
      const ssize_t n =
          pread(fd_, buffer_.data() + filled, buffer_.size() - filled, static_cast<off_t>(next_));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        buffer_.resize(filled);
        return n < 0 ? absl::ErrnoToStatus(errno, "reading the --all timeline's file")
                     : absl::DataLossError("the --all timeline's file is shorter than written");
      }
      filled += static_cast<size_t>(n);
      next_ += static_cast<uint64_t>(n);
    }
    return absl::OkStatus();
  }

  int fd_;
  uint64_t next_;  // the next file offset to read
  uint64_t end_;
  size_t buffer_bytes_;
  std::string buffer_;
  size_t pos_ = 0;
};

namespace {

// The heap's order: the earliest event on top; equal events by run, so the merge is stable.
bool HeapAfter(const std::pair<SpillEvent, size_t>& a, const std::pair<SpillEvent, size_t>& b) {
  if (SpillEventBefore(b.first, a.first)) return true;
  if (SpillEventBefore(a.first, b.first)) return false;
  return a.second > b.second;
}

}  // namespace

SpillReader::SpillReader(const SpilledTimeline& spill) {
  // Read buffers share about 8 MB, whatever the number of runs.
  constexpr size_t kBudget = 8u << 20;
  const size_t per_run = spill.runs.empty()
                             ? 0
                             : std::clamp<size_t>(kBudget / spill.runs.size(), 4096, 256u << 10);
  for (const SpillRun& run : spill.runs) {
    cursors_.push_back(std::make_unique<Cursor>(spill.fd, run, per_run));
  }
  for (size_t i = 0; i < cursors_.size() && status_.ok(); ++i) Push(i);
}

SpillReader::~SpillReader() = default;

void SpillReader::Push(size_t cursor) {
  auto next = cursors_[cursor]->Next();
  if (!next.ok()) {
    status_ = next.status();
    heap_.clear();
    return;
  }
  if (!next->has_value()) return;
  heap_.emplace_back(std::move(**next), cursor);
  std::push_heap(heap_.begin(), heap_.end(), HeapAfter);
}

std::optional<SpillEvent> SpillReader::Next() {
  if (heap_.empty() || !status_.ok()) return std::nullopt;
  std::pop_heap(heap_.begin(), heap_.end(), HeapAfter);
  auto [event, cursor] = std::move(heap_.back());
  heap_.pop_back();
  // A read error ends the stream after this event (status() says why).
  Push(cursor);
  return std::move(event);
}

}  // namespace netcorr::report
