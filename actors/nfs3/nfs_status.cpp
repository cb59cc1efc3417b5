// The nfsstat3 table. Errors of the server's own state map to IO_ERROR/UNAVAILABLE so the router may
// try another replica; errors of the request (names, permissions, space) to the matching ferry status.
#include "actors/nfs3/nfs_status.hpp"

#include "xdr/protocol/nfs3.hpp"

namespace ferry::nfs3 {

namespace {

proto::status code_for(std::uint32_t s) noexcept {
  namespace st = proto::nfs3::stat;
  using proto::status;
  switch (s) {
    case st::ok: return status::ok;
    case st::noent: return status::not_found;
    case st::exist: return status::exists;
    case st::nospc:
    case st::dquot: return status::no_space;
    case st::fbig: return status::too_big;
    case st::nametoolong: return status::bad_key;
    case st::perm:
    case st::acces:
    case st::rofs: return status::bad_request;  // FERRY_STORE has no permission status: refused request
    case st::jukebox:
    case st::stale:
    case st::badhandle: return status::unavailable;
    case st::inval:
    case st::notsupp:
    case st::badtype: return status::bad_request;
    default: return status::io_error;
  }
}

}  // namespace

mapped_status map_nfsstat(std::uint32_t nfsstat, std::string_view what) {
  auto code = code_for(nfsstat);
  std::string detail;
  if (nfsstat == proto::nfs3::stat::acces || nfsstat == proto::nfs3::stat::perm)
    detail = "permission denied: ";
  else if (nfsstat == proto::nfs3::stat::rofs)
    detail = "read-only export: ";
  detail += proto::nfs3::nfsstat_name(nfsstat);
  detail += " from ";
  detail += what;
  return {code, std::move(detail)};
}

}  // namespace ferry::nfs3
