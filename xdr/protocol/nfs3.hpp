// C++ mirror of the subset of NFSv3 (RFC 1813), MOUNT v3 (RFC 1813 appendix I) and PMAP v2 (RFC 1833)
// that ferryd's nfs3 backend speaks (nfs3_subset.x documents it). Status fields stay plain numbers so an
// unknown nfsstat3 from a peer is a value to map, never a decoding error.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "xdr/bytes.hpp"
#include "xdr/codec.hpp"

namespace ferry::proto::nfs3 {

using xdr::bytes_view;

inline constexpr std::uint32_t program = 100003;
inline constexpr std::uint32_t version = 3;
inline constexpr std::uint32_t mount_program = 100005;
inline constexpr std::uint32_t mount_version = 3;
inline constexpr std::uint32_t pmap_program = 100000;
inline constexpr std::uint32_t pmap_version = 2;
inline constexpr std::uint32_t pmap_port = 111;
inline constexpr std::uint32_t ipproto_tcp = 6;

inline constexpr std::uint32_t max_fhsize = 64;
inline constexpr std::uint32_t max_name = 255;   // filename3 (unbounded in the RFC; NAME_MAX in practice)
inline constexpr std::uint32_t max_path = 1024;  // dirpath (MNTPATHLEN)
inline constexpr std::uint32_t max_data = 1u << 24;  // READ/WRITE data we accept (servers say 1 MiB)

namespace procs {
inline constexpr std::uint32_t null = 0, getattr = 1, setattr = 2, lookup = 3, read = 6, write = 7,
                               create = 8, mkdir = 9, remove = 12, rename = 14, readdirplus = 17,
                               fsstat = 18, fsinfo = 19, commit = 21;
inline constexpr std::uint32_t mnt = 1, umnt = 3;  // MOUNT v3
inline constexpr std::uint32_t getport = 3;        // PMAP v2
}  // namespace procs

/// nfsstat3 values (RFC 1813 2.6) the backend names; any other value is kept as is.
namespace stat {
inline constexpr std::uint32_t ok = 0, perm = 1, noent = 2, io = 5, nxio = 6, acces = 13, exist = 17,
                               xdev = 18, nodev = 19, notdir = 20, isdir = 21, inval = 22, fbig = 27,
                               nospc = 28, rofs = 30, mlink = 31, nametoolong = 63, notempty = 66,
                               dquot = 69, stale = 70, remote = 71, badhandle = 10001,
                               not_sync = 10002, bad_cookie = 10003, notsupp = 10004, toosmall = 10005,
                               serverfault = 10006, badtype = 10007, jukebox = 10008;
}
/// The RFC name, e.g. "NFS3ERR_NOSPC"; "NFS3ERR_<number>" for unknown values.
std::string nfsstat_name(std::uint32_t s);

inline constexpr std::uint32_t ftype_reg = 1, ftype_dir = 2;
inline constexpr std::uint32_t unstable = 0, data_sync = 1, file_sync = 2;  // stable_how
inline constexpr std::uint32_t createmode_unchecked = 0, createmode_guarded = 1;
inline constexpr std::uint32_t dont_change = 0, set_to_server_time = 1, set_to_client_time = 2;

using verifier = std::array<xdr::byte, 8>;  // cookieverf3, writeverf3

/// void arguments and results (NULL).
struct empty {};
template <class P>
bool xdr_apply(P&, empty&) { return true; }

struct nfstime {
  std::uint32_t seconds = 0;
  std::uint32_t nseconds = 0;
  friend bool operator==(const nfstime&, const nfstime&) = default;
};
template <class P>
bool xdr_apply(P& p, nfstime& x) { return p(x.seconds) && p(x.nseconds); }

struct fattr {
  std::uint32_t type = 0, mode = 0, nlink = 0, uid = 0, gid = 0;
  std::uint64_t size = 0, used = 0;
  std::uint32_t rdev1 = 0, rdev2 = 0;
  std::uint64_t fsid = 0, fileid = 0;
  nfstime atime, mtime, ctime;
};
template <class P>
bool xdr_apply(P& p, fattr& x) {
  return p(x.type) && p(x.mode) && p(x.nlink) && p(x.uid) && p(x.gid) && p(x.size) && p(x.used) && p(x.rdev1) &&
         p(x.rdev2) && p(x.fsid) && p(x.fileid) && p(x.atime) && p(x.mtime) && p(x.ctime);
}

/// post_op_attr: attributes the server may leave out.
struct post_op_attr {
  bool present = false;
  fattr attr;
};
template <class P>
bool xdr_apply(P& p, post_op_attr& x) { return p(x.present) && (!x.present || p(x.attr)); }

struct wcc_attr {
  std::uint64_t size = 0;
  nfstime mtime, ctime;
};
template <class P>
bool xdr_apply(P& p, wcc_attr& x) { return p(x.size) && p(x.mtime) && p(x.ctime); }

struct wcc_data {
  bool pre_present = false;
  wcc_attr pre;
  post_op_attr post;
};
template <class P>
bool xdr_apply(P& p, wcc_data& x) {
  return p(x.pre_present) && (!x.pre_present || p(x.pre)) && p(x.post);
}

/// sattr3: each field is set only when its flag says so; times are set to the client's value or kept.
struct sattr {
  bool set_mode = false;
  std::uint32_t mode = 0;
  bool set_uid = false;
  std::uint32_t uid = 0;
  bool set_gid = false;
  std::uint32_t gid = 0;
  bool set_size = false;
  std::uint64_t size = 0;
  std::uint32_t atime_how = dont_change;
  nfstime atime;
  std::uint32_t mtime_how = dont_change;
  nfstime mtime;
};
template <class P>
bool xdr_apply(P& p, sattr& x) {
  return p(x.set_mode) && (!x.set_mode || p(x.mode)) && p(x.set_uid) && (!x.set_uid || p(x.uid)) &&
         p(x.set_gid) && (!x.set_gid || p(x.gid)) && p(x.set_size) && (!x.set_size || p(x.size)) &&
         p(x.atime_how) && (x.atime_how != set_to_client_time || p(x.atime)) && p(x.mtime_how) &&
         (x.mtime_how != set_to_client_time || p(x.mtime));
}

struct diropargs {
  bytes_view dir;
  std::string_view name;
};
template <class P>
bool xdr_apply(P& p, diropargs& x) { return p(x.dir, max_fhsize) && p(x.name, max_name); }

struct fh_args {  // GETATTR, FSSTAT, FSINFO
  bytes_view object;
};
template <class P>
bool xdr_apply(P& p, fh_args& x) { return p(x.object, max_fhsize); }

struct setattr_args {
  bytes_view object;
  sattr attributes;
  bool guard = false;  // no ctime guard is sent when false
  nfstime guard_ctime;
};
template <class P>
bool xdr_apply(P& p, setattr_args& x) {
  return p(x.object, max_fhsize) && p(x.attributes) && p(x.guard) && (!x.guard || p(x.guard_ctime));
}

struct create_args {  // UNCHECKED or GUARDED only (no EXCLUSIVE: we never need its verifier)
  diropargs where;
  std::uint32_t mode = createmode_unchecked;
  sattr attributes;
};
template <class P>
bool xdr_apply(P& p, create_args& x) { return p(x.where) && p(x.mode) && p(x.attributes); }

struct mkdir_args {
  diropargs where;
  sattr attributes;
};
template <class P>
bool xdr_apply(P& p, mkdir_args& x) { return p(x.where) && p(x.attributes); }

struct write_args {
  bytes_view file;
  std::uint64_t offset = 0;
  std::uint32_t count = 0;  // = data.size()
  std::uint32_t stable = file_sync;
  bytes_view data;
};
template <class P>
bool xdr_apply(P& p, write_args& x) {
  return p(x.file, max_fhsize) && p(x.offset) && p(x.count) && p(x.stable) && p(x.data, max_data);
}

/// COMMIT: flush [offset, offset + count) of the file to stable storage; count 0: to the end of the file.
struct commit_args {
  bytes_view file;
  std::uint64_t offset = 0;
  std::uint32_t count = 0;
};
template <class P>
bool xdr_apply(P& p, commit_args& x) { return p(x.file, max_fhsize) && p(x.offset) && p(x.count); }

struct read_args {
  bytes_view file;
  std::uint64_t offset = 0;
  std::uint32_t count = 0;
};
template <class P>
bool xdr_apply(P& p, read_args& x) { return p(x.file, max_fhsize) && p(x.offset) && p(x.count); }

struct rename_args {
  diropargs from;
  diropargs to;
};
template <class P>
bool xdr_apply(P& p, rename_args& x) { return p(x.from) && p(x.to); }

struct readdirplus_args {
  bytes_view dir;
  std::uint64_t cookie = 0;
  verifier cookieverf{};
  std::uint32_t dircount = 0;
  std::uint32_t maxcount = 0;
};
template <class P>
bool xdr_apply(P& p, readdirplus_args& x) {
  return p(x.dir, max_fhsize) && p(x.cookie) && p(x.cookieverf) && p(x.dircount) && p(x.maxcount);
}

// --- results: unions on nfsstat3; only the arm `status` selects is on the wire -----------------------

struct attr_res {  // GETATTR
  std::uint32_t status = stat::ok;
  fattr attr;  // ok
};
template <class P>
bool xdr_apply(P& p, attr_res& x) { return p(x.status) && (x.status != stat::ok || p(x.attr)); }

struct lookup_res {
  std::uint32_t status = stat::ok;
  bytes_view object;   // ok
  post_op_attr obj_attr;  // ok
  post_op_attr dir_attr;
};
template <class P>
bool xdr_apply(P& p, lookup_res& x) {
  if (!p(x.status)) return false;
  if (x.status == stat::ok) return p(x.object, max_fhsize) && p(x.obj_attr) && p(x.dir_attr);
  return p(x.dir_attr);
}

/// SETATTR, REMOVE: a wcc_data in both arms.
struct wcc_res {
  std::uint32_t status = stat::ok;
  wcc_data wcc;
};
template <class P>
bool xdr_apply(P& p, wcc_res& x) { return p(x.status) && p(x.wcc); }

struct rename_res {
  std::uint32_t status = stat::ok;
  wcc_data from_wcc, to_wcc;
};
template <class P>
bool xdr_apply(P& p, rename_res& x) { return p(x.status) && p(x.from_wcc) && p(x.to_wcc); }

/// CREATE, MKDIR.
struct create_res {
  std::uint32_t status = stat::ok;
  bool has_handle = false;  // ok
  bytes_view object;        // ok, when has_handle
  post_op_attr obj_attr;    // ok
  wcc_data dir_wcc;
};
template <class P>
bool xdr_apply(P& p, create_res& x) {
  if (!p(x.status)) return false;
  if (x.status == stat::ok && !(p(x.has_handle) && (!x.has_handle || p(x.object, max_fhsize)) && p(x.obj_attr)))
    return false;
  return p(x.dir_wcc);
}

struct write_res {
  std::uint32_t status = stat::ok;
  wcc_data file_wcc;
  std::uint32_t count = 0;       // ok
  std::uint32_t committed = 0;   // ok
  verifier verf{};               // ok
};
template <class P>
bool xdr_apply(P& p, write_res& x) {
  if (!(p(x.status) && p(x.file_wcc))) return false;
  return x.status != stat::ok || (p(x.count) && p(x.committed) && p(x.verf));
}

/// COMMIT3res: `verf` is the server's write verifier now; it differs from a WRITE's when the server
/// restarted since (and lost that WRITE if it was UNSTABLE).
struct commit_res {
  std::uint32_t status = stat::ok;
  wcc_data file_wcc;
  verifier verf{};  // ok
};
template <class P>
bool xdr_apply(P& p, commit_res& x) {
  if (!(p(x.status) && p(x.file_wcc))) return false;
  return x.status != stat::ok || p(x.verf);
}

struct read_res {
  std::uint32_t status = stat::ok;
  post_op_attr file_attr;
  std::uint32_t count = 0;  // ok
  bool eof = false;         // ok
  bytes_view data;          // ok
};
template <class P>
bool xdr_apply(P& p, read_res& x) {
  if (!(p(x.status) && p(x.file_attr))) return false;
  return x.status != stat::ok || (p(x.count) && p(x.eof) && p(x.data, max_data));
}

struct dir_entry {
  std::uint64_t fileid = 0;
  std::string_view name;
  std::uint64_t cookie = 0;
  post_op_attr attr;
  bool has_handle = false;
  bytes_view handle;
};
template <class P>
bool xdr_apply(P& p, dir_entry& x) {
  return p(x.fileid) && p(x.name, max_name) && p(x.cookie) && p(x.attr) && p(x.has_handle) &&
         (!x.has_handle || p(x.handle, max_fhsize));
}

/// The RFC's linked list (entryplus3 *nextentry) is XDR's optional-data encoding: TRUE before each
/// entry, FALSE after the last. Decoded iteratively (no recursion on peer input); every entry consumes
/// at least 36 bytes of the record, so the record's size bounds the list.
inline bool apply_entry_list(xdr::writer& w, std::vector<dir_entry>& v) {
  for (auto& e : v)
    if (!(w(true) && w(e))) return false;
  return w(false);
}
inline bool apply_entry_list(xdr::reader& r, std::vector<dir_entry>& v) {
  v.clear();
  for (bool more = true;;) {
    if (!r(more)) return false;
    if (!more) return true;
    if (!r(v.emplace_back())) return false;
  }
}

/// READDIRPLUS3res.
struct readdirplus_res {
  std::uint32_t status = stat::ok;
  post_op_attr dir_attr;
  verifier cookieverf{};        // ok
  std::vector<dir_entry> entries;  // ok
  bool eof = false;             // ok
};
template <class P>
bool xdr_apply(P& p, readdirplus_res& x) {
  if (!(p(x.status) && p(x.dir_attr))) return false;
  if (x.status != stat::ok) return true;
  if (!p(x.cookieverf)) return false;
  return apply_entry_list(p, x.entries) && p(x.eof);
}

struct fsstat_res {
  std::uint32_t status = stat::ok;
  post_op_attr attr;
  std::uint64_t tbytes = 0, fbytes = 0, abytes = 0, tfiles = 0, ffiles = 0, afiles = 0;  // ok
  std::uint32_t invarsec = 0;  // ok
};
template <class P>
bool xdr_apply(P& p, fsstat_res& x) {
  if (!(p(x.status) && p(x.attr))) return false;
  return x.status != stat::ok || (p(x.tbytes) && p(x.fbytes) && p(x.abytes) && p(x.tfiles) && p(x.ffiles) &&
                                  p(x.afiles) && p(x.invarsec));
}

struct fsinfo_res {
  std::uint32_t status = stat::ok;
  post_op_attr attr;
  std::uint32_t rtmax = 0, rtpref = 0, rtmult = 0, wtmax = 0, wtpref = 0, wtmult = 0, dtpref = 0;  // ok
  std::uint64_t maxfilesize = 0;  // ok
  nfstime time_delta;             // ok
  std::uint32_t properties = 0;   // ok
};
template <class P>
bool xdr_apply(P& p, fsinfo_res& x) {
  if (!(p(x.status) && p(x.attr))) return false;
  return x.status != stat::ok || (p(x.rtmax) && p(x.rtpref) && p(x.rtmult) && p(x.wtmax) && p(x.wtpref) &&
                                  p(x.wtmult) && p(x.dtpref) && p(x.maxfilesize) && p(x.time_delta) &&
                                  p(x.properties));
}

// --- MOUNT v3 and PMAP v2 ------------------------------------------------------------------------

struct mnt_args {  // MNT and UMNT (whose result is void: proto::nfs3::empty)
  std::string_view dirpath;
};
template <class P>
bool xdr_apply(P& p, mnt_args& x) { return p(x.dirpath, max_path); }

struct mnt_res {
  std::uint32_t status = 0;  // mountstat3: 0 = MNT3_OK; otherwise the errno-like codes of the RFC
  bytes_view root;           // ok
  std::vector<std::uint32_t> flavors;  // ok
};
template <class P>
bool xdr_apply(P& p, mnt_res& x) {
  return p(x.status) && (x.status != 0 || (p(x.root, max_fhsize) && p(x.flavors, 64)));
}

struct pmap_mapping {
  std::uint32_t prog = 0, vers = 0, prot = ipproto_tcp, port = 0;
};
template <class P>
bool xdr_apply(P& p, pmap_mapping& x) { return p(x.prog) && p(x.vers) && p(x.prot) && p(x.port); }

struct getport_res {
  std::uint32_t port = 0;
};
template <class P>
bool xdr_apply(P& p, getport_res& x) { return p(x.port); }

}  // namespace ferry::proto::nfs3
