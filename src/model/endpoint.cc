#include "src/model/endpoint.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace netcorr {

namespace {
constexpr std::array<uint8_t, 12> kV4MappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
}  // namespace

IpAddress IpAddress::V4(const std::array<uint8_t, 4>& bytes) {
  IpAddress a;
  a.family_ = Family::kV4;
  std::copy(bytes.begin(), bytes.end(), a.bytes_.begin());
  return a;
}

IpAddress IpAddress::V4FromHostOrder(uint32_t host_order) {
  return V4({static_cast<uint8_t>(host_order >> 24), static_cast<uint8_t>(host_order >> 16),
             static_cast<uint8_t>(host_order >> 8), static_cast<uint8_t>(host_order)});
}

IpAddress IpAddress::V6(const std::array<uint8_t, 16>& bytes) {
  if (std::equal(kV4MappedPrefix.begin(), kV4MappedPrefix.end(), bytes.begin())) {
    return V4({bytes[12], bytes[13], bytes[14], bytes[15]});
  }
  IpAddress a;
  a.family_ = Family::kV6;
  a.bytes_ = bytes;
  return a;
}

std::optional<IpAddress> IpAddress::Parse(std::string_view text) {
  const std::string s(text);
  std::array<uint8_t, 4> v4{};
  if (inet_pton(AF_INET, s.c_str(), v4.data()) == 1) return V4(v4);
  std::array<uint8_t, 16> v6{};
  if (inet_pton(AF_INET6, s.c_str(), v6.data()) == 1) return V6(v6);
  return std::nullopt;
}

bool IpAddress::is_unspecified() const {
  return std::all_of(bytes_.begin(), bytes_.begin() + size(), [](uint8_t b) { return b == 0; });
}

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  switch (family_) {
    case Family::kV4:
      inet_ntop(AF_INET, bytes_.data(), buf, sizeof(buf));
      return buf;
    case Family::kV6:
      inet_ntop(AF_INET6, bytes_.data(), buf, sizeof(buf));
      return buf;
    case Family::kNone:
      break;
  }
  return "?";
}

std::string Endpoint::ToString() const {
  if (addr.is_v6()) return absl::StrCat("[", addr.ToString(), "]:", port);
  return absl::StrCat(addr.ToString(), ":", port);
}

std::string_view TransportName(Transport t) {
  switch (t) {
    case Transport::kTcp:
      return "TCP";
    case Transport::kUdp:
      return "UDP";
    case Transport::kIcmp:
      return "ICMP";
    case Transport::kIcmpV6:
      return "ICMPv6";
    case Transport::kUnknown:
      break;
  }
  return "?";
}

std::string FlowKey::ToString() const {
  return absl::StrCat(std::string(TransportName(transport)), " ", local.ToString(), " -> ", remote.ToString());
}

}  // namespace netcorr
