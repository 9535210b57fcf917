// tracer_cli_bench: the tracer alone, for benchmarks and end-to-end checks until the netcorr
// executable wires it (`netcorr --no-capture`). Prints one strace-like line per call.
//   tracer_cli_bench [-o FILE] [-q] -- CMD ARGS...
//   tracer_cli_bench [-o FILE] [-q] -p PID [-p PID...]
// -q counts events instead of printing them (measures the tracer, not the formatting).
// --no-rw leaves read/write/readv/writev untraced (LaunchSpec::trace_read_write).

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "tracer/event_format.h"
#include "tracer/tracer.h"

namespace {

netcorr::tracer::Tracer* g_tracer = nullptr;

void OnSignal(int) {
  if (g_tracer != nullptr) g_tracer->RequestStop();
}

class PrintSink : public netcorr::tracer::EventSink {
 public:
  PrintSink(FILE* out, bool quiet) : out_(out), quiet_(quiet) {}
  void OnSyscall(const netcorr::SyscallEvent& e) override {
    ++calls_;
    if (!quiet_) std::fprintf(out_, "%s\n", netcorr::tracer::FormatEventLine(e).c_str());
  }
  void OnProcess(const netcorr::ProcessEvent& e) override {
    if (!quiet_) std::fprintf(out_, "%s\n", netcorr::tracer::FormatProcessLine(e).c_str());
  }
  long calls() const { return calls_; }

 private:
  FILE* out_;
  bool quiet_;
  long calls_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  FILE* out = stderr;
  bool quiet = false;
  bool trace_rw = true;
  std::vector<pid_t> pids;
  int i = 1;
  for (; i < argc; ++i) {
    if (std::strcmp(argv[i], "--") == 0) {
      ++i;
      break;
    } else if (std::strcmp(argv[i], "-q") == 0) {
      quiet = true;
    } else if (std::strcmp(argv[i], "--no-rw") == 0) {
      trace_rw = false;
    } else if (std::strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
      out = std::fopen(argv[++i], "w");
      if (out == nullptr) {
        std::perror(argv[i]);
        return 2;
      }
    } else if (std::strcmp(argv[i], "-p") == 0 && i + 1 < argc) {
      pids.push_back(std::atoi(argv[++i]));
    } else {
      break;
    }
  }
  PrintSink sink(out, quiet);
  absl::StatusOr<std::unique_ptr<netcorr::tracer::Tracer>> tracer;
  if (!pids.empty()) {
    tracer = netcorr::tracer::Tracer::Attach(pids, &sink);
  } else {
    if (i >= argc) {
      std::fprintf(stderr, "usage: %s [-o FILE] [-q] [--no-rw] (-p PID... | -- CMD ARGS...)\n",
                   argv[0]);
      return 2;
    }
    netcorr::tracer::LaunchSpec spec;
    spec.argv.assign(argv + i, argv + argc);
    spec.trace_read_write = trace_rw;
    tracer = netcorr::tracer::Tracer::Launch(spec, &sink);
  }
  if (!tracer.ok()) {
    std::fprintf(stderr, "tracer_cli_bench: %s\n", std::string(tracer.status().message()).c_str());
    return 1;
  }
  g_tracer = tracer->get();
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
  absl::StatusOr<int> status = (*tracer)->Run();
  g_tracer = nullptr;
  if (quiet) std::fprintf(stderr, "tracer_cli_bench: %ld calls\n", sink.calls());
  std::fflush(out);
  if (!status.ok()) {
    std::fprintf(stderr, "tracer_cli_bench: %s\n", std::string(status.status().message()).c_str());
    return 1;
  }
  return *status;
}
