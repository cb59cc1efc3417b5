// FERRY_STORE chunked uploads on NFS: WRITE_OPEN creates a temporary beside the target, each chunk is
// written durably into it at its offset (UNSTABLE WRITEs + COMMIT) before it is acknowledged, COMMIT
// checks the size and the version and renames it over the target, ABORT removes it. Nothing of the
// object is held in memory beyond the chunk in flight.
#include "actors/nfs3/detail/backend_state.hpp"
#include "actors/nfs3/version_time.hpp"

namespace ferry::actors::nfs3_detail {

namespace {

std::string no_upload(std::uint64_t upload_id) {
  return "no open upload has id " + std::to_string(upload_id) + " (NFS backend)";
}

}  // namespace

void backend_state::expire_idle_uploads() {
  const auto cutoff = now() - cfg.upload_idle;
  for (auto it = uploads.begin(); it != uploads.end();) {
    if (it->second.touched < cutoff) {
      if (auto d = dirs.find(it->second.dir); d != dirs.end()) remove_quietly(d->second, it->second.temp);
      it = uploads.erase(it);
    } else {
      ++it;
    }
  }
}

void backend_state::run_write_open(std::uint64_t id, const proto::store::write_open_args& a) {
  expire_idle_uploads();
  auto path = nfs3::path_of(a.key);
  if (!path)
    return answer_status(id, proto::status::bad_key, "key is not storable on NFS (an encoded name over 255 bytes)");
  if (uploads.size() >= cfg.max_uploads)
    return answer_status(id, proto::status::overloaded, "too many open uploads on this NFS backend");
  const auto ver = a.ver;
  resolve_dir(id, path->dir, true, [=, this](const handle* d) {
    auto dir = *d;
    create_temp(id, dir, [=, this](const std::string& temp, const handle& fh) {
      auto upload_id = next_upload++;
      uploads.emplace(upload_id, upload{path->dir, path->name, temp, fh, ver, now()});
      answer(id, proto::write_open_res{proto::status::ok, {upload_id, cfg.chunk_size}, {}});
    });
  });
}

void backend_state::run_write_chunk(std::uint64_t id, const proto::store::write_chunk_args& a) {
  auto it = uploads.find(a.upload_id);
  if (it == uploads.end()) return answer_status(id, proto::status::no_upload, no_upload(a.upload_id));
  it->second.touched = now();
  write_durably(id, it->second.temp_fh, a.offset, a.data, ops.at(id).args,
            [this, id] { answer(id, proto::reply{proto::status::ok, {}}); });
}

void backend_state::run_write_commit(std::uint64_t id, const proto::store::write_commit_args& a) {
  auto found = uploads.find(a.upload_id);
  if (found == uploads.end()) return answer_status(id, proto::status::no_upload, no_upload(a.upload_id));
  if (!lock_object(id, {found->second.dir, found->second.name})) return;
  auto node = uploads.extract(found);  // whatever the outcome, the upload ends here
  const auto up = std::move(node.mapped());
  const auto size = a.size;
  resolve_dir(id, up.dir, true, [=, this](const handle* d) {
    auto dir = *d;
    ops.at(id).temp.emplace(dir, up.temp);  // removed if the commit fails
    call<nfs::attr_res>(id, nfs::procs::getattr, nfs::fh_args{up.temp_fh}, [=, this](nfs::attr_res& g) {
      if (g.status != nfs::stat::ok) return answer_nfs(id, g.status, "GETATTR of the upload");
      if (g.attr.size != size)
        return answer_status(id, proto::status::bad_range,
                             "commit says " + std::to_string(size) + " bytes but the upload holds " +
                                 std::to_string(g.attr.size));
      check_version(id, dir, up.name, up.ver, [=, this](bool) {
        ops.at(id).temp.reset();  // stamp_and_rename removes it itself on failure
        stamp_and_rename(id, dir, up.temp, up.temp_fh, up.name, up.ver);
      });
    });
  });
}

void backend_state::run_write_abort(std::uint64_t id, const proto::store::write_abort_args& a) {
  auto node = uploads.extract(a.upload_id);
  if (node.empty()) return answer_status(id, proto::status::no_upload, no_upload(a.upload_id));
  const auto up = std::move(node.mapped());
  resolve_dir(id, up.dir, false, [=, this](const handle* d) {
    if (d) remove_quietly(*d, up.temp);
    answer(id, proto::reply{proto::status::ok, {}});
  });
}

}  // namespace ferry::actors::nfs3_detail
