#pragma once

// Reading the argument text of one strace call: top-level argument splitting, fd numbers with
// their -y/-yy decorations, sockaddr structures in strace's abbreviated, verbose (-X verbose)
// and raw (-X raw) forms, flag sets and quoted strings. Pure functions over string views.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/model/endpoint.h"
#include "src/model/syscall_event.h"
#include "src/socket_model/fd_table.h"

namespace netcorr::analyze {

// Splits "3<TCP:[...]>, {sa_family=AF_INET, ...}, 16" at the commas that are outside strings,
// brackets, braces, parentheses, decorations and comments. Pieces are trimmed. At most
// `max_args` pieces (the last one keeps the remainder).
void SplitArgs(std::string_view args, std::vector<std::string_view>& out, size_t max_args = 64);

// "-X verbose" writes "0x2 /* AF_INET */": the symbolic comment when there is one, else the
// text unchanged.
std::string_view SymbolicPart(std::string_view arg);
// The text without a trailing "/* ... */" comment.
std::string_view WithoutComment(std::string_view arg);

// A decimal, hex (0x) or octal (leading 0) integer, possibly negative; nullopt otherwise.
std::optional<int64_t> ParseInteger(std::string_view text);

// True when a flag set such as "SOCK_STREAM|SOCK_NONBLOCK", "O_RDWR|O_NONBLOCK",
// "0x1|0x800" or "0x802 /* O_RDWR|O_NONBLOCK */" contains `name` or has `bit` set.
bool HasFlag(std::string_view flags, std::string_view name, uint64_t bit);

// "AF_INET", "0xa /* AF_INET6 */", "2": the AF_* number.
std::optional<int> ParseAddressFamily(std::string_view value);

// An fd argument: "3", "3<TCP:[...]>", "-100</tmp>" (AT_FDCWD), "AT_FDCWD</tmp>".
struct FdArg {
  bool valid = false;
  int fd = -1;
  std::string_view decoration;  // the text inside <...>, empty without -y
};
FdArg ParseFdArg(std::string_view arg);

using FdKind = socket_model::FdKind;

// What a decoration says about its fd.
struct FdDecoration {
  FdKind kind = FdKind::kUnknown;
  // -yy protocol form ("TCP:[", "UNIX-STREAM:[", "NETLINK:["...), as opposed to -y "socket:[".
  bool protocol_decoded = false;
  SocketIdentity identity;  // inode, family, type, transport, ends as far as shown
};
// "TCP:[10.0.0.1:40000->10.0.0.2:80]", "TCP:[123]", "UDP:[0.0.0.0:5353]",
// "TCPv6:[[::1]:1->[::1]:2]", "UNIX-STREAM:[1->2,"/path"]", "UNIX:[3,@"abstract"]",
// "NETLINK:[ROUTE:123]", "socket:[123]"; a path, "pipe:[...]", "anon_inode:[...]" are kOther; empty
// text is kUnknown.
FdDecoration ParseFdDecoration(std::string_view decoration);

// "10.0.0.1:40000", "[::1]:5000", "[::ffff:127.0.0.1]:80" (v4-mapped becomes IPv4).
std::optional<Endpoint> ParseEndpointText(std::string_view text);

// A sockaddr as strace prints it, "{sa_family=AF_INET, sin_port=htons(80),
// sin_addr=inet_addr("10.0.0.2")}" and its AF_INET6, AF_UNIX, -X verbose and -X raw forms.
struct DecodedSockaddr {
  int family = 0;                    // AF_* number; 0 when not shown
  std::optional<Endpoint> endpoint;  // AF_INET/AF_INET6
  std::string unix_path;             // AF_UNIX: the path, "@name" for the abstract namespace
};
std::optional<DecodedSockaddr> ParseSockaddr(std::string_view text);

// The value of `key` in "{key=value, ...}" at the top level; empty when absent.
std::string_view FindField(std::string_view braced, std::string_view key);

// The bytes of a C string literal as strace escapes it ("\x7f\0abc\"\n"), quotes included or
// not; a trailing "..." (truncation) is ignored. Bounded by the input's length.
std::string UnquoteString(std::string_view quoted);

}  // namespace netcorr::analyze
