#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "src/model/syscall_event.h"
#include "tracer/tracer.h"

namespace netcorr::tracer::testing {

// An EventSink that keeps everything the tracer reports, for tests to read afterwards.
class RecordingSink : public EventSink {
 public:
  void OnSyscall(const SyscallEvent& e) override { calls.push_back(e); }
  void OnProcess(const ProcessEvent& e) override { processes.push_back(e); }
  void BeforeTraffic(const TrafficIntent& i) override { intents.push_back(i); }

  // The events of the calls with that name, in order (pointers into `calls`).
  std::vector<const SyscallEvent*> Named(std::string_view name) const;
  // The same, of the first process only (the launched one, not the children it forked).
  std::vector<const SyscallEvent*> NamedInFirstProcess(std::string_view name) const;
  std::vector<const ProcessEvent*> OfKind(ProcessEvent::Kind kind) const;
  // Everything, as netcorr prints it (event_format.h): for failure messages.
  std::string Dump() const;

  std::vector<SyscallEvent> calls;
  std::vector<ProcessEvent> processes;
  std::vector<TrafficIntent> intents;
};

}  // namespace netcorr::tracer::testing
