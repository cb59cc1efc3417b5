// nfsstat3 -> ferry status, with the NFS cause kept in the detail text ("NFS3ERR_NOSPC from REMOVE").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "xdr/protocol/common.hpp"

namespace ferry::nfs3 {

struct mapped_status {
  proto::status code = proto::status::ok;
  std::string detail;
};

/// The ferry status for a failed NFS procedure `what` (e.g. "CREATE"). NFS3ERR_STALE and BADHANDLE map
/// to UNAVAILABLE here: the backend retries them once with fresh handles before it answers.
mapped_status map_nfsstat(std::uint32_t nfsstat, std::string_view what);

}  // namespace ferry::nfs3
