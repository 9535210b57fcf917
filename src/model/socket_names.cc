#include "src/model/socket_names.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <utility>

#include "absl/strings/str_cat.h"

namespace netcorr {
namespace {

template <size_t N>
std::string FlagNames(uint64_t value, const std::pair<uint64_t, const char*> (&names)[N]) {
  if (value == 0) return "0";
  std::string out;
  for (const auto& [bit, name] : names) {
    if ((value & bit) == bit && bit != 0) {
      if (!out.empty()) out += "|";
      out += name;
      value &= ~bit;
    }
  }
  if (value != 0) absl::StrAppend(&out, out.empty() ? "" : "|", "0x", absl::Hex(value));
  return out;
}

}  // namespace

namespace {

struct NamedValue {
  int value;
  std::string_view name;
};

// Aliases come after the name strace prints, so a number finds the printed one first.
constexpr NamedValue kFamilies[] = {
    {AF_UNSPEC, "AF_UNSPEC"},   {AF_UNIX, "AF_UNIX"},       {AF_UNIX, "AF_LOCAL"},
    {AF_UNIX, "AF_FILE"},       {AF_INET, "AF_INET"},       {AF_INET6, "AF_INET6"},
    {AF_NETLINK, "AF_NETLINK"}, {AF_PACKET, "AF_PACKET"},   {AF_BLUETOOTH, "AF_BLUETOOTH"},
    {AF_ALG, "AF_ALG"},         {AF_VSOCK, "AF_VSOCK"},     {AF_XDP, "AF_XDP"},
};

constexpr NamedValue kTypes[] = {
    {SOCK_STREAM, "SOCK_STREAM"},       {SOCK_DGRAM, "SOCK_DGRAM"}, {SOCK_RAW, "SOCK_RAW"},
    {SOCK_RDM, "SOCK_RDM"},             {SOCK_SEQPACKET, "SOCK_SEQPACKET"},
    {SOCK_PACKET, "SOCK_PACKET"},
};

constexpr NamedValue kInetProtocols[] = {
    {IPPROTO_TCP, "IPPROTO_TCP"},       {IPPROTO_UDP, "IPPROTO_UDP"},
    {IPPROTO_ICMP, "IPPROTO_ICMP"},     {IPPROTO_ICMPV6, "IPPROTO_ICMPV6"},
    {IPPROTO_UDPLITE, "IPPROTO_UDPLITE"}, {IPPROTO_MPTCP, "IPPROTO_MPTCP"},
    {IPPROTO_SCTP, "IPPROTO_SCTP"},     {IPPROTO_RAW, "IPPROTO_RAW"},
};

template <size_t N>
std::string NameOf(int value, const NamedValue (&table)[N]) {
  for (const NamedValue& n : table) {
    if (n.value == value) return std::string(n.name);
  }
  return absl::StrCat(value);
}

template <size_t N>
std::optional<int> ValueOf(std::string_view name, const NamedValue (&table)[N]) {
  for (const NamedValue& n : table) {
    if (n.name == name) return n.value;
  }
  return std::nullopt;
}

}  // namespace

std::string AddressFamilyName(int family) { return NameOf(family, kFamilies); }

std::string SocketTypeName(int type) {
  std::string out = NameOf(type & 0xf, kTypes);
  if (type & SOCK_NONBLOCK) out += "|SOCK_NONBLOCK";
  if (type & SOCK_CLOEXEC) out += "|SOCK_CLOEXEC";
  return out;
}

std::string ProtocolName(int family, int protocol) {
  if (family != AF_INET && family != AF_INET6) return absl::StrCat(protocol);
  return NameOf(protocol, kInetProtocols);
}

std::optional<int> AddressFamilyFromName(std::string_view name) {
  return ValueOf(name, kFamilies);
}
std::optional<int> SocketTypeFromName(std::string_view name) { return ValueOf(name, kTypes); }
std::optional<int> ProtocolFromName(std::string_view name) {
  return ValueOf(name, kInetProtocols);
}

Transport TransportFor(int family, int type, int protocol) {
  if (family != AF_INET && family != AF_INET6) return Transport::kUnknown;
  switch (protocol) {
    case IPPROTO_TCP:
    case IPPROTO_MPTCP:  // MPTCP subflows are TCP on the wire
      return Transport::kTcp;
    case IPPROTO_UDP:
    case IPPROTO_UDPLITE:
      return Transport::kUdp;
    case IPPROTO_ICMP:
      return Transport::kIcmp;
    case IPPROTO_ICMPV6:
      return Transport::kIcmpV6;
    case 0:
      if ((type & 0xf) == SOCK_STREAM) return Transport::kTcp;
      if ((type & 0xf) == SOCK_DGRAM) return Transport::kUdp;
      return Transport::kUnknown;
    default:
      return Transport::kUnknown;
  }
}

std::string MsgFlagsName(uint64_t flags) {
  static const std::pair<uint64_t, const char*> kNames[] = {{MSG_OOB, "MSG_OOB"},
                                                            {MSG_PEEK, "MSG_PEEK"},
                                                            {MSG_DONTROUTE, "MSG_DONTROUTE"},
                                                            {MSG_TRUNC, "MSG_TRUNC"},
                                                            {MSG_DONTWAIT, "MSG_DONTWAIT"},
                                                            {MSG_EOR, "MSG_EOR"},
                                                            {MSG_WAITALL, "MSG_WAITALL"},
                                                            {MSG_CONFIRM, "MSG_CONFIRM"},
                                                            {MSG_NOSIGNAL, "MSG_NOSIGNAL"},
                                                            {MSG_MORE, "MSG_MORE"},
                                                            {MSG_WAITFORONE, "MSG_WAITFORONE"},
                                                            {MSG_FASTOPEN, "MSG_FASTOPEN"},
                                                            {MSG_CMSG_CLOEXEC, "MSG_CMSG_CLOEXEC"},
                                                            {MSG_ERRQUEUE, "MSG_ERRQUEUE"}};
  return FlagNames(flags, kNames);
}

std::string SockoptLevelName(int level) {
  switch (level) {
    case SOL_SOCKET:
      return "SOL_SOCKET";
    case IPPROTO_TCP:
      return "SOL_TCP";
    case IPPROTO_IP:
      return "SOL_IP";
    case IPPROTO_IPV6:
      return "SOL_IPV6";
    case IPPROTO_UDP:
      return "SOL_UDP";
    default:
      return absl::StrCat(level);
  }
}

std::string SockoptName(int level, int name) {
  if (level == SOL_SOCKET) {
    switch (name) {
      case SO_ERROR:
        return "SO_ERROR";
      case SO_REUSEADDR:
        return "SO_REUSEADDR";
      case SO_REUSEPORT:
        return "SO_REUSEPORT";
      case SO_KEEPALIVE:
        return "SO_KEEPALIVE";
      case SO_LINGER:
        return "SO_LINGER";
      case SO_RCVBUF:
        return "SO_RCVBUF";
      case SO_SNDBUF:
        return "SO_SNDBUF";
      case SO_BROADCAST:
        return "SO_BROADCAST";
      case 20:
        return "SO_RCVTIMEO_OLD";
      case 21:
        return "SO_SNDTIMEO_OLD";
      case 66:
        return "SO_RCVTIMEO_NEW";
      case 67:
        return "SO_SNDTIMEO_NEW";
      case SO_BINDTODEVICE:
        return "SO_BINDTODEVICE";
      case SO_MARK:
        return "SO_MARK";
      default:
        break;
    }
  } else if (level == IPPROTO_TCP) {
    switch (name) {
      case TCP_NODELAY:
        return "TCP_NODELAY";
      case TCP_KEEPIDLE:
        return "TCP_KEEPIDLE";
      case TCP_KEEPINTVL:
        return "TCP_KEEPINTVL";
      case TCP_KEEPCNT:
        return "TCP_KEEPCNT";
      case TCP_SYNCNT:
        return "TCP_SYNCNT";
      case TCP_USER_TIMEOUT:
        return "TCP_USER_TIMEOUT";
      default:
        break;
    }
  } else if (level == IPPROTO_IPV6 && name == IPV6_V6ONLY) {
    return "IPV6_V6ONLY";
  }
  return absl::StrCat(name);
}

std::string PollEventsName(int events) {
  static const std::pair<uint64_t, const char*> kNames[] = {
      {POLLIN, "POLLIN"},         {POLLPRI, "POLLPRI"},       {POLLOUT, "POLLOUT"},
      {POLLERR, "POLLERR"},       {POLLHUP, "POLLHUP"},       {POLLNVAL, "POLLNVAL"},
      {POLLRDNORM, "POLLRDNORM"}, {POLLRDBAND, "POLLRDBAND"}, {POLLWRNORM, "POLLWRNORM"},
      {POLLWRBAND, "POLLWRBAND"}, {POLLRDHUP, "POLLRDHUP"}};
  return FlagNames(static_cast<uint16_t>(events), kNames);
}

}  // namespace netcorr
