#include "tracer/tracer.h"

#include "tracer/trace_loop.h"

namespace netcorr::tracer {

EventSink::~EventSink() = default;

Tracer::Tracer(std::unique_ptr<TraceLoop> loop) : loop_(std::move(loop)) {}
Tracer::~Tracer() = default;

absl::StatusOr<std::unique_ptr<Tracer>> Tracer::Launch(const LaunchSpec& spec, EventSink* sink) {
  auto loop = std::make_unique<TraceLoop>(TraceLoop::Mode::kLaunch, sink, spec.follow_forks);
  if (absl::Status s = loop->LaunchProgram(spec); !s.ok()) return s;
  return std::unique_ptr<Tracer>(new Tracer(std::move(loop)));
}

absl::StatusOr<std::unique_ptr<Tracer>> Tracer::Attach(const std::vector<pid_t>& pids,
                                                       EventSink* sink) {
  auto loop = std::make_unique<TraceLoop>(TraceLoop::Mode::kAttach, sink, /*follow_forks=*/true);
  if (absl::Status s = loop->AttachProcesses(pids); !s.ok()) return s;
  return std::unique_ptr<Tracer>(new Tracer(std::move(loop)));
}

absl::StatusOr<int> Tracer::Run() { return loop_->Run(); }
void Tracer::RequestStop() { loop_->RequestStop(); }
pid_t Tracer::main_pid() const { return loop_->main_pid(); }

}  // namespace netcorr::tracer
