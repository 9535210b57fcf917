#include "src/model/protocol_names.h"

#include <algorithm>
#include <array>
#include <utility>

#include "absl/strings/str_cat.h"

namespace netcorr {

namespace {

constexpr std::array<std::pair<uint8_t, const char*>, 35> kAlerts = {{
    {0, "close_notify"},
    {10, "unexpected_message"},
    {20, "bad_record_mac"},
    {21, "decryption_failed"},
    {22, "record_overflow"},
    {30, "decompression_failure"},
    {40, "handshake_failure"},
    {41, "no_certificate"},
    {42, "bad_certificate"},
    {43, "unsupported_certificate"},
    {44, "certificate_revoked"},
    {45, "certificate_expired"},
    {46, "certificate_unknown"},
    {47, "illegal_parameter"},
    {48, "unknown_ca"},
    {49, "access_denied"},
    {50, "decode_error"},
    {51, "decrypt_error"},
    {60, "export_restriction"},
    {70, "protocol_version"},
    {71, "insufficient_security"},
    {80, "internal_error"},
    {86, "inappropriate_fallback"},
    {90, "user_canceled"},
    {100, "no_renegotiation"},
    {109, "missing_extension"},
    {110, "unsupported_extension"},
    {111, "certificate_unobtainable"},
    {112, "unrecognized_name"},
    {113, "bad_certificate_status_response"},
    {114, "bad_certificate_hash_value"},
    {115, "unknown_psk_identity"},
    {116, "certificate_required"},
    {120, "no_application_protocol"},
    {255, "unknown"},
}};
static_assert(std::is_sorted(kAlerts.begin(), kAlerts.end()));

}  // namespace

std::string DnsRcodeName(uint8_t rcode) {
  static constexpr std::array<const char*, 11> kNames = {
      "NOERROR",  "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
      "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE"};
  if (rcode < kNames.size()) return kNames[rcode];
  return absl::StrCat("RCODE", static_cast<int>(rcode));
}

std::string DnsTypeName(uint16_t qtype) {
  static constexpr std::array<std::pair<uint16_t, const char*>, 14> kNames = {{
      {1, "A"},
      {2, "NS"},
      {5, "CNAME"},
      {6, "SOA"},
      {12, "PTR"},
      {15, "MX"},
      {16, "TXT"},
      {28, "AAAA"},
      {33, "SRV"},
      {35, "NAPTR"},
      {43, "DS"},
      {64, "SVCB"},
      {65, "HTTPS"},
      {255, "ANY"},
  }};
  for (const auto& [type, name] : kNames) {
    if (type == qtype) return name;
  }
  return absl::StrCat("TYPE", qtype);
}

std::string TlsAlertName(uint8_t description) {
  auto it = std::lower_bound(kAlerts.begin(), kAlerts.end(), std::make_pair(description, ""),
                             [](const auto& a, const auto& b) { return a.first < b.first; });
  if (it != kAlerts.end() && it->first == description) return it->second;
  return absl::StrCat("alert_", static_cast<int>(description));
}

}  // namespace netcorr
