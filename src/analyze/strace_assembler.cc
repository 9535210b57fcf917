#include "src/analyze/strace_assembler.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "src/analyze/strace_names.h"
#include "src/socket_model/interrupted_call.h"

namespace netcorr::analyze {
namespace {

constexpr size_t kMaxExampleBytes = 200;
constexpr uint64_t kCloneThread = 0x00010000;  // CLONE_THREAD, for -X raw flag values

}  // namespace

TimeNs AddTime(TimeNs a, TimeNs b) {
  TimeNs sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) {
    return b > 0 ? std::numeric_limits<TimeNs>::max() : std::numeric_limits<TimeNs>::min();
  }
  return sum;
}

void Assembler::CountUnknown(std::string_view raw) {
  ++result_.unknown_lines;
  if (result_.unknown_examples.size() < options_.max_unknown_examples) {
    result_.unknown_examples.emplace_back(raw.substr(0, kMaxExampleBytes));
  }
}

void Assembler::LearnAnonymousTid(int32_t tid) {
  if (anonymous_learnt_ || tid <= 0 || anonymous_tid_ != kAnonymousTid) return;
  anonymous_learnt_ = true;
  anonymous_tid_ = tid;
  // Move what was filed under the placeholder (out before inserting: an insert may rehash).
  if (auto it = tables_.find(kAnonymousTid); it != tables_.end()) {
    socket_model::FdTable table = std::move(it->second);
    tables_.erase(it);
    tables_[tid] = std::move(table);
  }
  if (auto it = unfinished_.find(kAnonymousTid); it != unfinished_.end()) {
    Unfinished u = std::move(it->second);
    unfinished_.erase(it);
    unfinished_[tid] = std::move(u);
  }
  if (auto it = interrupted_.find(kAnonymousTid); it != interrupted_.end()) {
    Interrupted in = std::move(it->second);
    interrupted_.erase(it);
    interrupted_[tid] = std::move(in);
  }
}

void Assembler::NoteNewTid(int32_t tid) {
  if (!seen_tids_.insert(tid).second) return;
  if (tgid_of_.contains(tid)) return;
  // A thread's first line can precede its parent's clone() result: if some task is inside a
  // clone with CLONE_THREAD right now, the newcomer is most likely its thread.
  for (const auto& [parent, u] : unfinished_) {
    if ((u.name == "clone" || u.name == "clone3") && HasFlag(u.args, "CLONE_THREAD", 0) &&
        parent != tid) {
      tgid_of_[tid] = TgidOf(parent);
      return;
    }
  }
}

void Assembler::ProcessBookkeeping(CallClass cls, int32_t tid, std::string_view args,
                                   TimeNs exit_ns, const Outcome& o) {
  const bool ok = o.finished && o.error == 0;
  switch (cls) {
    case CallClass::kSelfPid:
      if (ok && tid == kAnonymousTid) LearnAnonymousTid(static_cast<int32_t>(o.result));
      break;
    case CallClass::kClone: {
      if (!ok || o.result <= 0 || o.result > INT32_MAX) break;
      const int32_t child = static_cast<int32_t>(o.result);
      const size_t flags_at = args.find("flags=");
      std::string_view flags;
      if (flags_at != std::string_view::npos) {
        flags = args.substr(flags_at + 6);
        const size_t end = flags.find_first_of(",}");
        flags = flags.substr(0, end);
      }
      const int32_t parent = TgidOf(tid);
      if (!flags.empty() && HasFlag(flags, "CLONE_THREAD", kCloneThread)) {
        tgid_of_[child] = parent;
        break;
      }
      tgid_of_.erase(child);
      started_pids_.insert(child);
      ProcessEvent p;
      p.kind = ProcessEvent::Kind::kStarted;
      p.pid = child;
      p.parent_pid = parent;
      p.time_ns = exit_ns;
      result_.processes.push_back(std::move(p));
      // fork: the child starts with copies of the parent's descriptors.
      socket_model::FdTable copy = Table(parent).ForkedCopy();
      tables_[child] = std::move(copy);
      break;
    }
    case CallClass::kExecve: {
      if (!ok) break;
      std::vector<std::string_view> a;
      SplitArgs(args, a, 3);
      ProcessEvent p;
      const int32_t pid = TgidOf(tid);
      const bool first = !started_pids_.contains(pid);
      p.kind = first ? ProcessEvent::Kind::kStarted : ProcessEvent::Kind::kExec;
      p.pid = pid;
      p.time_ns = exit_ns;
      // execve("path", ...) or execveat(dirfd, "path", ...): the first string is the program.
      for (std::string_view x : a) {
        if (!x.empty() && x.front() == '"') {
          p.detail = UnquoteString(x);
          break;
        }
      }
      started_pids_.insert(pid);
      result_.processes.push_back(std::move(p));
      break;
    }
    default:
      break;
  }
}

void Assembler::FinishInterrupted(int32_t tid, Interrupted& in, int error, TimeNs exit_ns,
                                  bool finished) {
  Outcome o;
  o.finished = finished;
  o.error = error;
  o.result = error != 0 ? -1 : 0;
  Complete(tid, in.name, in.args, in.entry_ns, exit_ns, o);
}

// Decides what a call line means for an interrupted call of the same thread. Returns true when
// the line was the interrupted call's own continuation (and has been consumed).
bool Assembler::ContinueInterrupted(int32_t tid, std::string_view name, std::string_view args,
                                    TimeNs exit_ns, const Outcome& o) {
  auto it = interrupted_.find(tid);
  if (it == interrupted_.end()) return false;
  Interrupted& in = it->second;
  const socket_model::AfterInterruption next =
      socket_model::NextCallAfterInterruption(in.name, name);
  if (next == socket_model::AfterInterruption::kHandlerReturning) {
    // The handler returned: EINTR now, or a restart that shows up as the next call.
    if (o.error == EINTR) {
      Interrupted done = std::move(in);
      interrupted_.erase(it);
      FinishInterrupted(tid, done, EINTR, exit_ns, true);
    }
    return false;
  }
  Interrupted done = std::move(in);
  interrupted_.erase(it);
  if (next == socket_model::AfterInterruption::kRestarted) {
    if (socket_model::IsRestartErrno(o.error)) {
      // Interrupted again: keep the original entry.
      done.interrupted_ns = exit_ns;
      if (name == done.name) done.args = std::string(args);
      interrupted_[tid] = std::move(done);
      return true;
    }
    Complete(tid, done.name, name == done.name ? args : std::string_view(done.args), done.entry_ns,
             exit_ns, o);
    return true;
  }
  FinishInterrupted(tid, done, EINTR, done.interrupted_ns, true);
  return false;
}

void Assembler::FlushTid(int32_t tid, TimeNs when) {
  if (auto it = unfinished_.find(tid); it != unfinished_.end()) {
    Unfinished u = std::move(it->second);
    unfinished_.erase(it);
    Outcome o;
    o.finished = false;
    Complete(tid, u.name, u.args, u.entry_ns, std::max(when, u.entry_ns), o);
  }
  if (auto it = interrupted_.find(tid); it != interrupted_.end()) {
    Interrupted in = std::move(it->second);
    interrupted_.erase(it);
    // Interrupted by a signal that then ended the thread (or tracing): it never completed.
    FinishInterrupted(tid, in, 0, in.interrupted_ns, false);
  }
}

void Assembler::Consume(const StraceLine& l, int32_t source_tid, std::string_view raw) {
  if (l.kind == StraceLineKind::kUnknown) {
    CountUnknown(raw);
    return;
  }
  ++recognized_;
  int32_t tid = l.has_pid ? l.pid : source_tid;
  if (!l.has_pid && source_tid == kAnonymousTid) tid = anonymous_tid_;
  NoteNewTid(tid);
  if (l.time_form != StraceTimeForm::kNone) {
    result_.has_timestamps = true;
    if (l.time_form == StraceTimeForm::kTimeOfDay) result_.time_of_day_only = true;
    result_.timestamp_precision_digits =
        std::max(result_.timestamp_precision_digits, l.time_digits);
  }
  if (l.has_duration) result_.has_durations = true;
  const TimeNs t = l.time_form != StraceTimeForm::kNone ? l.time_ns : 0;
  NoteTime(t);

  Outcome o;
  o.finished = l.has_result && !l.result_unknown;
  o.result = l.result;
  o.error = l.error;
  if (o.finished && o.error == 0 && l.result < 0 && l.result >= -4095 && !l.error_name.empty()) {
    o.error = static_cast<int>(-l.result);  // an errno name this C library does not know
  }
  o.decoration = l.result_decoration;
  o.comment = l.result_comment;
  if (l.result_unknown && l.error != 0) {
    o.error = l.error;  // "= ? ERESTARTSYS": the kernel's restart codes
  }

  switch (l.kind) {
    case StraceLineKind::kCall: {
      const TimeNs exit_ns = l.has_duration ? AddTime(t, l.duration_ns) : t;
      NoteTime(exit_ns);
      if (ContinueInterrupted(tid, l.name, l.args, exit_ns, o)) return;
      if (socket_model::IsRestartErrno(o.error)) {
        interrupted_[tid] = Interrupted{std::string(l.name), std::string(l.args), t, exit_ns};
        return;
      }
      Complete(tid, l.name, l.args, t, exit_ns, o);
      return;
    }
    case StraceLineKind::kUnfinished: {
      // A second entry on the same thread: the first never resumed in the log.
      if (unfinished_.contains(tid)) FlushTid(tid, t);
      if (auto it = interrupted_.find(tid); it != interrupted_.end()) {
        if (socket_model::NextCallAfterInterruption(it->second.name, l.name) ==
            socket_model::AfterInterruption::kEintr) {
          Interrupted done = std::move(it->second);
          interrupted_.erase(it);
          FinishInterrupted(tid, done, EINTR, done.interrupted_ns, true);
        }
      }
      unfinished_[tid] = Unfinished{std::string(l.name), std::string(l.args), t};
      return;
    }
    case StraceLineKind::kResumed: {
      auto it = unfinished_.find(tid);
      TimeNs entry = t;
      std::string_view args = l.args;
      if (it != unfinished_.end() && it->second.name == l.name) {
        entry = it->second.entry_ns;
        joined_ = std::move(it->second.args);
        unfinished_.erase(it);
        if (!joined_.empty() && !l.args.empty() && joined_.back() == ',') joined_.push_back(' ');
        joined_.append(l.args);
        args = joined_;
      } else if (l.has_duration && t >= l.duration_ns) {
        // The entry is not in the log (it began before tracing did): -T still gives it.
        entry = t - l.duration_ns;
      }
      TimeNs exit_ns = l.has_duration ? AddTime(entry, l.duration_ns) : t;
      if (!l.has_duration && t == 0) exit_ns = entry;
      NoteTime(exit_ns);
      if (!l.has_result) o.finished = false;
      if (!o.finished && !socket_model::IsRestartErrno(o.error)) {
        Complete(tid, l.name, args, entry, exit_ns, o);
        return;
      }
      if (ContinueInterrupted(tid, l.name, args, exit_ns, o)) return;
      if (socket_model::IsRestartErrno(o.error)) {
        interrupted_[tid] = Interrupted{std::string(l.name), std::string(args), entry, exit_ns};
        return;
      }
      Complete(tid, l.name, args, entry, exit_ns, o);
      return;
    }
    case StraceLineKind::kExited:
    case StraceLineKind::kKilled: {
      FlushTid(tid, t);
      const int32_t tgid = TgidOf(tid);
      if (tgid != tid) return;  // a thread of a process that goes on
      ProcessEvent p;
      p.pid = tid;
      p.time_ns = t;
      if (l.kind == StraceLineKind::kExited) {
        p.kind = ProcessEvent::Kind::kExited;
        p.status = l.status;
      } else {
        p.kind = ProcessEvent::Kind::kKilled;
        p.status = SignalFromName(l.name).value_or(0);
        p.detail = l.core_dumped ? absl::StrCat(std::string(l.name), " (core dumped)")
                                 : std::string(l.name);
      }
      result_.processes.push_back(std::move(p));
      return;
    }
    case StraceLineKind::kSignal: {
      StraceSignal s;
      s.pid = TgidOf(tid);
      s.tid = tid;
      s.time_ns = t;
      s.name = std::string(l.name);
      s.signo = SignalFromName(l.name).value_or(0);
      s.detail = std::string(l.args);
      result_.signals.push_back(std::move(s));
      return;
    }
    case StraceLineKind::kAttached:
    case StraceLineKind::kDetached: {
      ProcessEvent p;
      p.kind = l.kind == StraceLineKind::kAttached ? ProcessEvent::Kind::kAttached
                                                   : ProcessEvent::Kind::kDetached;
      p.pid = TgidOf(l.status);
      p.time_ns = t;
      if (l.kind == StraceLineKind::kDetached) FlushTid(l.status, t);
      result_.processes.push_back(std::move(p));
      return;
    }
    case StraceLineKind::kSuperseded:
    case StraceLineKind::kUnknown:
      return;
  }
}

StraceParseResult Assembler::Finish() {
  // Calls still in progress when the log ends were blocked when strace stopped.
  std::vector<int32_t> open;
  for (const auto& [tid, u] : unfinished_) open.push_back(tid);
  for (const auto& [tid, in] : interrupted_) open.push_back(tid);
  std::sort(open.begin(), open.end());
  open.erase(std::unique(open.begin(), open.end()), open.end());
  for (int32_t tid : open) FlushTid(tid, result_.last_time_ns);

  // The placeholder pid gets the one the log revealed.
  for (SyscallEvent& ev : events_) {
    if (ev.tid == kAnonymousTid) ev.tid = anonymous_tid_;
    ev.pid = TgidOf(ev.tid);
  }
  for (ProcessEvent& p : result_.processes) {
    if (p.pid == kAnonymousTid) p.pid = anonymous_tid_;
  }
  for (StraceSignal& s : result_.signals) {
    if (s.tid == kAnonymousTid) s.tid = anonymous_tid_;
    s.pid = TgidOf(s.tid);
  }

  // Entry order, ids from 1; links between calls follow.
  std::vector<size_t> order(events_.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return events_[a].entry_ns < events_[b].entry_ns; });
  std::vector<uint64_t> id_of(events_.size());
  for (size_t k = 0; k < order.size(); ++k) id_of[order[k]] = k + 1;
  result_.calls.reserve(events_.size());
  for (size_t k = 0; k < order.size(); ++k) {
    SyscallEvent& ev = events_[order[k]];
    ev.id = k + 1;
    if (ev.resolves_call) ev.resolves_call = id_of[*ev.resolves_call];
    result_.calls.push_back(std::move(ev));
  }
  events_.clear();
  std::stable_sort(
      result_.processes.begin(), result_.processes.end(),
      [](const ProcessEvent& a, const ProcessEvent& b) { return a.time_ns < b.time_ns; });
  return std::move(result_);
}

}  // namespace netcorr::analyze
