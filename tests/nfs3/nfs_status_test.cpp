// nfsstat3 -> ferry status, with the NFS cause named in the detail text.
#include <catch2/catch.hpp>

#include "actors/nfs3/nfs_status.hpp"
#include "xdr/protocol/nfs3.hpp"

using namespace ferry;
namespace st = proto::nfs3::stat;
using proto::status;

TEST_CASE("nfsstat3 values map to the ferry status a client can act on, naming the NFS cause", "[nfs3][status]") {
  struct row {
    std::uint32_t nfs;
    status ferry;
    const char* detail;
  };
  const row table[] = {
      {st::noent, status::not_found, "NFS3ERR_NOENT from LOOKUP"},
      {st::nospc, status::no_space, "NFS3ERR_NOSPC from LOOKUP"},
      {st::dquot, status::no_space, "NFS3ERR_DQUOT from LOOKUP"},
      {st::acces, status::bad_request, "permission denied: NFS3ERR_ACCES from LOOKUP"},
      {st::perm, status::bad_request, "permission denied: NFS3ERR_PERM from LOOKUP"},
      {st::rofs, status::bad_request, "read-only export: NFS3ERR_ROFS from LOOKUP"},
      {st::stale, status::unavailable, "NFS3ERR_STALE from LOOKUP"},
      {st::jukebox, status::unavailable, "NFS3ERR_JUKEBOX from LOOKUP"},
      {st::fbig, status::too_big, "NFS3ERR_FBIG from LOOKUP"},
      {st::nametoolong, status::bad_key, "NFS3ERR_NAMETOOLONG from LOOKUP"},
      {st::exist, status::exists, "NFS3ERR_EXIST from LOOKUP"},
      {st::io, status::io_error, "NFS3ERR_IO from LOOKUP"},
      {st::serverfault, status::io_error, "NFS3ERR_SERVERFAULT from LOOKUP"},
      {4242, status::io_error, "NFS3ERR_4242 from LOOKUP"},
  };
  for (const auto& r : table) {
    CAPTURE(r.nfs);
    auto m = nfs3::map_nfsstat(r.nfs, "LOOKUP");
    CHECK(m.code == r.ferry);
    CHECK(m.detail == r.detail);
  }
}
