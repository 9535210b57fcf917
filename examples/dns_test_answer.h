#pragma once

// The answers of dns_test_server (examples/dns_test_server.cc), apart from its sockets so the
// fuzz target fuzz/dns_test_server_fuzzer.cc can feed them any bytes. Header-only, libc only.
// Every read of the query is bounds-checked: a query is at most 512 bytes over UDP and 4096
// over TCP, and its first question must lie inside it.

#include <netinet/in.h>

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace netcorr::examples::dns_test {

constexpr size_t kHeaderLen = 12;
constexpr uint16_t kTypeA = 1;
constexpr uint16_t kTypeAaaa = 28;
constexpr uint8_t kRcodeFormErr = 1;
constexpr uint8_t kRcodeServFail = 2;
constexpr uint8_t kRcodeNxDomain = 3;
constexpr uint8_t kRcodeRefused = 5;

enum class Mode { kByName, kAnswer, kNxDomain, kRefused, kServFail, kTruncate, kNoAaaa, kDrop };

inline std::optional<Mode> ModeFromName(std::string_view s) {
  if (s == "by-name") return Mode::kByName;
  if (s == "answer") return Mode::kAnswer;
  if (s == "nxdomain") return Mode::kNxDomain;
  if (s == "refused") return Mode::kRefused;
  if (s == "servfail") return Mode::kServFail;
  if (s == "truncate") return Mode::kTruncate;
  if (s == "no-aaaa") return Mode::kNoAaaa;
  if (s == "drop") return Mode::kDrop;
  return std::nullopt;
}

// How the server answers: the mode for every name (or by-name), the zone, the addresses.
struct Config {
  Mode mode = Mode::kByName;
  std::string zone = "netcorr.test";
  in_addr a{};
  in6_addr aaaa{};
};

// The first question of a query: its name (lower case, dotted, no trailing dot), type, and
// where the question ends. Empty when it does not fit or uses compression (a query's first
// name never needs it).
struct Question {
  std::string name;
  uint16_t qtype = 0;
  size_t end = 0;  // offset one past QCLASS
};

inline std::optional<Question> ReadQuestion(const uint8_t* msg, size_t len) {
  if (len < kHeaderLen || (msg[4] << 8 | msg[5]) < 1) return std::nullopt;
  Question q;
  size_t p = kHeaderLen;
  for (int labels = 0; labels < 128; ++labels) {
    if (p >= len) return std::nullopt;
    const uint8_t l = msg[p];
    if (l == 0) {
      if (p + 5 > len) return std::nullopt;
      q.qtype = static_cast<uint16_t>(msg[p + 1] << 8 | msg[p + 2]);
      q.end = p + 5;
      return q;
    }
    if (l > 63 || p + 1 + l > len) return std::nullopt;
    if (!q.name.empty()) q.name.push_back('.');
    for (size_t i = 0; i < l; ++i) {
      q.name.push_back(static_cast<char>(std::tolower(msg[p + 1 + i])));
    }
    p += 1 + l;
  }
  return std::nullopt;
}

// by-name: what the name itself asks for.
inline Mode ModeForName(const Config& c, const std::string& name) {
  if (c.mode != Mode::kByName) return c.mode;
  const bool in_zone =
      name == c.zone || (name.size() > c.zone.size() + 1 &&
                         name.compare(name.size() - c.zone.size(), c.zone.size(), c.zone) == 0 &&
                         name[name.size() - c.zone.size() - 1] == '.');
  if (!in_zone) return Mode::kNxDomain;
  const std::string first = name.substr(0, name.find('.'));
  const std::optional<Mode> m = ModeFromName(first);
  return m && *m != Mode::kByName ? *m : Mode::kAnswer;
}

inline void Put16(std::vector<uint8_t>& out, uint32_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}

// The reply to `query` (len bytes), or nothing when this mode never answers it.
inline std::optional<std::vector<uint8_t>> Reply(const Config& c, const uint8_t* query, size_t len,
                                                 bool over_tcp) {
  if (len < kHeaderLen || (query[2] & 0x80) != 0) return std::nullopt;  // a response: ignore
  const std::optional<Question> q = ReadQuestion(query, len);
  std::vector<uint8_t> out(query, query + 2);  // id
  // QR, opcode and RD kept, AA: authoritative for everything it answers.
  out.push_back(static_cast<uint8_t>(0x80 | (query[2] & 0x79) | 0x04));
  if (!q) {
    out.push_back(kRcodeFormErr);
    out.insert(out.end(), 8, 0);
    return out;
  }
  Mode mode = ModeForName(c, q->name);
  if (mode == Mode::kDrop || (mode == Mode::kNoAaaa && q->qtype == kTypeAaaa)) return std::nullopt;
  if (mode == Mode::kTruncate && over_tcp) mode = Mode::kAnswer;
  uint8_t rcode = 0;
  if (mode == Mode::kNxDomain) rcode = kRcodeNxDomain;
  if (mode == Mode::kRefused) rcode = kRcodeRefused;
  if (mode == Mode::kServFail) rcode = kRcodeServFail;
  if (mode == Mode::kTruncate) out[2] |= 0x02;  // TC
  if (mode == Mode::kRefused || mode == Mode::kServFail) out[2] &= static_cast<uint8_t>(~0x04);
  out.push_back(rcode);
  const bool answers = (mode == Mode::kAnswer || mode == Mode::kNoAaaa) &&
                       (q->qtype == kTypeA || q->qtype == kTypeAaaa);
  Put16(out, 1);                // QDCOUNT
  Put16(out, answers ? 1 : 0);  // ANCOUNT
  Put16(out, 0);                // NSCOUNT
  Put16(out, 0);                // ARCOUNT
  out.insert(out.end(), query + kHeaderLen, query + q->end);
  if (answers) {
    Put16(out, 0xc000 | kHeaderLen);  // the question's name
    Put16(out, q->qtype);
    Put16(out, 1);  // IN
    Put16(out, 0);
    Put16(out, 60);  // TTL
    if (q->qtype == kTypeA) {
      Put16(out, sizeof(c.a));
      const auto* b = reinterpret_cast<const uint8_t*>(&c.a);
      out.insert(out.end(), b, b + sizeof(c.a));
    } else {
      Put16(out, sizeof(c.aaaa));
      const auto* b = reinterpret_cast<const uint8_t*>(&c.aaaa);
      out.insert(out.end(), b, b + sizeof(c.aaaa));
    }
  }
  return out;
}

}  // namespace netcorr::examples::dns_test
