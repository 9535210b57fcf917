#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "src/model/endpoint.h"

namespace netcorr::correlate {

// What a failed DNS lookup is about, beyond one answer: a resolver asks for one name many times
// (A and AAAA, every search domain of resolv.conf, every attempt, often each on a new socket)
// and the server's answer has the same cause every time.
enum class DnsCauseKind : uint8_t {
  kRcode,               // an error RCODE (NXDOMAIN, SERVFAIL, REFUSED...); code: the RCODE
  kTruncatedTcpFailed,  // a truncated answer, and the retry over TCP failed; code: 0
  kUnanswered,          // a query never answered; code: its QTYPE
};

// The DNS causes already reported in a session, so that each is reported once: the first
// answer that shows a cause is its finding, the later ones fold into it. Bounded: the oldest
// causes are forgotten first.
class DnsCauseMemory {
 public:
  static constexpr size_t kMaxCauses = 64;
  static constexpr size_t kMaxNamesPerCause = 8;

  // Whether the cause (kind and code, see DnsCauseKind) of `server`'s answer to a query for
  // `name`, or of its silence, was reported: the same server, kind and code, and for every cause
  // but REFUSED a name of the same lookup. REFUSED says the server will not answer this client,
  // whatever the name asked.
  bool Reported(const IpAddress& server, DnsCauseKind kind, uint16_t code,
                const std::string& name) const;
  // Records the cause as reported (or the name as one more of its names).
  void Remember(const IpAddress& server, DnsCauseKind kind, uint16_t code, const std::string& name);
  // Reported(), then Remember(): whether this is a cause already told.
  bool CheckAndRemember(const IpAddress& server, DnsCauseKind kind, uint16_t code,
                        const std::string& name);

 private:
  struct Cause {
    IpAddress server;
    DnsCauseKind kind;
    uint16_t code;
    std::vector<std::string> names;
  };
  Cause* Find(const IpAddress& server, DnsCauseKind kind, uint16_t code, const std::string& name);
  const Cause* Find(const IpAddress& server, DnsCauseKind kind, uint16_t code,
                    const std::string& name) const;

  std::deque<Cause> causes_;
};

// Whether two query names are the same lookup: equal, or one is the other with a search domain
// appended ("db" and "db.corp.example"), compared label by label, case-insensitively
// (RFC 4343) and ignoring a trailing dot.
bool SameLookupName(const std::string& a, const std::string& b);

}  // namespace netcorr::correlate
