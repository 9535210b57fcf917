#pragma once

// The text of one timeline row, from an event in memory (TimelineRow) or from the parts a
// --all spill wrote for it (timeline_spill.h): both go through the same functions, so a
// streamed timeline reads exactly as one built in memory.

#include <cstdint>
#include <string>
#include <vector>

#include "src/model/packet.h"
#include "src/model/syscall_event.h"
#include "src/report/timeline.h"

namespace netcorr::report {

inline constexpr const char* kRed = "\x1b[31m";
inline constexpr const char* kYellow = "\x1b[33m";
inline constexpr const char* kBold = "\x1b[1m";
inline constexpr const char* kDim = "\x1b[2m";
inline constexpr const char* kReset = "\x1b[0m";

// The left (syscall) or right (packet) text of a timeline row, and whether to colour it.
struct Cell {
  std::string text;
  bool left = true;
  const char* style = nullptr;
  std::string mark = "  ";
};

// What a call row's mark depends on.
struct CallMarks {
  bool failed = false;          // SyscallEvent::failed()
  bool finished = true;
  bool resolves_call = false;   // it revealed an earlier non-blocking connect's outcome
  bool revealed_error = false;  // ... and that outcome was an error
};
CallMarks MarksOf(const SyscallEvent& call);

// strace's "<... connect resumed> = -1 ECONNREFUSED (0.3 ms)", or "<... connect still blocked
// after 21.3 s>": the exit row of a call split around what happened while it was in the kernel.
std::string CallExitText(const SyscallEvent& call);

// A call row: kCall shows head + " " + outcome, kCallEntry head + " <unfinished ...>", kCallExit
// exit_text; `findings` are the row's "[n]" tags.
Cell CallCell(TimelineRow::Kind kind, const std::string& head, const std::string& outcome,
              const std::string& exit_text, const CallMarks& marks,
              const std::vector<int>& findings);
// A packet row: "<-[n] #id " + FormatPacket's text.
Cell PacketCell(uint64_t id, const std::string& packet_text, const std::vector<int>& findings);
// Either of the above for a row built in memory (not kOmitted).
Cell RowCell(const TimelineRow& row);

}  // namespace netcorr::report
