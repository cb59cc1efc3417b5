// FERRY_STORE NULL, HEALTH, PUT, GET, DELETE, STAT and READ as NFSv3 call sequences. Versions live in
// mtime (version_time.hpp); writes go to a temporary, get their mtime, and are renamed over the target.
#include <algorithm>

#include "actors/nfs3/detail/backend_state.hpp"
#include "actors/nfs3/version_time.hpp"

namespace ferry::actors::nfs3_detail {

namespace {

std::string unmappable(xdr::bytes_view key) {
  return "key of " + std::to_string(key.size()) +
         " bytes is not storable on NFS: a key that is not a plain file name is hex-encoded and must fit 255 bytes";
}

}  // namespace

void backend_state::run_null(std::uint64_t id) {
  call<nfs::empty>(id, nfs::procs::null, nfs::empty{}, [this, id](nfs::empty&) { answer_void(id); });
}

void backend_state::run_health(std::uint64_t id) {
  call<nfs::fsstat_res>(id, nfs::procs::fsstat, nfs::fh_args{root}, [this, id](nfs::fsstat_res& r) {
    if (r.status != nfs::stat::ok) return answer_nfs(id, r.status, "FSSTAT");
    proto::store::health h;
    h.bytes_used = r.tbytes >= r.fbytes ? r.tbytes - r.fbytes : 0;  // of the whole file system
    h.bytes_free = r.abytes;
    h.uptime_ms = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(now() - started).count());
    h.node = std::string_view{cfg.server}.substr(0, 255);
    answer(id, h);  // objects: 0, NFS cannot count them cheaply
  });
}

void backend_state::run_put(std::uint64_t id, const proto::store::put_args& a) {
  auto path = nfs3::path_of(a.key);
  if (!path) return answer_status(id, proto::status::bad_key, unmappable(a.key));
  const auto ver = a.ver;
  if (!lock_object(id, *path)) return;  // dispatched again when the previous write of this object ends
  const auto value = a.value;  // a view into the op's args, alive until the op ends
  resolve_dir(id, path->dir, true, [=, this](const handle* d) {
    auto dir = *d;
    check_version(id, dir, path->name, ver, [=, this](bool same) {
      if (same) return answer(id, proto::write_res{proto::status::ok, ver, {}});  // a retry: already stored
      create_temp(id, dir, [=, this](const std::string& temp, const handle& fh) {
        if (auto it = ops.find(id); it != ops.end()) it->second.temp.emplace(dir, temp);
        write_durably(id, fh, 0, value, ops.at(id).args, [=, this] {
          if (auto it = ops.find(id); it != ops.end()) it->second.temp.reset();  // renamed or removed below
          stamp_and_rename(id, dir, temp, fh, path->name, ver);
        });
      });
    });
  });
}

void backend_state::find_object(std::uint64_t id, xdr::bytes_view key,
                                std::function<void(const handle& fh, const nfs::fattr& attr)> then) {
  auto path = nfs3::path_of(key);
  if (!path) return answer_status(id, proto::status::bad_key, unmappable(key));
  resolve_dir(id, path->dir, false, [=, this](const handle* d) {
    if (!d) return answer_status(id, proto::status::not_found, "no object has this key");
    call<nfs::lookup_res>(id, nfs::procs::lookup, nfs::diropargs{*d, path->name}, [=, this](nfs::lookup_res& r) {
      if (r.status == nfs::stat::noent) return answer_status(id, proto::status::not_found, "no object has this key");
      if (r.status != nfs::stat::ok) return answer_nfs(id, r.status, "LOOKUP");
      if (!r.obj_attr.present || r.obj_attr.attr.type != nfs::ftype_reg)
        return answer_status(id, proto::status::io_error, "the object's path holds no regular file");
      then(handle(r.object.begin(), r.object.end()), r.obj_attr.attr);
    });
  });
}

void backend_state::run_get(std::uint64_t id, const proto::store::key_args& a) {
  find_object(id, a.key, [this, id](const handle& fh, const nfs::fattr& attr) {
    if (attr.size > proto::max_value)
      return answer_status(id, proto::status::too_big,
                           "object of " + std::to_string(attr.size) + " bytes is over the GET limit; READ it in ranges");
    read_all(id, fh, 0, attr.size, [this, id, attr](auto data) {
      answer(id, proto::get_res{proto::status::ok, {info_of(attr), *data}, {}, {}});
    });
  });
}

void backend_state::run_read(std::uint64_t id, const proto::store::read_args& a) {
  const auto offset = a.offset;
  const auto length = std::min(a.length, proto::max_chunk);
  find_object(id, a.key, [this, id, offset, length](const handle& fh, const nfs::fattr& attr) {
    if (offset > attr.size)
      return answer_status(id, proto::status::bad_range, "offset " + std::to_string(offset) + " is past the end of the " +
                                                              std::to_string(attr.size) + "-byte object");
    const auto n = std::min<std::uint64_t>(length, attr.size - offset);
    read_all(id, fh, offset, n, [this, id, attr, offset, n](auto data) {
      answer(id, proto::read_res{proto::status::ok, {info_of(attr), *data, offset + n == attr.size}, {}});
    });
  });
}

void backend_state::run_stat(std::uint64_t id, const proto::store::key_args& a) {
  find_object(id, a.key, [this, id](const handle&, const nfs::fattr& attr) {
    answer(id, proto::stat_res{proto::status::ok, info_of(attr), {}, {}});
  });
}

void backend_state::run_delete(std::uint64_t id, const proto::store::delete_args& a) {
  auto path = nfs3::path_of(a.key);
  if (!path) return answer_status(id, proto::status::bad_key, unmappable(a.key));
  if (!lock_object(id, *path)) return;
  const auto ver = a.ver;
  // NFS keeps no tombstone: deleting what is not there succeeds, as a store's tombstone write would.
  resolve_dir(id, path->dir, false, [=, this](const handle* d) {
    if (!d) return answer(id, proto::write_res{proto::status::ok, ver, {}});
    auto dir = *d;
    call<nfs::lookup_res>(id, nfs::procs::lookup, nfs::diropargs{dir, path->name}, [=, this](nfs::lookup_res& r) {
      if (r.status == nfs::stat::noent) return answer(id, proto::write_res{proto::status::ok, ver, {}});
      if (r.status != nfs::stat::ok) return answer_nfs(id, r.status, "LOOKUP");
      if (r.obj_attr.present) {
        auto held = nfs3::version_of(r.obj_attr.attr.mtime);
        if (held.hlc > ver.hlc) return answer(id, proto::write_res{proto::status::conflict, held, {}});
      }
      call<nfs::wcc_res>(id, nfs::procs::remove, nfs::diropargs{dir, path->name}, [=, this](nfs::wcc_res& rr) {
        if (rr.status != nfs::stat::ok && rr.status != nfs::stat::noent) return answer_nfs(id, rr.status, "REMOVE");
        answer(id, proto::write_res{proto::status::ok, ver, {}});
      });
    });
  });
}

}  // namespace ferry::actors::nfs3_detail
