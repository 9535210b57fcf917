#pragma once

#include <cstdint>
#include <string>

namespace netcorr::tracer {

// Symbolic names for socket constants, as strace prints them; numbers when unknown.
std::string AddressFamilyName(int family);           // "AF_INET"
std::string SocketTypeName(int type);                // "SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC"
std::string ProtocolName(int family, int protocol);  // "IPPROTO_TCP"
std::string MsgFlagsName(uint64_t flags);            // "MSG_DONTWAIT|MSG_NOSIGNAL", "0"
std::string SockoptLevelName(int level);             // "SOL_SOCKET"
std::string SockoptName(int level, int name);        // "SO_ERROR"
std::string PollEventsName(int events);              // "POLLIN|POLLOUT"

}  // namespace netcorr::tracer
