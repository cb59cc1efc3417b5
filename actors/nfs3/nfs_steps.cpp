// The NFS steps operations are made of: directory handles (cached, made on demand), bulk READ and
// durable WRITE (pipelined UNSTABLE pieces + COMMIT, resent on a changed write verifier), the version
// check, temporaries, and the stamp-then-rename that publishes a write.
#include <algorithm>
#include <climits>
#include <cstdio>

#include "actors/event_log/event_log.hpp"
#include "actors/nfs3/detail/backend_state.hpp"
#include "actors/nfs3/version_time.hpp"

namespace ferry::actors::nfs3_detail {

std::string backend_state::temp_name() {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%016llx-%llu", static_cast<unsigned long long>(temp_salt),
                static_cast<unsigned long long>(++next_temp));
  return std::string{nfs3::temp_prefix} + buf;
}

void backend_state::remove_quietly(const handle& dir, const std::string& file) {
  if (!nfs) return;
  auto args = make_call_args(nfs::diropargs{dir, file});  // small: copied into the encoding
  if (!args) return;
  self->request(nfs, caf::infinite, rpc_call{nfs::procs::remove, std::move(args), cfg.setup_timeout})
      .then([](rpc_reply&) {}, [](caf::error&) {});
}

void backend_state::resolve_dir(std::uint64_t id, const std::string& dir, bool create,
                                std::function<void(const handle*)> then) {
  if (auto it = dirs.find(dir); it != dirs.end()) return then(&it->second);
  auto dname = std::make_shared<std::string>(dir);
  call<nfs::lookup_res>(id, nfs::procs::lookup, nfs::diropargs{root, *dname}, [=, this](nfs::lookup_res& r) {
    if (r.status == nfs::stat::ok) {
      auto& h = dirs[*dname] = handle(r.object.begin(), r.object.end());
      return then(&h);
    }
    if (r.status != nfs::stat::noent) return answer_nfs(id, r.status, "LOOKUP of a fan-out directory");
    if (!create) return then(nullptr);
    nfs::mkdir_args mk{{root, *dname}, {}};
    mk.attributes.set_mode = true;
    mk.attributes.mode = 0755;
    call<nfs::create_res>(id, nfs::procs::mkdir, mk, [=, this](nfs::create_res& m) {
      if (m.status == nfs::stat::ok && m.has_handle) {
        auto& h = dirs[*dname] = handle(m.object.begin(), m.object.end());
        return then(&h);
      }
      if (m.status != nfs::stat::exist && m.status != nfs::stat::ok) return answer_nfs(id, m.status, "MKDIR");
      // Made by someone else meanwhile (or no handle returned): look it up once more.
      call<nfs::lookup_res>(id, nfs::procs::lookup, nfs::diropargs{root, *dname}, [=, this](nfs::lookup_res& l) {
        if (l.status != nfs::stat::ok) return answer_nfs(id, l.status, "LOOKUP of a fan-out directory");
        auto& h = dirs[*dname] = handle(l.object.begin(), l.object.end());
        then(&h);
      });
    });
  });
}

struct durable_write {
  handle file;
  std::uint64_t offset = 0;
  xdr::bytes_view data;
  std::shared_ptr<const void> owner;  // keeps `data` alive
  std::function<void()> then;
  nfs3::write_rounds rounds{};
};

void backend_state::write_durably(std::uint64_t id, const handle& fh, std::uint64_t offset, xdr::bytes_view data,
                                  std::shared_ptr<const void> owner, std::function<void()> then) {
  if (data.empty()) return then();
  auto w = std::make_shared<durable_write>(durable_write{fh, offset, data, std::move(owner), std::move(then)});
  send_write_round(id, std::move(w));
}

// Every piece UNSTABLE, all in flight at once: the server may cache them; COMMIT makes them durable.
void backend_state::send_write_round(std::uint64_t id, std::shared_ptr<durable_write> w) {
  const std::size_t piece = std::max<std::uint32_t>(wtmax, 4096);
  w->rounds.begin((w->data.size() + piece - 1) / piece);
  for (std::size_t at = 0; at < w->data.size(); at += piece) {
    auto part = w->data.subspan(at, std::min(piece, w->data.size() - at));
    nfs::write_args args{w->file, w->offset + at, static_cast<std::uint32_t>(part.size()), nfs::unstable, part};
    call<nfs::write_res>(
        id, nfs::procs::write, args,
        [=, this](nfs::write_res& r) {
          if (r.status != nfs::stat::ok) return answer_nfs(id, r.status, "WRITE");
          if (r.count != part.size()) return answer_status(id, proto::status::io_error, "short NFS WRITE");
          if (!w->rounds.written(r.committed, r.verf)) return;  // more pieces to come
          switch (auto verdict = w->rounds.after_writes()) {
            case nfs3::write_verdict::durable: return w->then();  // every piece came back stable already
            case nfs3::write_verdict::commit: return commit_write_round(id, w);
            case nfs3::write_verdict::resend: [[fallthrough]];
            case nfs3::write_verdict::failed: return verifier_changed(id, w, verdict, "between the WRITEs");
          }
        },
        {w->owner, w});
  }
}

void backend_state::commit_write_round(std::uint64_t id, std::shared_ptr<durable_write> w) {
  // count3 is 32 bits: a longer range is committed to the end of the file (count 0).
  const auto count = w->data.size() > UINT32_MAX ? 0u : static_cast<std::uint32_t>(w->data.size());
  call<nfs::commit_res>(
      id, nfs::procs::commit, nfs::commit_args{w->file, w->offset, count},
      [=, this](nfs::commit_res& r) {
        if (r.status != nfs::stat::ok) return answer_nfs(id, r.status, "COMMIT");
        switch (auto verdict = w->rounds.after_commit(r.verf)) {
          case nfs3::write_verdict::durable: [[fallthrough]];
          case nfs3::write_verdict::commit: return w->then();  // (commit is never the answer to a COMMIT)
          case nfs3::write_verdict::resend: [[fallthrough]];
          case nfs3::write_verdict::failed: return verifier_changed(id, w, verdict, "between WRITE and COMMIT");
        }
      },
      {w});
}

// The server restarted under the round and may have lost its UNSTABLE pieces: send them all again
// (the data is still in hand: the op holds it), or give up after max_write_rounds.
void backend_state::verifier_changed(std::uint64_t id, std::shared_ptr<durable_write> w, nfs3::write_verdict verdict,
                                    const char* when) {
  const bool again = verdict == nfs3::write_verdict::resend;
  log(spdlog::level::warn, again ? "write_verifier_changed" : "write_verifier_unstable",
      {{"server", cfg.server}, {"when", when}, {"round", std::to_string(w->rounds.round())},
       {"offset", std::to_string(w->offset)}, {"bytes", std::to_string(w->data.size())},
       {"action", again ? "resend" : "io_error"}});
  if (again) return send_write_round(id, std::move(w));
  answer_status(id, proto::status::io_error,
                "write verifier changed " + std::to_string(w->rounds.changes()) + " times during the write of " +
                    std::to_string(w->data.size()) + " bytes at offset " + std::to_string(w->offset) +
                    " (the NFS server restarting, losing unstable data, each time)");
}

void backend_state::log(spdlog::level::level_enum level, std::string what,
                        std::vector<std::pair<std::string, std::string>> fields) {
  auto sink = caf::actor_cast<caf::actor>(self->system().registry().get(cfg.event_log_name));
  actors::log(sink, level, "nfs3_backend", std::move(what), std::move(fields));
}

void backend_state::read_all(std::uint64_t id, const handle& fh, std::uint64_t offset, std::uint64_t length,
                             std::function<void(std::shared_ptr<std::vector<xdr::byte>>)> then) {
  auto out = std::make_shared<std::vector<xdr::byte>>(length);
  if (length == 0) return then(out);
  const std::uint64_t piece = std::max<std::uint32_t>(rtmax, 4096);
  auto left = std::make_shared<std::size_t>((length + piece - 1) / piece);
  auto file = std::make_shared<handle>(fh);
  for (std::uint64_t at = 0; at < length; at += piece) {
    auto count = static_cast<std::uint32_t>(std::min(piece, length - at));
    call<nfs::read_res>(
        id, nfs::procs::read, nfs::read_args{*file, offset + at, count}, [=, this](nfs::read_res& r) {
          if (r.status != nfs::stat::ok) return answer_nfs(id, r.status, "READ");
          if (r.data.size() != count)
            return answer_status(id, proto::status::io_error, "the file changed size while being read");
          std::copy(r.data.begin(), r.data.end(), out->begin() + static_cast<std::ptrdiff_t>(at));
          if (--*left == 0) then(out);
        },
        {file});
  }
}

void backend_state::stamp_and_rename(std::uint64_t id, const handle& dir, const std::string& temp,
                                     const handle& temp_fh, const std::string& target, proto::version ver) {
  nfs::setattr_args sa{temp_fh, {}, false, {}};
  sa.attributes.mtime_how = nfs::set_to_client_time;
  sa.attributes.mtime = nfs3::mtime_of(ver.hlc);
  auto d = std::make_shared<handle>(dir);
  call<nfs::wcc_res>(id, nfs::procs::setattr, sa, [=, this](nfs::wcc_res& r) {
    if (r.status != nfs::stat::ok) {
      remove_quietly(*d, temp);
      return answer_nfs(id, r.status, "SETATTR (mtime = version)");
    }
    call<nfs::rename_res>(id, nfs::procs::rename, nfs::rename_args{{*d, temp}, {*d, target}},
                          [=, this](nfs::rename_res& rr) {
                            if (rr.status != nfs::stat::ok) {
                              remove_quietly(*d, temp);
                              return answer_nfs(id, rr.status, "RENAME");
                            }
                            answer(id, proto::write_res{proto::status::ok, ver, {}});
                          });
  });
}

void backend_state::check_version(std::uint64_t id, const handle& dir, const std::string& target, proto::version ver,
                                  std::function<void(bool same)> then) {
  call<nfs::lookup_res>(id, nfs::procs::lookup, nfs::diropargs{dir, target}, [=, this](nfs::lookup_res& r) {
    if (r.status == nfs::stat::noent) return then(false);
    if (r.status != nfs::stat::ok) return answer_nfs(id, r.status, "LOOKUP");
    if (!r.obj_attr.present) return then(false);  // nothing to compare with: the write goes ahead
    auto held = nfs3::version_of(r.obj_attr.attr.mtime);
    if (held.hlc > ver.hlc) return answer(id, proto::write_res{proto::status::conflict, held, {}});
    then(held.hlc == ver.hlc);
  });
}

void backend_state::create_temp(std::uint64_t id, const handle& dir,
                                std::function<void(const std::string& temp, const handle& fh)> then) {
  auto temp = temp_name();
  nfs::create_args c{{dir, temp}, nfs::createmode_unchecked, {}};
  c.attributes.set_mode = true;
  c.attributes.mode = 0644;
  c.attributes.set_size = true;
  c.attributes.size = 0;
  call<nfs::create_res>(id, nfs::procs::create, c, [=, this](nfs::create_res& cr) {
    if (cr.status != nfs::stat::ok) return answer_nfs(id, cr.status, "CREATE");
    if (!cr.has_handle) return answer_status(id, proto::status::io_error, "CREATE returned no file handle");
    then(temp, handle(cr.object.begin(), cr.object.end()));
  });
}

proto::object_info info_of(const nfs::fattr& a) {
  return {a.size, nfs3::version_of(a.mtime), nfs3::mtime_ns(a.mtime)};
}

}  // namespace ferry::actors::nfs3_detail
