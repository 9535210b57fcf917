#include "tracer/socket_names.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <utility>

#include "absl/strings/str_cat.h"

namespace netcorr::tracer {
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

std::string AddressFamilyName(int family) {
  switch (family) {
    case AF_UNSPEC:
      return "AF_UNSPEC";
    case AF_UNIX:
      return "AF_UNIX";
    case AF_INET:
      return "AF_INET";
    case AF_INET6:
      return "AF_INET6";
    case AF_NETLINK:
      return "AF_NETLINK";
    case AF_PACKET:
      return "AF_PACKET";
    default:
      return absl::StrCat(family);
  }
}

std::string SocketTypeName(int type) {
  std::string out;
  switch (type & 0xf) {
    case SOCK_STREAM:
      out = "SOCK_STREAM";
      break;
    case SOCK_DGRAM:
      out = "SOCK_DGRAM";
      break;
    case SOCK_RAW:
      out = "SOCK_RAW";
      break;
    case SOCK_SEQPACKET:
      out = "SOCK_SEQPACKET";
      break;
    default:
      out = absl::StrCat(type & 0xf);
  }
  if (type & SOCK_NONBLOCK) out += "|SOCK_NONBLOCK";
  if (type & SOCK_CLOEXEC) out += "|SOCK_CLOEXEC";
  return out;
}

std::string ProtocolName(int family, int protocol) {
  if (family != AF_INET && family != AF_INET6) return absl::StrCat(protocol);
  switch (protocol) {
    case 0:
      return "0";
    case IPPROTO_TCP:
      return "IPPROTO_TCP";
    case IPPROTO_UDP:
      return "IPPROTO_UDP";
    case IPPROTO_ICMP:
      return "IPPROTO_ICMP";
    case IPPROTO_ICMPV6:
      return "IPPROTO_ICMPV6";
    default:
      return absl::StrCat(protocol);
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

}  // namespace netcorr::tracer
