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
  ++facts_.unknown_lines;
  if (facts_.unknown_examples.size() < options_.max_unknown_examples) {
    facts_.unknown_examples.emplace_back(raw.substr(0, kMaxExampleBytes));
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
      EmitProcess(std::move(p));
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
      EmitProcess(std::move(p));
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
    facts_.has_timestamps = true;
    if (l.time_form == StraceTimeForm::kTimeOfDay) facts_.time_of_day_only = true;
    facts_.timestamp_precision_digits = std::max(facts_.timestamp_precision_digits, l.time_digits);
  }
  if (l.has_duration) facts_.has_durations = true;
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
      ReleaseProcess(tgid);     // its sockets can show nothing more
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
      EmitProcess(std::move(p));
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
      EmitSignal(std::move(s));
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
      EmitProcess(std::move(p));
      return;
    }
    case StraceLineKind::kSuperseded:
    case StraceLineKind::kUnknown:
      return;
  }
}

void Assembler::Finish() {
  // Calls still in progress when the log ends were blocked when strace stopped.
  std::vector<int32_t> open;
  for (const auto& [tid, u] : unfinished_) open.push_back(tid);
  for (const auto& [tid, in] : interrupted_) open.push_back(tid);
  std::sort(open.begin(), open.end());
  open.erase(std::unique(open.begin(), open.end()), open.end());
  for (int32_t tid : open) FlushTid(tid, facts_.last_time_ns);
  // Nothing more can show a socket's ends.
  std::vector<uint64_t> serials;
  for (const auto& [serial, inst] : instances_) serials.push_back(serial);
  std::sort(serials.begin(), serials.end());
  for (uint64_t serial : serials) ReleaseSocket(serial);
  for (uint64_t id : held_order_) ReleaseHeld(id);
  held_order_.clear();
}

namespace {

ItemKey CallKey(const SyscallEvent& ev, uint64_t order) {
  return {ev.finished ? ev.exit_ns : std::numeric_limits<TimeNs>::max(), ev.entry_ns, order};
}

}  // namespace

void Assembler::EmitCall(SyscallEvent ev, uint64_t order) {
  const ItemKey key = CallKey(ev, order);
  out_.Push(key, StraceItem{std::move(ev), order});
}

void Assembler::EmitProcess(ProcessEvent p) {
  const uint64_t order = next_order_++;
  const ItemKey key{p.time_ns, std::numeric_limits<TimeNs>::max(), order};
  out_.Push(key, StraceItem{std::move(p), order});
}

void Assembler::EmitSignal(StraceSignal s) {
  const uint64_t order = next_order_++;
  const ItemKey key{s.time_ns, std::numeric_limits<TimeNs>::max(), order};
  out_.Push(key, StraceItem{std::move(s), order});
}

ItemKey Assembler::LowestPending(TimeNs clock) const {
  // A line still to come makes items at `clock` or later, with two exceptions. A resumed call
  // exits at entry + -T duration, which strace measures a little before it stamps the resumed
  // line: kResumeSlackNs covers that. A resumed call whose entry is not in the log gets entry =
  // exit - duration: hence no bound on the entry. Without timestamps every time is 0 and only
  // the order tells items apart (a call in progress then also exits at 0, after this order).
  ItemKey low = facts_.has_timestamps
                    ? ItemKey{clock - kResumeSlackNs, std::numeric_limits<TimeNs>::min(), 0}
                    : ItemKey{clock, clock, next_order_};
  // A call that returned ERESTART* may yet end as EINTR at that return.
  for (const auto& [tid, in] : interrupted_) {
    const CallClass cls = Classify(in.name);
    if (cls == CallClass::kIgnored || cls == CallClass::kSelfPid) continue;  // makes no item
    low = std::min(low, facts_.has_timestamps
                            ? ItemKey{in.interrupted_ns, std::numeric_limits<TimeNs>::min(), 0}
                            : ItemKey{in.interrupted_ns, in.entry_ns, next_order_});
  }
  for (const auto& [id, h] : held_) low = std::min(low, CallKey(h.ev, h.order));
  return low;
}

void Assembler::Relabel(StraceItem& item) const {
  if (SyscallEvent* ev = std::get_if<SyscallEvent>(&item.value)) {
    if (ev->tid == kAnonymousTid) ev->tid = anonymous_tid_;
    ev->pid = TgidOf(ev->tid);
  } else if (ProcessEvent* p = std::get_if<ProcessEvent>(&item.value)) {
    if (p->pid == kAnonymousTid) p->pid = anonymous_tid_;
  } else if (StraceSignal* s = std::get_if<StraceSignal>(&item.value)) {
    if (s->tid == kAnonymousTid) s->tid = anonymous_tid_;
    s->pid = TgidOf(s->tid);
  }
}

}  // namespace netcorr::analyze
