#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "absl/types/span.h"

namespace netcorr::capture {

// Reads a big-endian unsigned integer from the first sizeof(T) bytes of `bytes`, copying them
// into a host-order value. The caller has checked the length; ByteReader is the checked way.
template <typename T>
T LoadBe(const uint8_t* bytes) {
  static_assert(std::is_unsigned_v<T>, "network fields are unsigned");
  T value = 0;
  for (size_t i = 0; i < sizeof(T); ++i) value = static_cast<T>((value << 8) | bytes[i]);
  return value;
}

// A cursor over packet bytes that checks the remaining length before every read, so that a
// truncated or lying header can never make a decoder read past the captured bytes. Reads never
// overlay structs on the buffer (alignment and padding make that undefined); they copy each
// field into a host-order value. A failed read leaves the cursor where it was.
class ByteReader {
 public:
  ByteReader() = default;
  explicit ByteReader(absl::Span<const uint8_t> bytes) : bytes_(bytes) {}

  size_t offset() const { return offset_; }
  size_t remaining() const { return bytes_.size() - offset_; }
  bool empty() const { return remaining() == 0; }
  // The bytes not read yet (a view, no copy).
  absl::Span<const uint8_t> rest() const { return bytes_.subspan(offset_); }
  // The whole underlying buffer, for decoders that follow absolute offsets (DNS pointers).
  absl::Span<const uint8_t> all() const { return bytes_; }

  // Reads a big-endian unsigned integer of type T.
  template <typename T>
  bool ReadBe(T& out) {
    if (remaining() < sizeof(T)) return false;
    out = LoadBe<T>(bytes_.data() + offset_);
    offset_ += sizeof(T);
    return true;
  }
  bool ReadU8(uint8_t& out) { return ReadBe(out); }
  bool ReadU16(uint16_t& out) { return ReadBe(out); }
  bool ReadU32(uint32_t& out) { return ReadBe(out); }

  // Reads a 24-bit big-endian length (TLS handshake lengths).
  bool ReadU24(uint32_t& out) {
    if (remaining() < 3) return false;
    const uint8_t* p = bytes_.data() + offset_;
    out = (uint32_t{p[0]} << 16) | (uint32_t{p[1]} << 8) | p[2];
    offset_ += 3;
    return true;
  }

  // Returns a view of the next n bytes and moves past them.
  bool ReadBytes(size_t n, absl::Span<const uint8_t>& out) {
    if (remaining() < n) return false;
    out = bytes_.subspan(offset_, n);
    offset_ += n;
    return true;
  }

  // Returns a reader over the next n bytes (a nested structure with its own length) and moves
  // past them.
  bool ReadSub(size_t n, ByteReader& out) {
    absl::Span<const uint8_t> s;
    if (!ReadBytes(n, s)) return false;
    out = ByteReader(s);
    return true;
  }

  bool Skip(size_t n) {
    if (remaining() < n) return false;
    offset_ += n;
    return true;
  }

  // Peeks at the byte `ahead` positions from the cursor without moving.
  bool PeekU8(size_t ahead, uint8_t& out) const {
    if (remaining() <= ahead) return false;
    out = bytes_[offset_ + ahead];
    return true;
  }

 private:
  absl::Span<const uint8_t> bytes_;
  size_t offset_ = 0;
};

}  // namespace netcorr::capture
