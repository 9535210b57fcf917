// DNS messages (RFC 1035) in UDP payloads: the header and the first question, with names in
// dig's escaped form.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "absl/types/span.h"
#include "capture/byte_reader.h"
#include "capture/decode.h"
#include "capture/decode_layers.h"

namespace netcorr::capture {

namespace decode_internal {

// Keeps names printable in reports and terminals: '.' and '\' inside a label and bytes outside
// printable ASCII are written as dig writes them (\. \\ \DDD).
void AppendLabel(absl::Span<const uint8_t> label, std::string& out, bool escape_dots) {
  for (uint8_t c : label) {
    if ((c == '.' && escape_dots) || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x21 || c > 0x7E) {
      char buf[5];
      buf[0] = '\\';
      buf[1] = static_cast<char>('0' + c / 100);
      buf[2] = static_cast<char>('0' + (c / 10) % 10);
      buf[3] = static_cast<char>('0' + c % 10);
      buf[4] = 0;
      out.append(buf);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
}

}  // namespace decode_internal

namespace {

// Reads a (possibly compressed) domain name starting at `r`'s cursor (RFC 1035 section 4.1.4)
// and leaves `r` after it. Pointers jump within the whole message; the jump count and the
// name's wire length are bounded, so a pointer loop ends. False if the name is cut or invalid.
bool ReadDnsName(ByteReader& r, std::string& name) {
  constexpr int kMaxJumps = 32;
  constexpr size_t kMaxNameWire = 255;
  const absl::Span<const uint8_t> message = r.all();
  ByteReader cur = r;
  bool jumped = false;
  int jumps = 0;
  size_t wire = 0;
  name.clear();
  while (true) {
    uint8_t len = 0;
    if (!cur.ReadU8(len)) return false;
    if (len == 0) break;
    if ((len & 0xC0) == 0xC0) {
      uint8_t low = 0;
      if (!cur.ReadU8(low)) return false;
      if (!jumped) r = cur;  // the name ends, for the caller, after the first pointer
      jumped = true;
      if (++jumps > kMaxJumps) return false;
      const size_t target = (size_t{len & 0x3Fu} << 8) | low;
      if (target >= message.size()) return false;
      cur = ByteReader(message);
      cur.Skip(target);
      continue;
    }
    if ((len & 0xC0) != 0) return false;  // 0x40/0x80: reserved label types
    wire += size_t{len} + 1;
    if (wire > kMaxNameWire) return false;
    absl::Span<const uint8_t> label;
    if (!cur.ReadBytes(len, label)) return false;
    if (!name.empty()) name.push_back('.');
    decode_internal::AppendLabel(label, name);
  }
  if (!jumped) r = cur;
  // The root. (Not `name = "."`: inlined here, that trips GCC 12's false -Wrestrict, bug 105329.)
  if (name.empty()) name.push_back('.');
  return true;
}

}  // namespace

std::optional<DnsMessage> DecodeDns(absl::Span<const uint8_t> payload) {
  ByteReader r(payload);
  DnsMessage m;
  uint16_t flags = 0, ns = 0, ar = 0;
  if (!r.ReadU16(m.id) || !r.ReadU16(flags) || !r.ReadU16(m.question_count) ||
      !r.ReadU16(m.answer_count) || !r.ReadU16(ns) || !r.ReadU16(ar)) {
    return std::nullopt;
  }
  m.is_response = (flags & 0x8000) != 0;
  m.opcode = static_cast<uint8_t>((flags >> 11) & 0x0F);
  m.rcode = static_cast<uint8_t>(flags & 0x0F);
  m.truncated = (flags & 0x0200) != 0;
  if (m.question_count > 0) {
    std::string name;
    if (ReadDnsName(r, name)) {
      m.qname = std::move(name);
      r.ReadU16(m.qtype);
    }
  }
  return m;
}

}  // namespace netcorr::capture
