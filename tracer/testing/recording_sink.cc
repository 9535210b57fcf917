#include "tracer/testing/recording_sink.h"

#include "absl/strings/str_cat.h"
#include "tracer/event_format.h"

namespace netcorr::tracer::testing {

std::vector<const SyscallEvent*> RecordingSink::Named(std::string_view name) const {
  std::vector<const SyscallEvent*> out;
  for (const SyscallEvent& e : calls) {
    if (e.name == name) out.push_back(&e);
  }
  return out;
}

std::vector<const SyscallEvent*> RecordingSink::NamedInFirstProcess(
    std::string_view name) const {
  std::vector<const SyscallEvent*> out;
  for (const SyscallEvent* e : Named(name)) {
    if (!processes.empty() && e->pid == processes.front().pid) out.push_back(e);
  }
  return out;
}

std::vector<const ProcessEvent*> RecordingSink::OfKind(ProcessEvent::Kind kind) const {
  std::vector<const ProcessEvent*> out;
  for (const ProcessEvent& p : processes) {
    if (p.kind == kind) out.push_back(&p);
  }
  return out;
}

std::string RecordingSink::Dump() const {
  std::string s;
  for (const ProcessEvent& p : processes) absl::StrAppend(&s, FormatProcessLine(p), "\n");
  for (const SyscallEvent& e : calls) absl::StrAppend(&s, FormatEventLine(e), "\n");
  return s;
}

}  // namespace netcorr::tracer::testing
