// Fuzzes the strace log parser (src/analyze): the line tokenizer, the argument, sockaddr and
// fd-decoration decoders, and the assembler that pairs calls and tracks sockets.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "src/analyze/strace_args.h"
#include "src/analyze/strace_line.h"
#include "src/analyze/strace_log.h"

namespace {

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  netcorr::analyze::StraceParseOptions options;
  options.max_line_bytes = 4096;
  absl::StatusOr<netcorr::analyze::StraceParseResult> r =
      netcorr::analyze::ParseStraceText(text, options);
  if (r.ok()) {
    Check(r->unknown_lines <= r->lines);
    Check(r->unknown_examples.size() <= options.max_unknown_examples);
    absl::flat_hash_set<uint64_t> ids;
    for (size_t i = 0; i < r->calls.size(); ++i) {
      const netcorr::SyscallEvent& c = r->calls[i];
      Check(c.id == i + 1);  // entry order, from 1
      Check(c.exit_ns >= c.entry_ns);
      if (i > 0) Check(r->calls[i - 1].entry_ns <= c.entry_ns);
      ids.insert(c.id);
    }
    for (const netcorr::SyscallEvent& c : r->calls) {
      if (c.resolves_call) Check(ids.contains(*c.resolves_call) && *c.resolves_call != c.id);
    }
  }
  // The pieces on their own, line by line (the assembler reaches them only for known calls).
  size_t start = 0;
  std::vector<std::string_view> args;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    const netcorr::analyze::StraceLine l = netcorr::analyze::ParseStraceLine(line);
    netcorr::analyze::SplitArgs(l.args, args);
    for (std::string_view a : args) {
      Check(a.data() >= line.data() && a.data() + a.size() <= line.data() + line.size());
      netcorr::analyze::ParseSockaddr(a);
      const netcorr::analyze::FdArg fd = netcorr::analyze::ParseFdArg(a);
      netcorr::analyze::ParseFdDecoration(fd.decoration);
      netcorr::analyze::UnquoteString(a);
    }
    start = end + 1;
  }
  return 0;
}
