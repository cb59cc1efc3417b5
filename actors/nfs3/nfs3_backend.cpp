// nfs3_backend: start-up (rpcbind -> MNT -> FSINFO), the connection state the router sees, the
// behaviour, and the plumbing every operation shares (answers, directory handles, bulk I/O).
#include "actors/nfs3/nfs3_backend.hpp"

#include <algorithm>
#include <random>

#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>

#include "actors/metering/metered.hpp"
#include "actors/nfs3/detail/backend_state.hpp"
#include "actors/rpc_connection/rpc_connection.hpp"
#include "xdr/rpc.hpp"

namespace ferry::actors {

namespace nfs3_detail {

namespace {
using setup_atom = caf::atom_constant<caf::atom("n3_setup")>;
using op_deadline_atom = caf::atom_constant<caf::atom("n3_dline")>;
using umount_deadline_atom = caf::atom_constant<caf::atom("n3_umnt")>;
}  // namespace

backend_state::~backend_state() {
  auto taken = std::move(ops);
  ops.clear();
  for (auto& [id, o] : taken) o.rp.deliver(make_error(rpc_errc::unavailable, "NFS backend terminated"));
  for (auto* child : {&pmap, &mount, &nfs})
    if (*child) caf::anon_send_exit(*child, caf::exit_reason::user_shutdown);
}

void backend_state::answer_void(std::uint64_t id) {
  auto it = ops.find(id);
  if (it == ops.end()) return;
  ++stats.replies;
  it->second.rp.deliver(rpc_reply{std::make_shared<std::vector<xdr::byte>>(), 0});
  end_op(it);
}

void backend_state::end_op(std::unordered_map<std::uint64_t, op>::iterator it) {
  auto id = it->first;
  auto lock = std::move(it->second.lock);
  ops.erase(it);
  if (lock.empty()) return;
  auto q = writers.find(lock);
  if (q == writers.end()) return;
  auto& waiting = q->second;
  const bool was_running = !waiting.empty() && waiting.front() == id;
  waiting.erase(std::remove(waiting.begin(), waiting.end(), id), waiting.end());
  if (waiting.empty()) {
    writers.erase(q);
  } else if (was_running) {
    dispatch(waiting.front());  // its turn: runs from the start
  }
}

bool backend_state::lock_object(std::uint64_t id, const nfs3::object_path& path) {
  auto it = ops.find(id);
  if (it == ops.end()) return false;
  auto key = path.dir + "/" + path.name;
  auto& waiting = writers[key];
  if (it->second.lock.empty()) {
    it->second.lock = key;
    waiting.push_back(id);
  }
  return waiting.front() == id;
}

void backend_state::expire(std::uint64_t id) {
  auto it = ops.find(id);
  if (it == ops.end()) return;
  answer_error(id, make_error(rpc_errc::timedout, "no answer from the NFS server in time"));
}

void backend_state::answer_error(std::uint64_t id, caf::error e) {
  auto it = ops.find(id);
  if (it == ops.end()) return;
  release_temp(it->second);
  if (e.category() != rpc_errc_category) e = make_error(rpc_errc::unavailable, "NFS connection: " + to_string(e));
  ++stats.errors;
  switch (static_cast<rpc_errc>(e.code())) {
    case rpc_errc::unavailable: ++stats.unavailable; break;
    case rpc_errc::timedout: ++stats.timeouts; break;
    case rpc_errc::protocol_error: ++stats.protocol_errors; break;
    case rpc_errc::overloaded: ++stats.overloaded; break;
  }
  it->second.rp.deliver(std::move(e));
  end_op(it);
}

void backend_state::answer_status(std::uint64_t id, proto::status code, const std::string& detail) {
  auto it = ops.find(id);
  if (it == ops.end()) return;
  std::string_view d = std::string_view{detail}.substr(0, proto::max_detail);
  using p = proto::store::proc;
  switch (static_cast<p>(it->second.proc)) {
    case p::put:
    case p::del:
    case p::write_commit: return answer(id, proto::write_res{code, {}, d});
    case p::get: return answer(id, proto::get_res{code, {}, {}, d});
    case p::stat: return answer(id, proto::stat_res{code, {}, {}, d});
    case p::list: return answer(id, proto::list_res{code, {}, d});
    case p::write_open: return answer(id, proto::write_open_res{code, {}, d});
    case p::read: return answer(id, proto::read_res{code, {}, d});
    default: return answer(id, proto::reply{code, d});
  }
}

void backend_state::answer_nfs(std::uint64_t id, std::uint32_t nfsstat, const char* what) {
  auto it = ops.find(id);
  if (it == ops.end()) return;
  auto& o = it->second;
  if ((nfsstat == nfs::stat::stale || nfsstat == nfs::stat::badhandle) && !o.stale_retried) {
    // A directory was replaced behind our back (or the server lost its handles): look them up again.
    o.stale_retried = true;
    release_temp(o);
    dirs.clear();
    return dispatch(id);
  }
  auto m = nfs3::map_nfsstat(nfsstat, what);
  answer_status(id, m.code, m.detail);
}

// --- start-up -------------------------------------------------------------------------------------

namespace {

using backend_actor = caf::stateful_actor<backend_state>;

std::vector<xdr::byte> auth_sys_body(const nfs3_backend_config& cfg) {
  xdr::rpc::auth_sys_params p;
  p.machine_name = "ferryd";
  p.uid = cfg.uid;
  p.gid = cfg.gid;
  xdr::encoder out;
  xdr::rpc::encode_auth_sys(out, p);
  return out.flatten();
}

caf::actor spawn_child(backend_actor* self, std::uint16_t port, std::uint32_t prog, std::uint32_t vers) {
  auto& cfg = self->state.cfg;
  rpc_connection_config cc;
  cc.server = cfg.server + " (" + std::to_string(prog) + " on port " + std::to_string(port) + ")";
  cc.program = prog;
  cc.version = vers;
  cc.cred_flavor = xdr::rpc::auth_flavor::sys;
  cc.cred_body = auth_sys_body(cfg);
  cc.max_in_flight = cfg.max_in_flight * 4;  // one FERRY_STORE call may fan out into several NFS calls
  cc.connect_timeout = cfg.connect_timeout;
  cc.backoff = cfg.backoff;
  cc.listener = caf::actor_cast<caf::actor>(self);
  cc.meters = cfg.meters;
  auto child = spawn_rpc_connection(static_cast<caf::local_actor*>(self), cc, cfg.links(port));
  self->link_to(child);
  return child;
}

void notify(backend_actor* self, bool connected, std::string reason) {
  auto& st = self->state;
  if (connected) ++st.stats.connects; else if (st.state == backend_state::phase::ready) ++st.stats.disconnects;
  if (st.cfg.listener)
    self->send(st.cfg.listener, connection_state_changed{self->address(), st.cfg.server, connected, std::move(reason)});
}

// Unlinked first: the child's exit must not take the backend with it.
void stop_child(backend_actor* self, caf::actor& child) {
  if (!child) return;
  self->unlink_from(child);
  caf::anon_send_exit(child, caf::exit_reason::user_shutdown);
  child = nullptr;
}

// A start-up step failed: count it and try the whole step again later.
void setup_failed(backend_actor* self, std::string why) {
  auto& st = self->state;
  st.last_problem = std::move(why);
  ++st.stats.connect_failures;
  auto delay = reconnect_delay(st.cfg.backoff, st.setup_attempt, 0.5);
  st.setup_attempt = std::min(st.setup_attempt + 1, 30u);
  self->delayed_send(self, delay, setup_atom::value, ++st.setup_epoch);
}

template <class Res, class Args, class F>
void setup_call(backend_actor* self, caf::actor conn, std::uint32_t proc, const Args& args, const char* what, F f) {
  auto encoded = make_call_args(args);
  self->request(conn, caf::infinite, rpc_call{proc, std::move(encoded), self->state.cfg.setup_timeout})
      .then(
          [self, f, what](rpc_reply& r) mutable {
            auto res = xdr::decode<Res>(r.results());
            if (!res) return setup_failed(self, std::string{"undecodable "} + what + " reply");
            f(*res);
          },
          [self, what](caf::error& e) { setup_failed(self, std::string{what} + ": " + self->system().render(e)); });
}

void start_nfs(backend_actor* self) {
  auto& st = self->state;
  st.state = backend_state::phase::starting;
  if (!st.nfs) st.nfs = spawn_child(self, st.nfs_port, proto::nfs3::program, proto::nfs3::version);
  // FSINFO follows the NFS connection's "up" event (calls before it would fail fast).
}

void start_mount(backend_actor* self) {
  auto& st = self->state;
  st.state = backend_state::phase::mounting;
  stop_child(self, st.mount);
  st.mount = spawn_child(self, st.mount_port, proto::nfs3::mount_program, proto::nfs3::mount_version);
}

void start_discovery(backend_actor* self) {
  auto& st = self->state;
  st.nfs_port = st.cfg.nfs_port;
  st.mount_port = st.cfg.mount_port;
  if (st.nfs_port != 0 && st.mount_port != 0) return start_mount(self);
  st.state = backend_state::phase::discovering;
  stop_child(self, st.pmap);
  st.pmap = spawn_child(self, proto::nfs3::pmap_port, proto::nfs3::pmap_program, proto::nfs3::pmap_version);
}

void discover(backend_actor* self) {
  auto ask = [self](std::uint32_t prog, std::uint32_t vers, auto then) {
    setup_call<proto::nfs3::getport_res>(self, self->state.pmap, proto::nfs3::procs::getport,
                                       proto::nfs3::pmap_mapping{prog, vers, proto::nfs3::ipproto_tcp, 0},
                                       "rpcbind GETPORT", then);
  };
  ask(proto::nfs3::program, proto::nfs3::version, [self, ask](proto::nfs3::getport_res& nfs) {
    if (nfs.port == 0 || nfs.port > 65535) return setup_failed(self, "rpcbind knows no NFSv3 over TCP");
    ask(proto::nfs3::mount_program, proto::nfs3::mount_version, [self, nfs_port = nfs.port](proto::nfs3::getport_res& mnt) {
      if (mnt.port == 0 || mnt.port > 65535) return setup_failed(self, "rpcbind knows no MOUNT v3 over TCP");
      auto& st = self->state;
      if (st.cfg.nfs_port == 0) st.nfs_port = static_cast<std::uint16_t>(nfs_port);
      if (st.cfg.mount_port == 0) st.mount_port = static_cast<std::uint16_t>(mnt.port);
      stop_child(self, st.pmap);
      start_mount(self);
    });
  });
}

void mount_export(backend_actor* self) {
  const auto& outer = self->state;
  setup_call<proto::nfs3::mnt_res>(self, outer.mount, proto::nfs3::procs::mnt, proto::nfs3::mnt_args{outer.cfg.export_path},
                                   "MNT", [self](proto::nfs3::mnt_res& r) {
                                     auto& st = self->state;
                                     if (r.status != 0)
                                       return setup_failed(self, "MNT of " + st.cfg.export_path + " refused (mountstat3 " +
                                                                     std::to_string(r.status) + ")");
                                     st.root.assign(r.root.begin(), r.root.end());
                                     st.dirs.clear();
                                     stop_child(self, st.mount);
                                     start_nfs(self);
                                   });
}

void query_fsinfo(backend_actor* self) {
  const auto& outer = self->state;
  setup_call<proto::nfs3::fsinfo_res>(self, outer.nfs, proto::nfs3::procs::fsinfo, proto::nfs3::fh_args{outer.root}, "FSINFO",
                                      [self](proto::nfs3::fsinfo_res& r) {
                                        auto& st = self->state;
                                        if (st.state == backend_state::phase::unmounting) return;
                                        if (r.status != proto::nfs3::stat::ok) {
                                          // The root handle went stale (export re-created): mount again.
                                          setup_failed(self, "FSINFO: " + proto::nfs3::nfsstat_name(r.status));
                                          st.root.clear();
                                          return;
                                        }
                                        // Preferred sizes, capped by our codec's bound.
                                        st.rtmax = std::clamp<std::uint32_t>(r.rtpref ? r.rtpref : r.rtmax, 4096, 1u << 20);
                                        st.wtmax = std::clamp<std::uint32_t>(r.wtpref ? r.wtpref : r.wtmax, 4096, 1u << 20);
                                        st.state = backend_state::phase::ready;
                                        st.setup_attempt = 0;
                                        st.last_problem.clear();
                                        notify(self, true, {});
                                      });
}

// --- shutdown: UMNT, best effort ------------------------------------------------------------------

// The MOUNT connection of start-up is gone by now (it lives only until MNT answers): UMNT opens a new
// one to the port MNT used. Whatever happens, the backend quits by cfg.umount_timeout.
void unmount_then_quit(backend_actor* self) {
  auto& st = self->state;
  st.state = backend_state::phase::unmounting;
  st.umount_by = st.now() + st.cfg.umount_timeout;
  stop_child(self, st.pmap);
  stop_child(self, st.mount);
  st.mount = spawn_child(self, st.mount_port, proto::nfs3::mount_program, proto::nfs3::mount_version);
  self->delayed_send(self, st.cfg.umount_timeout, umount_deadline_atom::value);
}

void send_umount(backend_actor* self) {
  auto& st = self->state;
  auto left = std::chrono::duration_cast<caf::timespan>(st.umount_by - st.now());
  if (left <= caf::timespan::zero()) return self->quit(caf::exit_reason::user_shutdown);
  self->request(st.mount, caf::infinite,
                rpc_call{proto::nfs3::procs::umnt, make_call_args(proto::nfs3::mnt_args{st.cfg.export_path}), left})
      .then(
          [self](rpc_reply&) {
            self->state.log(spdlog::level::debug, "umounted", {{"server", self->state.cfg.server}});
            self->quit(caf::exit_reason::user_shutdown);
          },
          [self](caf::error& e) {
            self->state.log(spdlog::level::debug, "umount_failed",
                            {{"server", self->state.cfg.server}, {"reason", self->system().render(e)}});
            self->quit(caf::exit_reason::user_shutdown);
          });
}

// user_shutdown (a supervisor's stop, a test's end) after a successful MNT unmounts first; any other
// reason ends at once as CAF's default would (kill never reaches here: it cannot be trapped).
void on_exit(backend_actor* self, caf::exit_msg& m) {
  auto& st = self->state;
  if (!m.reason) return;  // an explicit normal exit is ignored, as by default
  if (m.reason != caf::exit_reason::user_shutdown || st.root.empty() || st.mount_port == 0)
    return self->quit(std::move(m.reason));
  if (st.state == backend_state::phase::unmounting) return;  // already on its way out
  unmount_then_quit(self);
}

// A child's connection went up or down.
void child_event(backend_actor* self, const connection_state_changed& ev) {
  auto& st = self->state;
  using ph = backend_state::phase;
  if (st.state == ph::unmounting) {
    if (ev.connected && st.mount && ev.source == st.mount.address()) send_umount(self);
    return;
  }
  if (st.pmap && ev.source == st.pmap.address()) {
    if (ev.connected && st.state == ph::discovering) discover(self);
  } else if (st.mount && ev.source == st.mount.address()) {
    if (ev.connected && st.state == ph::mounting) mount_export(self);
  } else if (st.nfs && ev.source == st.nfs.address()) {
    if (ev.connected) {
      if (st.root.empty()) return start_mount(self);
      st.state = ph::starting;
      query_fsinfo(self);
    } else {
      if (st.state == ph::ready) notify(self, false, ev.reason);
      st.state = ph::down;
    }
  }
}

caf::behavior nfs3_backend(backend_actor* self, nfs3_backend_config cfg) {
  auto& init = self->state;
  init.self = self;
  init.cfg = std::move(cfg);
  init.started = init.now();
  init.temp_salt = std::random_device{}() * 0x100000001ull ^ std::random_device{}();
  self->set_exit_handler([self](caf::exit_msg& m) { on_exit(self, m); });
  start_discovery(self);
  return {
      [self](rpc_call& c) {
        auto& st = self->state;
        auto rp = self->make_response_promise();
        ++st.stats.calls;
        auto refuse = [&](rpc_errc why, std::string text) {
          ++st.stats.errors;
          if (why == rpc_errc::unavailable) ++st.stats.unavailable;
          if (why == rpc_errc::overloaded) ++st.stats.overloaded;
          if (why == rpc_errc::timedout) ++st.stats.timeouts;
          rp.deliver(make_error(why, std::move(text)));
        };
        if (st.state == backend_state::phase::unmounting)
          return refuse(rpc_errc::unavailable, "NFS backend for " + st.cfg.server + " is shutting down");
        if (st.state != backend_state::phase::ready)
          return refuse(rpc_errc::unavailable, "NFS server " + st.cfg.server + " not ready" +
                                                   (st.last_problem.empty() ? "" : ": " + st.last_problem));
        if (st.ops.size() >= st.cfg.max_in_flight) return refuse(rpc_errc::overloaded, "too many calls in flight");
        if (c.timeout <= caf::timespan::zero()) return refuse(rpc_errc::timedout, "no time left");
        auto id = st.next_op++;
        auto args = std::make_shared<std::vector<xdr::byte>>();
        if (c.args) c.args->body.append_to(*args);
        st.ops.emplace(id, op{std::move(rp), c.proc, std::move(args), st.now() + c.timeout, false, std::nullopt, {}});
        // Each op is answered by its deadline, also while it waits for a lock or an NFS reply.
        self->delayed_send(self, c.timeout, op_deadline_atom::value, id);
        st.dispatch(id);
      },
      [self](const connection_state_changed& ev) { child_event(self, ev); },
      [self](op_deadline_atom, std::uint64_t id) { self->state.expire(id); },
      [self](umount_deadline_atom) {
        self->state.log(spdlog::level::debug, "umount_skipped",
                        {{"server", self->state.cfg.server}, {"reason", "no UMNT answer in time"}});
        self->quit(caf::exit_reason::user_shutdown);
      },
      [self](setup_atom, std::uint64_t epoch) {
        auto& st = self->state;
        if (epoch != st.setup_epoch || st.state == backend_state::phase::unmounting) return;
        if (st.state == backend_state::phase::discovering) start_discovery(self);
        else if (st.state == backend_state::phase::mounting) start_mount(self);
        else if (st.root.empty()) start_mount(self);
        else if (st.state == backend_state::phase::starting) query_fsinfo(self);
      },
      [self](rpc_stats_atom) {
        auto s = self->state.stats;
        s.connected = self->state.state == backend_state::phase::ready;
        s.in_flight = self->state.ops.size();
        return s;
      },
  };
}

}  // namespace

void backend_state::dispatch(std::uint64_t id) {
  auto it = ops.find(id);
  if (it == ops.end()) return;
  namespace ps = proto::store;
  const auto bytes = xdr::bytes_view{*it->second.args};
  auto run = [&](auto typed, auto member) {
    auto a = xdr::decode<decltype(typed)>(bytes);
    if (!a) return answer_error(id, make_error(rpc_errc::protocol_error, "garbage FERRY_STORE arguments"));
    (this->*member)(id, *a);
  };
  switch (static_cast<ps::proc>(it->second.proc)) {
    case ps::proc::null: return run_null(id);
    case ps::proc::health: return run_health(id);
    case ps::proc::put: return run(ps::put_args{}, &backend_state::run_put);
    case ps::proc::get: return run(ps::key_args{}, &backend_state::run_get);
    case ps::proc::del: return run(ps::delete_args{}, &backend_state::run_delete);
    case ps::proc::stat: return run(ps::key_args{}, &backend_state::run_stat);
    case ps::proc::list: return run(ps::list_args{}, &backend_state::run_list);
    case ps::proc::write_open: return run(ps::write_open_args{}, &backend_state::run_write_open);
    case ps::proc::write_chunk: return run(ps::write_chunk_args{}, &backend_state::run_write_chunk);
    case ps::proc::write_commit: return run(ps::write_commit_args{}, &backend_state::run_write_commit);
    case ps::proc::write_abort: return run(ps::write_abort_args{}, &backend_state::run_write_abort);
    case ps::proc::read: return run(ps::read_args{}, &backend_state::run_read);
  }
  answer_error(id, make_error(rpc_errc::protocol_error, "procedure unavailable"));
}

}  // namespace nfs3_detail

caf::actor spawn_nfs3_backend(caf::actor_system& sys, nfs3_backend_config cfg) {
  auto* meters = cfg.meters;
  return metering::spawn_maybe_metered(sys, meters, "nfs3_backend", nfs3_detail::nfs3_backend, std::move(cfg));
}

caf::actor spawn_nfs3_backend(caf::local_actor* parent, nfs3_backend_config cfg) {
  auto* meters = cfg.meters;
  return metering::spawn_maybe_metered(parent, meters, "nfs3_backend", nfs3_detail::nfs3_backend, std::move(cfg));
}

std::function<caf::expected<caf::actor>(caf::local_actor*, const caf::message&)>
nfs3_backend_starter(nfs3_backend_config cfg) {
  return [cfg = std::move(cfg)](caf::local_actor* parent, const caf::message&) -> caf::expected<caf::actor> {
    return spawn_nfs3_backend(parent, cfg);
  };
}

}  // namespace ferry::actors
