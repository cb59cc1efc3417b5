// Names of nfsstat3 values, for the detail text of ferry statuses mapped from NFS errors.
#include "xdr/protocol/nfs3.hpp"

#include <string>

namespace ferry::proto::nfs3 {

std::string nfsstat_name(std::uint32_t s) {
  switch (s) {
    case stat::ok: return "NFS3_OK";
    case stat::perm: return "NFS3ERR_PERM";
    case stat::noent: return "NFS3ERR_NOENT";
    case stat::io: return "NFS3ERR_IO";
    case stat::nxio: return "NFS3ERR_NXIO";
    case stat::acces: return "NFS3ERR_ACCES";
    case stat::exist: return "NFS3ERR_EXIST";
    case stat::xdev: return "NFS3ERR_XDEV";
    case stat::nodev: return "NFS3ERR_NODEV";
    case stat::notdir: return "NFS3ERR_NOTDIR";
    case stat::isdir: return "NFS3ERR_ISDIR";
    case stat::inval: return "NFS3ERR_INVAL";
    case stat::fbig: return "NFS3ERR_FBIG";
    case stat::nospc: return "NFS3ERR_NOSPC";
    case stat::rofs: return "NFS3ERR_ROFS";
    case stat::mlink: return "NFS3ERR_MLINK";
    case stat::nametoolong: return "NFS3ERR_NAMETOOLONG";
    case stat::notempty: return "NFS3ERR_NOTEMPTY";
    case stat::dquot: return "NFS3ERR_DQUOT";
    case stat::stale: return "NFS3ERR_STALE";
    case stat::remote: return "NFS3ERR_REMOTE";
    case stat::badhandle: return "NFS3ERR_BADHANDLE";
    case stat::not_sync: return "NFS3ERR_NOT_SYNC";
    case stat::bad_cookie: return "NFS3ERR_BAD_COOKIE";
    case stat::notsupp: return "NFS3ERR_NOTSUPP";
    case stat::toosmall: return "NFS3ERR_TOOSMALL";
    case stat::serverfault: return "NFS3ERR_SERVERFAULT";
    case stat::badtype: return "NFS3ERR_BADTYPE";
    case stat::jukebox: return "NFS3ERR_JUKEBOX";
  }
  return "NFS3ERR_" + std::to_string(s);
}

}  // namespace ferry::proto::nfs3
