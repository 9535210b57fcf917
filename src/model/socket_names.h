#pragma once

// The one table of socket constant names, as strace prints them, in both directions: the tracer
// prints them, the strace reader reads them back, the report names families with them. Unknown
// values print as their decimal number (strace -X raw), everywhere alike.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "src/model/endpoint.h"

namespace netcorr {

std::string AddressFamilyName(int family);           // "AF_INET"; "42" when unknown
std::string SocketTypeName(int type);                // "SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC"
std::string ProtocolName(int family, int protocol);  // "IPPROTO_TCP"
std::string MsgFlagsName(uint64_t flags);            // "MSG_DONTWAIT|MSG_NOSIGNAL", "0"
std::string SockoptLevelName(int level);             // "SOL_SOCKET"
std::string SockoptName(int level, int name);        // "SO_ERROR"
std::string PollEventsName(int events);              // "POLLIN|POLLOUT"

// The reverse of the names above for one symbol ("AF_INET6", "AF_LOCAL", "SOCK_DGRAM",
// "IPPROTO_UDP"); nullopt for a name the table does not hold.
std::optional<int> AddressFamilyFromName(std::string_view name);
std::optional<int> SocketTypeFromName(std::string_view name);
std::optional<int> ProtocolFromName(std::string_view name);

// The transport of an AF_INET/AF_INET6 socket from socket()'s arguments (type without
// SOCK_NONBLOCK/SOCK_CLOEXEC); protocol 0 means the type's default. kUnknown for other families.
Transport TransportFor(int family, int type, int protocol);

}  // namespace netcorr
