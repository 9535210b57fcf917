#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace netcorr::tracer {

// The credentials to run a launched program with.
struct RunAs {
  std::optional<uid_t> uid;  // unset: keep netcorr's own credentials
  std::optional<gid_t> gid;
  std::vector<gid_t> groups;
  std::string user;  // the user name, for messages ("" when unchanged)
};

// Decides who the traced program runs as, so that `sudo netcorr -- cmd` never runs cmd as
// root by surprise:
//  - `user` given (-u USER, a name or a numeric uid): that user, its primary group and its
//    supplementary groups (getgrouplist). Only root can switch users.
//  - otherwise, real uid 0 with SUDO_UID/SUDO_GID set: the user who ran sudo (SUDO_USER's
//    groups when the name resolves, else just SUDO_GID).
//  - otherwise: unchanged.
absl::StatusOr<RunAs> ResolveRunAs(const std::optional<std::string>& user);

// The same decision from explicit inputs, for tests: `real_uid` is getuid(), `sudo_uid` and
// `sudo_gid` are the environment variables' values (nullopt when unset).
absl::StatusOr<RunAs> ResolveRunAsFrom(const std::optional<std::string>& user, uid_t real_uid,
                                       const std::optional<std::string>& sudo_uid,
                                       const std::optional<std::string>& sudo_gid,
                                       const std::optional<std::string>& sudo_user);

}  // namespace netcorr::tracer
