#include "src/model/call_kind.h"

#include <array>
#include <utility>

namespace netcorr {
namespace {

constexpr std::array<std::pair<std::string_view, CallKind>, 35> kKindByName = {{
    {"socket", CallKind::kSocket},        {"socketpair", CallKind::kSocketpair},
    {"connect", CallKind::kConnect},      {"bind", CallKind::kBind},
    {"listen", CallKind::kListen},        {"accept", CallKind::kAccept},
    {"accept4", CallKind::kAccept},       {"shutdown", CallKind::kShutdown},
    {"close", CallKind::kClose},          {"getsockopt", CallKind::kGetsockopt},
    {"setsockopt", CallKind::kSetsockopt}, {"write", CallKind::kSend},
    {"writev", CallKind::kSend},          {"send", CallKind::kSend},
    {"sendto", CallKind::kSend},          {"sendmsg", CallKind::kSend},
    {"sendmmsg", CallKind::kSend},        {"sendfile", CallKind::kSend},
    {"read", CallKind::kRecv},            {"readv", CallKind::kRecv},
    {"recv", CallKind::kRecv},            {"recvfrom", CallKind::kRecv},
    {"recvmsg", CallKind::kRecv},         {"recvmmsg", CallKind::kRecv},
    {"poll", CallKind::kWait},            {"ppoll", CallKind::kWait},
    {"select", CallKind::kWait},          {"pselect6", CallKind::kWait},
    {"epoll_wait", CallKind::kWait},      {"epoll_pwait", CallKind::kWait},
    {"epoll_pwait2", CallKind::kWait},    {"_newselect", CallKind::kWait},
    {"io_uring_setup", CallKind::kIoUring}, {"io_uring_enter", CallKind::kIoUring},
    {"io_uring_register", CallKind::kIoUring},
}};

}  // namespace

CallKind CallKindOf(std::string_view name) {
  for (const auto& [n, kind] : kKindByName) {
    if (n == name) return kind;
  }
  return CallKind::kOther;
}

std::string_view CallKindName(CallKind kind) {
  switch (kind) {
    case CallKind::kOther: return "other";
    case CallKind::kSocket: return "socket";
    case CallKind::kSocketpair: return "socketpair";
    case CallKind::kConnect: return "connect";
    case CallKind::kBind: return "bind";
    case CallKind::kListen: return "listen";
    case CallKind::kAccept: return "accept";
    case CallKind::kShutdown: return "shutdown";
    case CallKind::kClose: return "close";
    case CallKind::kGetsockopt: return "getsockopt";
    case CallKind::kSetsockopt: return "setsockopt";
    case CallKind::kSend: return "send";
    case CallKind::kRecv: return "recv";
    case CallKind::kWait: return "wait";
    case CallKind::kIoUring: return "io_uring";
  }
  return "other";
}

}  // namespace netcorr
