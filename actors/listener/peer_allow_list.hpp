// Which local users may talk to ferryd: an optional allow-list of uids and gids checked against a UNIX
// peer's SO_PEERCRED at accept. Pure: the listener passes the credentials in.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ferry::listener {

/// Both lists empty: everyone the socket's mode lets in. Otherwise a peer is admitted when its uid is in
/// `uids` or its gid (primary, as SO_PEERCRED reports it) is in `gids`; a peer without credentials is not.
struct peer_allow_list {
  std::vector<std::uint32_t> uids;
  std::vector<std::uint32_t> gids;

  bool everyone() const noexcept { return uids.empty() && gids.empty(); }

  bool admits(std::optional<std::uint32_t> uid, std::optional<std::uint32_t> gid) const noexcept {
    if (everyone()) return true;
    if (uid && std::find(uids.begin(), uids.end(), *uid) != uids.end()) return true;
    return gid && std::find(gids.begin(), gids.end(), *gid) != gids.end();
  }

  friend bool operator==(const peer_allow_list&, const peer_allow_list&) = default;
};

/// The refusal's reason for the client: "uid N not allowed (gid G); ..." or, without credentials, so.
inline std::string refusal_reason(std::optional<std::uint32_t> uid, std::optional<std::uint32_t> gid) {
  if (!uid) return "peer without credentials not allowed by ferryd's allow-list";
  return "uid " + std::to_string(*uid) + " not allowed (gid " + (gid ? std::to_string(*gid) : std::string("?")) +
         "); see daemon.allow_uids / daemon.allow_gids";
}

}  // namespace ferry::listener
