#include "tracer/run_as.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace netcorr::tracer {
namespace {

struct PasswdEntry {
  uid_t uid;
  gid_t gid;
  std::string name;
};

// getpwnam_r / getpwuid_r with a growing buffer; nullopt when the user does not exist.
absl::StatusOr<std::optional<PasswdEntry>> LookupUser(const std::string* name, uid_t uid) {
  std::vector<char> buf(1024);
  for (int attempt = 0; attempt < 8; ++attempt) {
    passwd pw{};
    passwd* result = nullptr;
    const int rc = name != nullptr ? getpwnam_r(name->c_str(), &pw, buf.data(), buf.size(), &result)
                                   : getpwuid_r(uid, &pw, buf.data(), buf.size(), &result);
    if (rc == ERANGE) {
      buf.resize(buf.size() * 2);
      continue;
    }
    if (rc != 0) {
      return absl::ErrnoToStatus(rc, name != nullptr ? absl::StrCat("getpwnam_r(", *name, ")")
                                                     : absl::StrCat("getpwuid_r(", uid, ")"));
    }
    if (result == nullptr) return std::optional<PasswdEntry>();
    return std::optional<PasswdEntry>(PasswdEntry{pw.pw_uid, pw.pw_gid, pw.pw_name});
  }
  return absl::ResourceExhaustedError("passwd entry too large");
}

std::vector<gid_t> GroupsOf(const std::string& name, gid_t primary) {
  int n = 64;
  for (int attempt = 0; attempt < 6; ++attempt) {
    std::vector<gid_t> groups(n);
    int count = n;
    if (getgrouplist(name.c_str(), primary, groups.data(), &count) >= 0) {
      groups.resize(count);
      return groups;
    }
    n = count > n ? count : n * 2;
  }
  return {primary};
}

RunAs FromEntry(const PasswdEntry& e) {
  return RunAs{e.uid, e.gid, GroupsOf(e.name, e.gid), e.name};
}

std::optional<std::string> Env(const char* name) {
  const char* v = getenv(name);
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

}  // namespace

absl::StatusOr<RunAs> ResolveRunAsFrom(const std::optional<std::string>& user, uid_t real_uid,
                                       const std::optional<std::string>& sudo_uid,
                                       const std::optional<std::string>& sudo_gid,
                                       const std::optional<std::string>& sudo_user) {
  if (user) {
    if (user->empty()) return absl::InvalidArgumentError("-u: empty user name");
    absl::StatusOr<std::optional<PasswdEntry>> entry = LookupUser(&*user, 0);
    if (!entry.ok()) return entry.status();
    if (!*entry) {
      uint32_t numeric = 0;
      if (!absl::SimpleAtoi(*user, &numeric)) {
        return absl::NotFoundError(absl::StrCat("-u ", *user, ": no such user"));
      }
      entry = LookupUser(nullptr, numeric);
      if (!entry.ok()) return entry.status();
      if (!*entry) {
        // A uid with no passwd entry: run with its own uid as group, no supplementary groups.
        return RunAs{numeric, numeric, {}, *user};
      }
    }
    if (real_uid != 0 && (*entry)->uid != real_uid) {
      return absl::PermissionDeniedError(
          absl::StrCat("-u ", *user, ": only root can run the program as another user"));
    }
    return FromEntry(**entry);
  }
  if (real_uid != 0 || !sudo_uid) return RunAs{};
  uint32_t uid = 0;
  uint32_t gid = 0;
  if (!absl::SimpleAtoi(*sudo_uid, &uid)) {
    return absl::InvalidArgumentError(absl::StrCat("SUDO_UID=", *sudo_uid, " is not a number"));
  }
  if (uid == 0) return RunAs{};  // root ran sudo: root is what they asked for
  if (!sudo_gid || !absl::SimpleAtoi(*sudo_gid, &gid)) {
    return absl::InvalidArgumentError("SUDO_UID is set but SUDO_GID is missing or not a number");
  }
  if (sudo_user) {
    absl::StatusOr<std::optional<PasswdEntry>> entry = LookupUser(&*sudo_user, 0);
    if (entry.ok() && *entry && (*entry)->uid == uid) {
      return RunAs{uid, gid, GroupsOf(*sudo_user, gid), *sudo_user};
    }
  }
  absl::StatusOr<std::optional<PasswdEntry>> entry = LookupUser(nullptr, uid);
  if (entry.ok() && *entry) return RunAs{uid, gid, GroupsOf((*entry)->name, gid), (*entry)->name};
  return RunAs{uid, gid, {gid}, absl::StrCat(uid)};
}

absl::StatusOr<RunAs> ResolveRunAs(const std::optional<std::string>& user) {
  return ResolveRunAsFrom(user, getuid(), Env("SUDO_UID"), Env("SUDO_GID"), Env("SUDO_USER"));
}

}  // namespace netcorr::tracer
