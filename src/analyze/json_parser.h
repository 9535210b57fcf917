#pragma once

// A strict JSON parser (RFC 8259, no extensions), bounded in depth: it reads a netcorr --json
// document back for `analyze --record` (json_record.h), and lets every test that checks --json
// output also check that it is valid JSON, without an external library. Integers keep 64-bit
// precision.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace netcorr::analyze {

struct JsonValue {
  enum class Type { kNull, kBool, kInt, kUint, kDouble, kString, kArray, kObject };
  Type type = Type::kNull;
  bool boolean = false;
  int64_t int_value = 0;    // kInt: the number fits int64
  uint64_t uint_value = 0;  // kUint: above INT64_MAX, fits uint64
  double double_value = 0;  // kDouble: a fraction, an exponent, or too large an integer
  std::string string;       // decoded (escapes resolved)
  std::vector<JsonValue> array;
  std::vector<std::pair<std::string, JsonValue>> object;  // document order

  bool is_null() const { return type == Type::kNull; }
  // The member named key, or nullptr (also when this is not an object).
  const JsonValue* Find(std::string_view key) const;
  // The member named key; a static null value when absent, so chains stay safe.
  const JsonValue& operator[](std::string_view key) const;
  const JsonValue& operator[](size_t index) const;
  size_t size() const { return type == Type::kArray ? array.size() : object.size(); }

  friend bool operator==(const JsonValue&, const JsonValue&) = default;
};

// Parses one JSON document (surrounding whitespace allowed). Rejects: trailing commas, leading
// zeros, unescaped control characters, invalid escapes, unpaired surrogates, invalid UTF-8,
// duplicate object keys, nesting deeper than 256, and anything after the document.
absl::StatusOr<JsonValue> ParseJson(std::string_view text);

}  // namespace netcorr::analyze
