#pragma once

#include <cstdint>
#include <string>

namespace netcorr {

// Names the protocols' own specifications give to numbers on the wire, shared by the
// correlator's sentences and the report's packet lines so both say the same thing.

// RFC 1035 / 6895 RCODE: "NOERROR", "SERVFAIL", "NXDOMAIN", ...; "RCODE23" for others.
std::string DnsRcodeName(uint8_t rcode);

// RFC 1035 3.2.2 / IANA TYPE: "A", "AAAA", "MX"..., "TYPE99" for others.
std::string DnsTypeName(uint16_t qtype);

// RFC 8446 section 6 AlertDescription: "handshake_failure", "unrecognized_name", ...;
// "alert_200" for values no registry names.
std::string TlsAlertName(uint8_t description);

}  // namespace netcorr
