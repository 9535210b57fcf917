#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace netcorr::report {

// Appends s as a JSON string literal (with quotes) to *out. Valid UTF-8 passes through; each byte
// that is not part of a valid UTF-8 sequence (overlong forms, surrogates, code points above
// U+10FFFF, truncated sequences) becomes U+FFFD, so the output is always valid JSON and valid
// UTF-8 whatever bytes a tracee or a packet put in the string. Control characters are escaped.
void AppendJsonString(std::string_view s, std::string* out);

// A small streaming JSON writer: values are appended in document order and the writer places
// commas, colons and (when indent > 0) newlines and indentation. Integers are written exactly
// (64-bit, no floating point), which is what nanosecond timestamps need.
// Misuse (a value where a key is expected, unbalanced End*) is a programming error; the writer
// does not check it beyond what keeps its own state consistent.
class JsonWriter {
 public:
  // indent 0: the whole document on one line (JSON Lines); otherwise spaces per level, for the
  // members of containers nested at most pretty_depth deep (1: the root's members). Deeper
  // containers are written on one line: with pretty_depth 2, each element of a top-level array
  // is one line, which keeps a million-packet document readable and greppable.
  explicit JsonWriter(int indent = 0, int pretty_depth = 1 << 30)
      : indent_(indent), pretty_depth_(pretty_depth) {}

  void BeginObject();
  void EndObject();
  void BeginArray();
  void EndArray();
  void Key(std::string_view key);

  void String(std::string_view value);
  void Int(int64_t value);
  void Uint(uint64_t value);
  void Bool(bool value);
  void Null();

  // Key + value in one call, for the common case.
  void Field(std::string_view key, std::string_view value) {
    Key(key);
    String(value);
  }
  void Field(std::string_view key, const char* value) {
    Key(key);
    String(value);
  }
  void Field(std::string_view key, const std::string& value) {
    Key(key);
    String(value);
  }
  void Field(std::string_view key, bool value) {
    Key(key);
    Bool(value);
  }
  void Field(std::string_view key, int32_t value) {
    Key(key);
    Int(value);
  }
  void Field(std::string_view key, int64_t value) {
    Key(key);
    Int(value);
  }
  void Field(std::string_view key, uint32_t value) {
    Key(key);
    Uint(value);
  }
  void Field(std::string_view key, uint64_t value) {
    Key(key);
    Uint(value);
  }
  void NullField(std::string_view key) {
    Key(key);
    Null();
  }

  const std::string& str() const { return out_; }
  // The text written so far, for a caller that streams it out (and may empty it) between
  // values; the writer only ever appends to it.
  std::string* mutable_buffer() { return &out_; }
  std::string Take() { return std::move(out_); }

 private:
  struct Level {
    bool is_object = false;
    int count = 0;
  };
  // Separator and indentation before a value or a key.
  void BeforeValue();
  // Newline and indentation before a member of a container `depth` levels deep, if pretty.
  void NewlineAndIndent(size_t depth);
  bool Pretty(size_t depth) const;
  void Open(char bracket, bool is_object);
  void Close(char bracket);

  std::string out_;
  std::vector<Level> stack_;
  bool after_key_ = false;
  int indent_ = 0;
  int pretty_depth_ = 0;
};

}  // namespace netcorr::report
