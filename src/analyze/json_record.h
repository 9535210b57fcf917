#pragma once

// A live session's own record read back: the calls[] and processes[] of a netcorr --json
// document (docs/json.md) as the model's values, so `netcorr analyze --record F.json --pcap
// F.pcapng` decides the session again through the same correlator, now with --peer-pcap.

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "src/model/syscall_event.h"

namespace netcorr::analyze {

struct JsonRecord {
  std::vector<SyscallEvent> calls;
  std::vector<ProcessEvent> processes;
  std::string capture_file;  // capture.file: the session's -w file, "" when none
  std::string mode;          // session.mode: "launch", "attach", "analyze"
};

// Parses `text` (a whole --json document of schema version 1). Errors name what is wrong: not
// JSON, another schema version, a call without its fields. Fields a call object may lack in
// older documents (waited, resolves_call) default to none.
absl::StatusOr<JsonRecord> ParseJsonRecord(std::string_view text);

}  // namespace netcorr::analyze
