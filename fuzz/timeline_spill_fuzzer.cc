// Fuzzes the reader of the --all timeline's file (timeline_spill.h): it reads back records it
// wrote itself, and still checks every length. The input is the file, cut into two runs at a
// point its first byte chooses.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>

#include "src/report/timeline_spill.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const int fd = memfd_create("timeline_spill_fuzzer", MFD_CLOEXEC);
  if (fd < 0) return 0;
  size_t done = 0;
  while (done < size) {
    const ssize_t n = write(fd, data + done, size - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  netcorr::report::SpilledTimeline spill;
  spill.fd = fd;
  const size_t cut = size == 0 ? 0 : data[0] % (size + 1);
  spill.runs.push_back({0, cut, 0});
  spill.runs.push_back({cut, done - cut, 0});
  netcorr::report::SpillReader reader(spill);
  // Every record takes at least its length and fixed fields (4 + 37 bytes): more events than
  // that would be records read from nothing.
  size_t events = 0;
  while (reader.Next().has_value()) {
    if (++events > size / 41) __builtin_trap();
  }
  close(fd);
  return 0;
}
