#pragma once

#include <cstdint>

namespace netcorr::correlate {

// A TCP sequence number: 32-bit modular arithmetic (RFC 793 section 3.3, "It is essential to
// remember that the actual sequence number space is finite ... all arithmetic dealing with
// sequence numbers must be performed modulo 2**32"). Comparison follows RFC 1982 serial-number
// arithmetic: a < b when b is ahead of a by less than 2**31, so a connection whose numbers wrap
// past 0xffffffff still compares in sending order.
class TcpSeq {
 public:
  constexpr TcpSeq() = default;
  constexpr explicit TcpSeq(uint32_t raw) : raw_(raw) {}

  constexpr uint32_t raw() const { return raw_; }

  friend constexpr TcpSeq operator+(TcpSeq s, uint32_t n) { return TcpSeq(s.raw_ + n); }
  // Distance from b forward to a (meaningful when a is at or after b).
  friend constexpr int32_t operator-(TcpSeq a, TcpSeq b) {
    return static_cast<int32_t>(a.raw_ - b.raw_);
  }
  friend constexpr bool operator==(TcpSeq a, TcpSeq b) { return a.raw_ == b.raw_; }
  friend constexpr bool operator<(TcpSeq a, TcpSeq b) { return (a - b) < 0; }
  friend constexpr bool operator>(TcpSeq a, TcpSeq b) { return b < a; }
  friend constexpr bool operator<=(TcpSeq a, TcpSeq b) { return !(b < a); }
  friend constexpr bool operator>=(TcpSeq a, TcpSeq b) { return !(a < b); }

 private:
  uint32_t raw_ = 0;
};

}  // namespace netcorr::correlate
