#pragma once

#include <cstdio>
#include <string>

#include "absl/status/status.h"

namespace netcorr::report {

// Where a renderer's text goes: a string it accumulates in, or a FILE it is streamed to in
// chunks, so that rendering a million-packet session to a file needs no copy of the whole
// output in memory. Renderers append to a buffer of their own and hand it over with Drain()
// at natural boundaries (a row, an array element).
class Output {
 public:
  explicit Output(std::string* target) : target_(target) {}
  explicit Output(std::FILE* file) : file_(file) {}

  // Takes *pending when it is large enough to be worth a write (or always, for a string
  // target, where it costs nothing), leaving *pending empty.
  void Drain(std::string* pending);
  // Writes whatever remains of *pending, flushes the file, and reports a write error.
  absl::Status Finish(std::string* pending);

  // For JSON embedded in an HTML <script> element: while on, every '<' is written as the JSON
  // escape \u003c, so no string in the document can close the element ("</script>") or open a
  // comment ("<!--"). Valid for JSON text only, where '<' can appear only inside strings.
  void set_escape_for_script(bool on) { escape_lt_ = on; }

 private:
  void Write(const std::string& data);
  void WriteRaw(const char* data, size_t size);

  std::string* target_ = nullptr;
  std::FILE* file_ = nullptr;
  bool failed_ = false;
  bool escape_lt_ = false;
  int error_ = 0;
};

}  // namespace netcorr::report
