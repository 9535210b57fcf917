// TLS records (RFC 8446) at the start of a TCP payload: the record header, plaintext alerts,
// and the ClientHello's version, server name and supported versions.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>

#include "absl/types/span.h"
#include "capture/byte_reader.h"
#include "capture/decode.h"
#include "capture/decode_layers.h"

namespace netcorr::capture {

namespace {

// TLS ClientHello body (RFC 8446 section 4.1.2), read as far as the bytes go: a hello cut by
// the snap length still yields the fields before the cut.
void DecodeClientHello(ByteReader r, TlsClientHello& hello) {
  uint8_t sid_len = 0, comp_len = 0;
  uint16_t suites_len = 0, ext_total = 0;
  if (!r.ReadU16(hello.legacy_version) || !r.Skip(32) || !r.ReadU8(sid_len) || !r.Skip(sid_len) ||
      !r.ReadU16(suites_len) || !r.Skip(suites_len) || !r.ReadU8(comp_len) || !r.Skip(comp_len) ||
      !r.ReadU16(ext_total)) {
    return;
  }
  ByteReader exts(r.rest().subspan(0, std::min<size_t>(r.remaining(), ext_total)));
  while (!exts.empty()) {
    uint16_t type = 0, len = 0;
    ByteReader body;
    if (!exts.ReadU16(type) || !exts.ReadU16(len) || !exts.ReadSub(len, body)) return;
    if (type == 0) {  // server_name (RFC 6066 section 3): a list of (type, name)
      uint16_t list_len = 0;
      if (!body.ReadU16(list_len)) continue;
      ByteReader list;
      if (!body.ReadSub(std::min<size_t>(list_len, body.remaining()), list)) continue;
      while (!list.empty()) {
        uint8_t name_type = 0;
        uint16_t name_len = 0;
        absl::Span<const uint8_t> name;
        if (!list.ReadU8(name_type) || !list.ReadU16(name_len) || !list.ReadBytes(name_len, name))
          break;
        if (name_type == 0) {  // host_name
          hello.sni.clear();
          decode_internal::AppendLabel(name, hello.sni, /*escape_dots=*/false);
          break;
        }
      }
    } else if (type == 43) {  // supported_versions: a 1-byte length, then 2-byte versions
      uint8_t vlen = 0;
      if (!body.ReadU8(vlen)) continue;
      for (size_t i = 0; i + 2 <= vlen; i += 2) {
        uint16_t v = 0;
        if (!body.ReadU16(v)) break;
        hello.supported_versions.push_back(v);
      }
    }
  }
}

}  // namespace

std::optional<TlsRecordInfo> DecodeTls(absl::Span<const uint8_t> payload) {
  ByteReader r(payload);
  TlsRecordInfo info;
  uint16_t length = 0;
  if (!r.ReadU8(info.content_type) || !r.ReadU16(info.version) || !r.ReadU16(length)) {
    return std::nullopt;
  }
  // RFC 8446 section 5.1: types 20-24, record versions 3.0-3.4, at most 2^14 + 2048 bytes.
  if (info.content_type < 20 || info.content_type > 24) return std::nullopt;
  if ((info.version >> 8) != 3 || (info.version & 0xFF) > 4) return std::nullopt;
  if (length == 0 || length > (1 << 14) + 2048) return std::nullopt;
  ByteReader body(r.rest().subspan(0, std::min<size_t>(r.remaining(), length)));
  if (info.content_type == 21 && length == 2) {  // a plaintext alert; encrypted ones are longer
    TlsAlert alert;
    if (body.ReadU8(alert.level) && body.ReadU8(alert.description)) info.alert = alert;
  } else if (info.content_type == 22) {
    uint8_t msg_type = 0;
    uint32_t msg_len = 0;
    if (body.ReadU8(msg_type) && body.ReadU24(msg_len) && msg_type == 1) {
      TlsClientHello hello;
      DecodeClientHello(
          ByteReader(body.rest().subspan(0, std::min<size_t>(body.remaining(), msg_len))), hello);
      info.client_hello = std::move(hello);
    }
  }
  return info;
}

}  // namespace netcorr::capture
