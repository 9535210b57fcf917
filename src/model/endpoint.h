#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace netcorr {

// An IPv4 or IPv6 address as a value. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d), which a
// dual-stack socket reports, are normalised to IPv4 so they match the IPv4 packets on the wire.
class IpAddress {
 public:
  enum class Family : uint8_t { kNone, kV4, kV6 };

  IpAddress() = default;
  static IpAddress V4(const std::array<uint8_t, 4>& bytes);
  static IpAddress V4FromHostOrder(uint32_t host_order);
  static IpAddress V6(const std::array<uint8_t, 16>& bytes);
  // Parses dotted-quad or RFC 4291 text; nullopt if it is neither.
  static std::optional<IpAddress> Parse(std::string_view text);

  Family family() const { return family_; }
  bool is_v4() const { return family_ == Family::kV4; }
  bool is_v6() const { return family_ == Family::kV6; }
  bool is_set() const { return family_ != Family::kNone; }
  bool is_unspecified() const;
  // 4 bytes for IPv4, 16 for IPv6.
  const uint8_t* data() const { return bytes_.data(); }
  size_t size() const { return family_ == Family::kV4 ? 4 : family_ == Family::kV6 ? 16 : 0; }

  std::string ToString() const;

  friend bool operator==(const IpAddress&, const IpAddress&) = default;
  friend auto operator<=>(const IpAddress&, const IpAddress&) = default;

  template <typename H>
  friend H AbslHashValue(H h, const IpAddress& a) {
    return H::combine(std::move(h), a.family_, a.bytes_);
  }

 private:
  Family family_ = Family::kNone;
  std::array<uint8_t, 16> bytes_{};
};

// An address and port (port 0 for protocols without ports).
struct Endpoint {
  IpAddress addr;
  uint16_t port = 0;

  // "10.0.0.1:80" or "[fd00::1]:80".
  std::string ToString() const;

  friend bool operator==(const Endpoint&, const Endpoint&) = default;
  friend auto operator<=>(const Endpoint&, const Endpoint&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const Endpoint& e) {
    return H::combine(std::move(h), e.addr, e.port);
  }
};

enum class Transport : uint8_t { kUnknown, kTcp, kUdp, kIcmp, kIcmpV6 };

// "TCP", "UDP", ... as strace -yy names socket protocols (v6 suffix added by the caller).
std::string_view TransportName(Transport t);

// A flow as seen from the traced program: local is the program's end.
struct FlowKey {
  Transport transport = Transport::kUnknown;
  Endpoint local;
  Endpoint remote;

  FlowKey Reversed() const { return FlowKey{transport, remote, local}; }
  // "TCP 10.0.0.1:40000 -> 10.0.0.2:80".
  std::string ToString() const;

  friend bool operator==(const FlowKey&, const FlowKey&) = default;
  friend auto operator<=>(const FlowKey&, const FlowKey&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const FlowKey& f) {
    return H::combine(std::move(h), f.transport, f.local, f.remote);
  }
};

}  // namespace netcorr
