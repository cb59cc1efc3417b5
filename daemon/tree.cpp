#include "daemon/tree.hpp"

#include <caf/actor_cast.hpp>
#include <caf/actor_registry.hpp>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/local_actor.hpp>
#include <caf/send.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/publish.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>

#include "actors/event_log/event_log.hpp"
#include "actors/listener/listener_actor.hpp"
#include "actors/metering/metered.hpp"
#include "actors/nfs3/nfs3_backend.hpp"
#include "actors/router/router_actor.hpp"
#include "actors/rpc_connection/rpc_connection.hpp"
#include "actors/rpc_connection/tcp_link.hpp"
#include "actors/session/session.hpp"
#include "actors/session/socket_io.hpp"
#include "config/nfs3_url.hpp"
#include "supervision/supervisor.hpp"
#include "xdr/protocol/store.hpp"

namespace ferry::daemon {

namespace {

using namespace std::chrono_literals;
using supervision::child_spec;
using supervision::restart_strategy;
using supervision::restart_type;
using supervision::supervisor_spec;

caf::actor registered(caf::actor_system& sys, caf::atom_value name) {
  return sys.registry().get<caf::actor>(name);
}

/// Wraps a start function so that the started actor is registered under `name` (a restart re-registers).
supervision::start_fn registering(caf::atom_value name, supervision::start_fn start) {
  return [name, start = std::move(start)](caf::local_actor* parent, const caf::message& args) -> caf::expected<caf::actor> {
    auto started = start(parent, args);
    if (started) parent->system().registry().put(name, *started);
    return started;
  };
}

/// Wraps a start function so that every start after the first counts a restart of `actor` in the meters.
supervision::start_fn counting_restarts(metering::meter_registry& meters, std::string actor, supervision::start_fn start) {
  auto started = std::make_shared<std::atomic<bool>>(false);
  return [&meters, actor = std::move(actor), started, start = std::move(start)](
             caf::local_actor* parent, const caf::message& args) -> caf::expected<caf::actor> {
    auto r = start(parent, args);
    if (r && *r && started->exchange(true)) meters.add_restart(actor);
    return r;
  };
}

/// Supervisors are spawned metered, under the actor name "supervisor <name>".
supervision::actor_spawner metered_supervisors(metering::meter_registry& meters) {
  return [&meters](caf::actor_system& sys, caf::local_actor* parent, std::string name,
                   std::function<caf::behavior(caf::event_based_actor*)> init) -> caf::actor {
    auto run = [](caf::event_based_actor* self, const std::function<caf::behavior(caf::event_based_actor*)>& f) {
      return f(self);
    };
    if (parent != nullptr) return metering::spawn_metered(parent, meters, "supervisor " + name, run, std::move(init));
    return metering::spawn_metered(sys, meters, "supervisor " + name, run, std::move(init));
  };
}

supervision::supervisor_flags flags(runtime& rt, std::string name, restart_strategy strategy, int intensity,
                                    caf::timespan period) {
  supervision::supervisor_flags f;
  if (rt.actor_meters() != nullptr) f.spawner = metered_supervisors(rt.meters());
  f.strategy = strategy;
  f.intensity = intensity;
  f.period = period;
  f.name = std::move(name);
  f.report_sink_name = event_log_name;
  return f;
}

void event(caf::actor_system& sys, spdlog::level::level_enum level, std::string component, std::string what,
           actors::event_fields fields) {
  actors::log(registered(sys, event_log_name), level, std::move(component), std::move(what), std::move(fields));
}

child_spec router_child(const config::ferryd_settings& s, runtime& rt) {
  actors::router_config rc;
  rc.writer = rt.writer_id;
  rc.quorum = {s.stores.replicas, s.stores.write_quorum};
  rc.deadlines = s.deadlines;
  rc.health = s.health;
  rc.meters = rt.actor_meters();
  for (const auto& server : s.stores.servers) rc.servers.push_back({server, {}});
  child_spec c;
  c.id = "router";
  c.start = counting_restarts(rt.meters(), "router", registering(router_name, [rc](caf::local_actor* parent, const caf::message&) -> caf::expected<caf::actor> {
    return actors::spawn_router(parent, rc);
  }));
  return c;
}

child_spec session_template(runtime& rt) {
  child_spec c;
  c.id = "session";
  c.restart = restart_type::temporary;
  c.shutdown = supervision::shutdown_policy::after(2s);
  c.start = [&rt](caf::local_actor* parent, const caf::message& args) -> caf::expected<caf::actor> {
    if (args.size() != 1 || !args.match_element<actors::accepted_connection>(0))
      return caf::make_error(caf::sec::invalid_argument, "session_sup: expected an accepted connection");
    auto conn = args.get_as<actors::accepted_connection>(0);
    auto defaults = rt.sessions();
    actors::session_config sc;
    sc.router = registered(parent->system(), router_name);
    sc.deadlines = defaults.deadlines;
    sc.peer = conn.peer;
    sc.meters = rt.actor_meters();
    actors::socket_io_options io;
    io.limits = defaults.record;
    io.flow = defaults.flow;
    io.budget = rt.budget();
    io.shm = defaults.shm;
    return actors::spawn_session(parent, std::move(sc), actors::socket_io_factory(std::move(conn), io));
  };
  return c;
}

child_spec listener_child(const std::string& id, const config::ferryd_settings& s, runtime& rt, bool tcp) {
  actors::listener_config lc;
  lc.name = tcp ? "tcp" : "uds";
  if (tcp) {
    config::split_host_port(s.daemon.listen_tcp, lc.tcp_host, lc.tcp_port);  // checked by config::check
  } else {
    lc.unix_path = s.daemon.socket;
    lc.unix_options.mode = s.daemon.socket_mode;
    lc.unix_options.owner = s.daemon.socket_owner;
    lc.unix_options.group = s.daemon.socket_group;
    lc.allow = {s.daemon.allow_uids, s.daemon.allow_gids};
  }
  lc.limits = s.limits.accept;
  lc.budget = rt.budget();
  lc.io = &rt.first_io();
  lc.session_io = [&rt]() -> boost::asio::io_context& { return rt.next_io(); };
  lc.meters = rt.actor_meters();
  child_spec c;
  c.id = id;
  c.start = [lc](caf::local_actor* parent, const caf::message& args) -> caf::expected<caf::actor> {
    auto& sys = parent->system();
    auto config = lc;
    // The listener asks session_sup (started before it by the root) for sessions.
    config.session_sup = registered(sys, sessions_name);
    if (!config.session_sup) return caf::make_error(caf::sec::runtime_error, "listener: session_sup is not running");
    config.on_event = [&sys, name = config.name](const std::string& line) {
      event(sys, spdlog::level::warn, name + "_listener", line, {});
    };
    return actors::listener_starter(config)(parent, args);
  };
  c.start = counting_restarts(rt.meters(), "listener " + lc.name, std::move(c.start));
  return c;
}

/// The admin actor; published through the middleman (TLS when configured) when the settings ask for it. A
/// restarted admin actor is published on the port its predecessor had.
child_spec admin_child(const config::ferryd_settings& s, runtime& rt) {
  child_spec c;
  c.id = "admin";
  auto start = admin::admin_starter(rt.admin);
  c.start = [start, a = s.admin, &rt](caf::local_actor* parent, const caf::message& args) -> caf::expected<caf::actor> {
    auto started = start(parent, args);
    if (!started || !(a.publish || a.port != 0)) return started;
    auto& mm = parent->system().middleman();
    auto [port, before] = rt.admin_published();
    if (port == 0) port = a.port;
    auto typed = caf::actor_cast<admin::admin_actor>(*started);  // publishes its typed interface
    auto published = a.tls_cert.empty() ? mm.publish(typed, port, a.bind.c_str(), true)
                                        : caf::openssl::publish(typed, port, a.bind.c_str(), true);
    if (!published && before) {
      // A restart whose port is still held by its predecessor's acceptor (CAF 0.17 keeps unpublish private):
      // keep the actor running unpublished rather than failing the tree; ferryctl then reports the node down.
      rt.set_admin_published("", port, {});
      return started;
    }
    if (!published) {
      caf::anon_send_exit(*started, caf::exit_reason::kill);
      return caf::make_error(caf::sec::runtime_error,
                             "admin: cannot publish on " + a.bind + ":" + std::to_string(port) + ": " +
                                 parent->system().render(published.error()));
    }
    rt.set_admin_published(a.bind + ":" + std::to_string(*published), *published, started->address());
    return started;
  };
  return c;
}

}  // namespace

runtime::runtime(const config::ferryd_settings& s)
    : sessions_(session_defaults_of(s)),
      budget_(std::make_shared<session::memory_budget>(s.limits.memory_budget_bytes)),
      meters_on_(s.runtime.meters) {
  for (unsigned i = 0; i < std::max(1u, s.runtime.asio_threads); ++i) io_.push_back(std::make_unique<transport::io_thread>());
}

boost::asio::io_context& runtime::next_io() {
  return io_[next_.fetch_add(1, std::memory_order_relaxed) % io_.size()]->context();
}

void runtime::stop_io() {
  for (auto& t : io_) t->stop();
}

session_defaults runtime::sessions() const {
  std::lock_guard<std::mutex> guard(sessions_mutex_);
  return sessions_;
}

void runtime::set_sessions(session_defaults d) {
  std::lock_guard<std::mutex> guard(sessions_mutex_);
  sessions_ = d;
}

session_defaults session_defaults_of(const config::ferryd_settings& s) {
  session_defaults d;
  d.deadlines = s.deadlines;
  d.flow = {s.limits.session_max_inflight_calls, s.limits.session_max_inflight_bytes};
  d.record.max_record_size = s.limits.max_record_bytes;
  d.shm = s.shm;
  return d;
}

unsigned caf_worker_threads(unsigned configured, unsigned hardware) noexcept {
  return configured > 0 ? configured : std::max(1u, hardware);
}

std::string store_child_id(const std::string& server) { return "store " + server; }

namespace {

// Starts a store's connection actor (rpc_connection or nfs3_backend) with the router as its listener and
// enrolls it with the router: on every (re)start, the router learns the new handle.
template <class Spawn>
supervision::start_fn enrolling(runtime& rt, std::string meter, std::string server, Spawn spawn) {
  return counting_restarts(rt.meters(), std::move(meter),
                           [server = std::move(server), spawn](caf::local_actor* parent,
                                                               const caf::message&) -> caf::expected<caf::actor> {
                             auto router = registered(parent->system(), router_name);
                             auto conn = spawn(parent, router);
                             if (router) caf::anon_send(router, actors::enroll_connection{server, conn});
                             return conn;
                           });
}

// One nfs3_backend for an NFS export (it pipelines over its own connections; stores.connections does not
// apply: upload ids are per backend, so one backend per store keeps them store-wide). Enrolls like an
// rpc_connection.
child_spec nfs3_store_child(const std::string& server, runtime& rt) {
  auto url = std::get<config::nfs3_url>(config::parse_nfs3_url(server));  // checked by config::check
  actors::nfs3_backend_config nc;
  nc.server = server;
  nc.export_path = url.export_path;
  nc.nfs_port = url.nfs_port;
  nc.mount_port = url.mount_port;
  nc.uid = url.uid;
  nc.gid = url.gid;
  nc.meters = rt.actor_meters();
  auto* io = &rt.next_io();
  nc.links = [io, host = url.host](std::uint16_t port) {
    return actors::tcp_link_factory(*io, actors::tcp_link_options{host, port, {}});
  };
  child_spec c;
  c.id = "nfs3";
  c.shutdown = supervision::shutdown_policy::after(2s);
  c.start = enrolling(rt, "nfs3_backend", server, [nc](caf::local_actor* parent, caf::actor router) {
    auto config = nc;
    config.listener = std::move(router);
    return actors::spawn_nfs3_backend(parent, config);
  });
  return c;
}

// K rpc_connections to a ferry-store, each enrolling itself with the router when (re)started.
void add_store_connections(supervisor_spec& spec, const std::string& server, const config::ferryd_settings& s,
                           runtime& rt) {
  std::string host;
  std::uint16_t port = 0;
  config::split_host_port(server, host, port);  // checked by config::check
  for (unsigned k = 0; k < s.stores.connections; ++k) {
    actors::rpc_connection_config cc;
    cc.server = server;
    cc.meters = rt.actor_meters();
    cc.program = proto::store::program;
    cc.version = proto::store::version;
    actors::tcp_link_options lo{host, port, {}};
    child_spec c;
    c.id = "conn " + std::to_string(k);
    c.shutdown = supervision::shutdown_policy::after(2s);
    c.start = enrolling(rt, "rpc_connection", server, [cc, lo, &rt](caf::local_actor* parent, caf::actor router) {
      auto config = cc;
      config.listener = std::move(router);
      return actors::spawn_rpc_connection(parent, config, actors::tcp_link_factory(rt.next_io(), lo));
    });
    spec.children.push_back(std::move(c));
  }
}

}  // namespace

child_spec store_child(const std::string& server, const config::ferryd_settings& s, runtime& rt) {
  supervisor_spec spec;
  spec.flags = flags(rt, store_child_id(server), restart_strategy::one_for_all, 5, 10s);
  spec.flags.backoff = supervision::backoff_policy{};
  if (config::is_nfs3_url(server)) {
    spec.children.push_back(nfs3_store_child(server, rt));
  } else {
    add_store_connections(spec, server, s, rt);
  }
  auto child = supervision::supervisor_child(store_child_id(server), std::move(spec));
  child.start = counting_restarts(rt.meters(), "supervisor " + store_child_id(server), std::move(child.start));
  return child;
}

std::string runtime::admin_address() const {
  std::lock_guard<std::mutex> guard(admin_mutex_);
  return admin_address_;
}

void runtime::set_admin_published(std::string address, std::uint16_t port, caf::actor_addr who) {
  std::lock_guard<std::mutex> guard(admin_mutex_);
  admin_address_ = std::move(address);
  admin_port_ = port;
  admin_actor_ = std::move(who);
}

std::pair<std::uint16_t, caf::actor_addr> runtime::admin_published() const {
  std::lock_guard<std::mutex> guard(admin_mutex_);
  return {admin_port_, admin_actor_};
}

supervisor_spec root_spec(const config::ferryd_settings& s, runtime& rt) {
  supervisor_spec root;
  root.flags = flags(rt, "ferryd", restart_strategy::rest_for_one, 3, 30s);

  actors::event_log_config ec;
  ec.level = s.log.level;
  ec.file = s.log.file;
  ec.to_stderr = s.log.to_stderr;
  ec.meters = rt.actor_meters();
  child_spec log;
  log.id = "event_log";
  log.start = counting_restarts(rt.meters(), "event_log", registering(event_log_name, actors::event_log_starter(ec)));
  root.children.push_back(std::move(log));

  root.children.push_back(router_child(s, rt));

  supervisor_spec backend;
  backend.flags = flags(rt, backend_id, restart_strategy::one_for_one, 10, 10s);
  for (const auto& server : s.stores.servers) backend.children.push_back(store_child(server, s, rt));
  auto backend_sup = supervision::supervisor_child(backend_id, std::move(backend));
  backend_sup.start = counting_restarts(rt.meters(), "supervisor " + backend_id, registering(backend_name, std::move(backend_sup.start)));
  root.children.push_back(std::move(backend_sup));

  supervisor_spec sessions;
  sessions.flags = flags(rt, sessions_id, restart_strategy::simple_one_for_one, 1, 5s);
  sessions.children.push_back(session_template(rt));
  auto session_sup = supervision::supervisor_child(sessions_id, std::move(sessions));
  session_sup.start = counting_restarts(rt.meters(), "supervisor " + sessions_id, registering(sessions_name, std::move(session_sup.start)));
  root.children.push_back(std::move(session_sup));

  supervisor_spec listeners;
  listeners.flags = flags(rt, listeners_id, restart_strategy::one_for_one, 5, 10s);
  listeners.children.push_back(listener_child("uds", s, rt, false));
  if (!s.daemon.listen_tcp.empty()) listeners.children.push_back(listener_child("tcp", s, rt, true));
  auto listener_sup = supervision::supervisor_child(listeners_id, std::move(listeners));
  listener_sup.start = counting_restarts(rt.meters(), "supervisor " + listeners_id, registering(listeners_name, std::move(listener_sup.start)));
  root.children.push_back(std::move(listener_sup));

  auto admin = admin_child(s, rt);
  admin.start = counting_restarts(rt.meters(), "admin", registering(admin_name, std::move(admin.start)));
  root.children.push_back(std::move(admin));
  return root;
}

}  // namespace ferry::daemon
