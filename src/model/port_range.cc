#include "src/model/port_range.h"

#include "absl/strings/str_cat.h"

namespace netcorr {

namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\n'; }

// Reads a decimal number of at most 5 digits at text[i...], moving i past it.
std::optional<uint32_t> ReadPort(std::string_view text, size_t& i) {
  uint32_t value = 0;
  size_t digits = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    if (++digits > 5) return std::nullopt;
    value = value * 10 + static_cast<uint32_t>(text[i] - '0');
  }
  if (digits == 0) return std::nullopt;
  return value;
}

}  // namespace

std::string PortRange::ToString() const { return absl::StrCat(low, "-", high); }

std::optional<PortRange> ParsePortRange(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && IsBlank(text[i])) ++i;
  const std::optional<uint32_t> low = ReadPort(text, i);
  if (!low || i == text.size() || !IsBlank(text[i])) return std::nullopt;
  while (i < text.size() && IsBlank(text[i])) ++i;
  const std::optional<uint32_t> high = ReadPort(text, i);
  if (!high) return std::nullopt;
  while (i < text.size() && IsBlank(text[i])) ++i;
  if (i != text.size()) return std::nullopt;
  if (*low < 1 || *high > 65535 || *low > *high) return std::nullopt;
  return PortRange{static_cast<uint16_t>(*low), static_cast<uint16_t>(*high)};
}

}  // namespace netcorr
