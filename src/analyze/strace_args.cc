#include "src/analyze/strace_args.h"

#include <sys/socket.h>

#include <array>
#include <cctype>
#include <charconv>
#include <cstring>

#include "src/analyze/strace_line.h"
#include "src/model/socket_names.h"

namespace netcorr::analyze {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool EndsWith(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

// Index just past the element that starts at t[i]: a whole string, decoration, comment or
// bracketed group, or the single character. Unterminated elements end at the text's end.
size_t SkipElement(std::string_view t, size_t i) {
  const size_t n = t.size();
  const char c = t[i];
  if (c == '"') {
    size_t j = i + 1;
    while (j < n) {
      if (t[j] == '\\') {
        j += 2;
        continue;
      }
      if (t[j] == '"') return j + 1;
      ++j;
    }
    return n;
  }
  if (c == '<' && i > 0 && IsDigit(t[i - 1])) {
    const size_t past = SkipDecoration(t, i);
    return past == std::string_view::npos ? n : past;
  }
  if (c == '/' && i + 1 < n && t[i + 1] == '*') {
    const size_t end = t.find("*/", i + 2);
    return end == std::string_view::npos ? n : end + 2;
  }
  if (c == '(' || c == '[' || c == '{') {
    const size_t close = FindClosing(t, i + 1);
    return close == std::string_view::npos ? n : close + 1;
  }
  return i + 1;
}

// "htons(80)" -> 80, or the text inside any "fn(...)".
std::string_view CallArgument(std::string_view text, std::string_view fn) {
  text = Trim(text);
  if (!StartsWith(text, fn) || text.size() < fn.size() + 2 || text[fn.size()] != '(' ||
      text.back() != ')') {
    return {};
  }
  return text.substr(fn.size() + 1, text.size() - fn.size() - 2);
}

// The string literal inside an argument: "inet_addr(\"1.2.3.4\")" -> 1.2.3.4.
std::string_view FirstQuoted(std::string_view text) {
  const size_t open = text.find('"');
  if (open == std::string_view::npos) return {};
  const size_t end = SkipElement(text, open);
  if (end <= open + 1 || text[end - 1] != '"') return {};
  return text.substr(open + 1, end - open - 2);
}

// The comment of "-X verbose" values: "0x2 /* AF_INET */" -> "AF_INET".
std::string_view CommentOf(std::string_view arg) {
  arg = Trim(arg);
  if (!EndsWith(arg, "*/")) return {};
  const size_t open = arg.rfind("/*");
  if (open == std::string_view::npos || open + 2 > arg.size() - 2) return {};
  return Trim(arg.substr(open + 2, arg.size() - open - 4));
}

}  // namespace

std::optional<int> ParseAddressFamily(std::string_view value) {
  if (std::optional<int> f = AddressFamilyFromName(SymbolicPart(value))) return *f;
  if (std::optional<int64_t> v = ParseInteger(WithoutComment(value)); v && *v >= 0 && *v < 64) {
    return static_cast<int>(*v);
  }
  return std::nullopt;
}

namespace {

// A port: "htons(80)", or raw network-order bytes "\x00\x50" (-X raw), whose -X verbose comment
// "/* htons(80) */" is preferred when present.
std::optional<uint16_t> PortFromText(std::string_view value) {
  std::string_view sym = SymbolicPart(value);
  if (std::string_view inner = CallArgument(sym, "htons"); !inner.empty()) {
    std::optional<int64_t> v = ParseInteger(inner);
    if (v && *v >= 0 && *v <= 0xffff) return static_cast<uint16_t>(*v);
    return std::nullopt;
  }
  std::string_view raw = Trim(WithoutComment(value));
  if (StartsWith(raw, "\"")) {
    const std::string bytes = UnquoteString(raw);
    if (bytes.size() == 2) {
      return static_cast<uint16_t>((static_cast<uint8_t>(bytes[0]) << 8) |
                                   static_cast<uint8_t>(bytes[1]));
    }
    return std::nullopt;
  }
  std::optional<int64_t> v = ParseInteger(raw);
  if (v && *v >= 0 && *v <= 0xffff) return static_cast<uint16_t>(*v);
  return std::nullopt;
}

// An address: inet_addr("1.2.3.4"), inet_pton(AF_INET6, "::1"...), or raw bytes.
std::optional<IpAddress> AddressFromText(std::string_view value) {
  std::string_view sym = SymbolicPart(value);
  if (StartsWith(sym, "inet_addr(") || StartsWith(sym, "inet_pton(")) {
    return IpAddress::Parse(FirstQuoted(sym));
  }
  std::string_view raw = Trim(WithoutComment(value));
  if (StartsWith(raw, "\"")) {
    const std::string bytes = UnquoteString(raw);
    if (bytes.size() == 4) {
      std::array<uint8_t, 4> a{};
      std::memcpy(a.data(), bytes.data(), 4);
      return IpAddress::V4(a);
    }
    if (bytes.size() == 16) {
      std::array<uint8_t, 16> a{};
      std::memcpy(a.data(), bytes.data(), 16);
      return IpAddress::V6(a);
    }
  }
  return std::nullopt;
}

void SplitFieldKey(std::string_view field, std::string_view& key, std::string_view& value) {
  // The key is the leading identifier before '='; "inet_pton(...)" has none.
  size_t i = 0;
  while (i < field.size() && (std::isalnum(static_cast<unsigned char>(field[i])) ||
                              field[i] == '_' || field[i] == '.')) {
    ++i;
  }
  if (i > 0 && i < field.size() && field[i] == '=') {
    key = field.substr(0, i);
    value = Trim(field.substr(i + 1));
  } else {
    key = {};
    value = field;
  }
}

void ApplyProtocol(std::string_view proto, SocketIdentity& id) {
  bool v6 = false;
  if (EndsWith(proto, "v6")) {
    v6 = true;
    proto.remove_suffix(2);
  }
  if (proto == "TCP" || proto == "MPTCP") {
    id.transport = Transport::kTcp;
    id.type = SOCK_STREAM;
    id.family = v6 ? AF_INET6 : AF_INET;
  } else if (proto == "UDP" || proto == "UDPLITE") {
    id.transport = Transport::kUdp;
    id.type = SOCK_DGRAM;
    id.family = v6 ? AF_INET6 : AF_INET;
  } else if (proto == "PING") {
    id.transport = v6 ? Transport::kIcmpV6 : Transport::kIcmp;
    id.type = SOCK_DGRAM;
    id.family = v6 ? AF_INET6 : AF_INET;
  } else if (proto == "RAW" || proto == "SCTP" || proto == "DCCP" || proto == "L2TP/IP") {
    id.family = v6 ? AF_INET6 : AF_INET;
  } else if (proto == "UNIX-STREAM") {
    id.family = AF_UNIX;
    id.type = SOCK_STREAM;
  } else if (proto == "UNIX-DGRAM") {
    id.family = AF_UNIX;
    id.type = SOCK_DGRAM;
  } else if (proto == "UNIX-SEQPACKET") {
    id.family = AF_UNIX;
    id.type = SOCK_SEQPACKET;
  } else if (proto == "UNIX") {
    id.family = AF_UNIX;
  } else if (proto == "NETLINK") {
    id.family = AF_NETLINK;
  } else if (proto == "PACKET") {
    id.family = AF_PACKET;
  }
}

std::optional<uint64_t> ParseInode(std::string_view s) {
  uint64_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// "/path", "\"/path\"", "@\"name\"" -> the path as the model writes it.
std::string UnixPathFromText(std::string_view text) {
  text = Trim(text);
  if (StartsWith(text, "@")) {
    // Appended, not `"@" + ...`: GCC 12 at -O3 raises a false -Wrestrict on the prepend.
    std::string path = "@";
    path += UnquoteString(text.substr(1));
    return path;
  }
  if (StartsWith(text, "\"")) return UnquoteString(text);
  return std::string(text);
}

}  // namespace

void SplitArgs(std::string_view args, std::vector<std::string_view>& out, size_t max_args) {
  out.clear();
  if (max_args == 0) return;
  size_t start = 0;
  size_t i = 0;
  while (i < args.size()) {
    if (args[i] == ',' && out.size() + 1 < max_args) {
      out.push_back(Trim(args.substr(start, i - start)));
      start = i + 1;
      ++i;
      continue;
    }
    i = SkipElement(args, i);
  }
  std::string_view last = Trim(args.substr(std::min(start, args.size())));
  if (!last.empty() || !out.empty()) out.push_back(last);
}

std::string_view SymbolicPart(std::string_view arg) {
  std::string_view c = CommentOf(arg);
  return c.empty() ? Trim(arg) : c;
}

std::string_view WithoutComment(std::string_view arg) {
  arg = Trim(arg);
  if (!EndsWith(arg, "*/")) return arg;
  const size_t open = arg.rfind("/*");
  if (open == std::string_view::npos) return arg;
  return Trim(arg.substr(0, open));
}

std::optional<int64_t> ParseInteger(std::string_view text) {
  text = Trim(text);
  bool negative = false;
  if (!text.empty() && text.front() == '-') {
    negative = true;
    text.remove_prefix(1);
  }
  if (text.empty()) return std::nullopt;
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    text.remove_prefix(2);
  } else if (text.size() > 1 && text[0] == '0') {
    base = 8;
    text.remove_prefix(1);
  }
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v, base);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (v > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
  return negative ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
}

bool HasFlag(std::string_view flags, std::string_view name, uint64_t bit) {
  std::string_view comment = CommentOf(flags);
  std::string_view value = WithoutComment(flags);
  if (!comment.empty() && comment.find(name) != std::string_view::npos) return true;
  size_t start = 0;
  while (start <= value.size()) {
    size_t bar = value.find('|', start);
    if (bar == std::string_view::npos) bar = value.size();
    std::string_view part = Trim(value.substr(start, bar - start));
    // "-X verbose" puts a comment after each part: "0x1 /* SOCK_STREAM */|0x800 /* ... */".
    if (SymbolicPart(part) == name || WithoutComment(part) == name) return true;
    if (std::optional<int64_t> v = ParseInteger(WithoutComment(part));
        v && bit != 0 && (static_cast<uint64_t>(*v) & bit) == bit) {
      return true;
    }
    start = bar + 1;
  }
  return false;
}

FdArg ParseFdArg(std::string_view arg) {
  FdArg out;
  arg = Trim(arg);
  size_t i = 0;
  if (i < arg.size() && arg[i] == '-') ++i;
  const size_t digits_begin = i;
  while (i < arg.size() && IsDigit(arg[i])) ++i;
  if (i == digits_begin || i - digits_begin > 10) return out;
  int64_t fd = 0;
  auto [end, ec] = std::from_chars(arg.data() + digits_begin, arg.data() + i, fd);
  if (ec != std::errc() || fd > INT32_MAX) return out;
  out.fd = static_cast<int>(digits_begin == 1 ? -fd : fd);
  if (i < arg.size()) {
    if (arg[i] != '<' || arg.back() != '>') return out;
    out.decoration = arg.substr(i + 1, arg.size() - i - 2);
  }
  out.valid = true;
  return out;
}

std::optional<Endpoint> ParseEndpointText(std::string_view text) {
  text = Trim(text);
  std::string_view addr;
  std::string_view port;
  if (StartsWith(text, "[")) {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return std::nullopt;
    }
    addr = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    addr = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  uint32_t p = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || p > 0xffff) {
    return std::nullopt;
  }
  std::optional<IpAddress> ip = IpAddress::Parse(addr);
  if (!ip) return std::nullopt;
  return Endpoint{*ip, static_cast<uint16_t>(p)};
}

FdDecoration ParseFdDecoration(std::string_view d) {
  FdDecoration out;
  if (d.empty()) return out;
  if (StartsWith(d, "socket:[") && EndsWith(d, "]")) {
    out.kind = FdKind::kSocket;
    if (std::optional<uint64_t> ino = ParseInode(d.substr(8, d.size() - 9))) {
      out.identity.inode = *ino;
    }
    return out;
  }
  // "PROTO:[...]" with an upper-case protocol name: a socket decoded by -yy.
  const size_t colon = d.find(":[");
  if (colon == std::string_view::npos || colon == 0 || !IsUpper(d[0]) || !EndsWith(d, "]")) {
    out.kind = FdKind::kOther;  // a path, "pipe:[...]", "anon_inode:[...]"
    return out;
  }
  std::string_view proto = d.substr(0, colon);
  for (char c : proto) {
    if (!(IsUpper(c) || IsDigit(c) || c == '-' || c == '/' || c == 'v')) {
      out.kind = FdKind::kOther;
      return out;
    }
  }
  out.kind = FdKind::kSocket;
  out.protocol_decoded = true;
  SocketIdentity& id = out.identity;
  ApplyProtocol(proto, id);
  std::string_view inner = d.substr(colon + 2, d.size() - colon - 3);

  if (id.family == AF_UNIX) {
    // "ino", "ino->peer", "ino,\"path\"", "ino->peer,\"path\"", "ino,@\"abstract\"".
    std::string_view ends = inner;
    const size_t comma = inner.find(',');
    if (comma != std::string_view::npos) {
      ends = inner.substr(0, comma);
      id.unix_path = UnixPathFromText(inner.substr(comma + 1));
    }
    const size_t arrow = ends.find("->");
    if (std::optional<uint64_t> ino = ParseInode(ends.substr(0, arrow))) id.inode = *ino;
    return out;
  }
  if (id.family == AF_NETLINK || id.family == AF_PACKET || id.family == 0) {
    // "123" (inode) or "ROUTE:4242" (protocol:port id, no inode).
    if (std::optional<uint64_t> ino = ParseInode(inner)) id.inode = *ino;
    return out;
  }
  if (std::optional<uint64_t> ino = ParseInode(inner)) {
    id.inode = *ino;  // not bound or connected yet: only the inode is known
    return out;
  }
  const size_t arrow = inner.find("->");
  if (arrow == std::string_view::npos) {
    id.local = ParseEndpointText(inner);
  } else {
    id.local = ParseEndpointText(inner.substr(0, arrow));
    id.remote = ParseEndpointText(inner.substr(arrow + 2));
  }
  return out;
}

std::string_view FindField(std::string_view braced, std::string_view key) {
  braced = Trim(braced);
  if (braced.size() < 2 || braced.front() != '{') return {};
  const size_t close = FindClosing(braced, 1);
  std::string_view inner =
      braced.substr(1, (close == std::string_view::npos ? braced.size() : close) - 1);
  size_t start = 0;
  size_t i = 0;
  while (start <= inner.size()) {
    // Walk to the next top-level comma.
    while (i < inner.size() && inner[i] != ',') i = SkipElement(inner, i);
    std::string_view field = Trim(inner.substr(start, i - start));
    std::string_view k;
    std::string_view v;
    SplitFieldKey(field, k, v);
    if (k == key) return v;
    if (i >= inner.size()) break;
    start = ++i;
  }
  return {};
}

std::optional<DecodedSockaddr> ParseSockaddr(std::string_view text) {
  text = Trim(text);
  if (text.size() < 2 || text.front() != '{') return std::nullopt;
  const size_t close = FindClosing(text, 1);
  std::string_view inner =
      text.substr(1, (close == std::string_view::npos ? text.size() : close) - 1);
  DecodedSockaddr out;
  bool has_family = false;
  std::optional<uint16_t> port;
  std::optional<IpAddress> addr;
  size_t start = 0;
  size_t i = 0;
  while (start <= inner.size()) {
    while (i < inner.size() && inner[i] != ',') i = SkipElement(inner, i);
    std::string_view field = Trim(inner.substr(start, i - start));
    std::string_view key;
    std::string_view value;
    SplitFieldKey(field, key, value);
    if (key == "sa_family") {
      if (std::optional<int> f = ParseAddressFamily(value)) {
        out.family = *f;
        has_family = true;
      }
    } else if (key == "sin_port" || key == "sin6_port") {
      port = PortFromText(value);
    } else if (key == "sin_addr" || key == "sin6_addr") {
      addr = AddressFromText(value);
    } else if (key.empty() && StartsWith(value, "inet_pton(")) {
      addr = IpAddress::Parse(FirstQuoted(value));
    } else if (key == "sun_path") {
      out.unix_path = UnixPathFromText(value);
    }
    if (i >= inner.size()) break;
    start = ++i;
  }
  if (!has_family) return std::nullopt;
  if ((out.family == AF_INET || out.family == AF_INET6) && port && addr) {
    out.endpoint = Endpoint{*addr, *port};
  }
  return out;
}

std::string UnquoteString(std::string_view q) {
  q = Trim(q);
  if (!q.empty() && q.front() == '"') q.remove_prefix(1);
  std::string out;
  out.reserve(q.size());
  size_t i = 0;
  while (i < q.size()) {
    const char c = q[i];
    if (c == '"') break;  // the closing quote; "..." after it means truncation
    if (c != '\\' || i + 1 >= q.size()) {
      out.push_back(c);
      ++i;
      continue;
    }
    const char e = q[i + 1];
    i += 2;
    switch (e) {
      case 'n':
        out.push_back('\n');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 'v':
        out.push_back('\v');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'x': {
        int v = 0;
        int n = 0;
        while (n < 2 && i < q.size() && std::isxdigit(static_cast<unsigned char>(q[i]))) {
          const char h = q[i];
          v = v * 16 + (IsDigit(h) ? h - '0' : (h | 0x20) - 'a' + 10);
          ++n;
          ++i;
        }
        out.push_back(static_cast<char>(v));
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          int v = e - '0';
          int n = 1;
          while (n < 3 && i < q.size() && q[i] >= '0' && q[i] <= '7') {
            v = v * 8 + (q[i] - '0');
            ++n;
            ++i;
          }
          out.push_back(static_cast<char>(v & 0xff));
        } else {
          out.push_back(e);  // \" \\ and anything else: the character itself
        }
        break;
    }
  }
  return out;
}

}  // namespace netcorr::analyze
