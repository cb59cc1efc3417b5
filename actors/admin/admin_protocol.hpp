// actors/admin/admin_protocol.hpp: the typed interface ferryd's admin actor publishes through CAF's middleman,
// and the plain structs its requests return. ferryctl (tools/ferryctl) speaks exactly this; nothing else in
// ferryd is reachable from another node. Every type is registered by add_admin_types() on both sides.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor_system_config.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

namespace ferry::admin {

// -- requests ---------------------------------------------------------------------------------------------

struct status_request {};
struct tree_request {};
struct top_request {};
struct servers_request {};
struct sessions_request {};
/// Stop accepting, answer new calls SHUTTING_DOWN, wait for calls in flight, then exit 0 (as SIGTERM).
struct drain_request {};
/// Re-read the configuration file (as SIGHUP) and say what was applied.
struct reload_request {};
/// Kill one child of the tree so that its supervisor restarts it (OTP's exit(Pid, kill) from a shell): e.g.
/// "backend_sup/store 127.0.0.1:7001" reconnects that store's pool. `path` is child ids from the root, '/'
/// separated. Temporary children (sessions), the root and the admin actor itself are refused.
struct restart_request {
  std::string path;
};

/// Set the event log's level ("trace".."critical", "off"); an empty level only asks for the current one.
struct log_level_request {
  std::string level;
};

// -- replies ----------------------------------------------------------------------------------------------

/// CPU of the whole process (getrusage) and the part the metered actors account for.
struct cpu_split {
  std::uint64_t process_ns = 0;
  std::uint64_t attributed_ns = 0;
  std::uint64_t runtime_ns = 0;  ///< process - attributed: scheduler, io threads, allocator
};

struct node_status {
  std::string node;      ///< the admin address this node was reached at, filled by the daemon
  std::string version;
  std::int64_t pid = 0;
  std::uint64_t uptime_ms = 0;
  std::uint64_t taken_at_ns = 0;  ///< CLOCK_MONOTONIC of the daemon when this was taken
  std::string socket;    ///< the UNIX socket path clients connect to
  std::string tcp;       ///< HOST:PORT of the TCP listener, "" when there is none
  std::uint64_t sessions = 0;
  std::uint64_t calls_in_flight = 0;
  std::uint64_t memory_budget_used = 0;
  std::uint64_t memory_budget_limit = 0;
  std::uint64_t servers = 0;
  std::uint64_t servers_connected = 0;
  std::uint64_t requests = 0;   ///< routed since start
  std::uint64_t timeouts = 0;
  std::uint64_t open_uploads = 0;
  std::uint64_t read_repairs = 0;    ///< repair writes sent to replicas a read found behind
  std::uint64_t degraded_reads = 0;  ///< reads answered with fewer replica versions than R - W + 1
  std::uint64_t shm_regions = 0;       ///< client shared-memory regions mapped now (issue 12)
  std::uint64_t shm_mapped_bytes = 0;  ///< their total size, against shm.max_total_bytes
  std::uint64_t shm_calls = 0;         ///< slot calls taken since start
  std::uint64_t shm_bytes = 0;         ///< payload bytes those calls moved through slots
  bool draining = false;
  cpu_split cpu;
  std::uint64_t shm_bytes_in_place = 0;  ///< download bytes received straight into slots (no copy in ferryd)
  std::uint64_t shm_bytes_copied = 0;    ///< download bytes ferryd copied into slots out of reply records
};

/// One node of the live supervision tree, depth-first in start order.
struct tree_node {
  std::uint32_t depth = 0;     ///< 0 for the root
  std::string id;              ///< child id in its supervisor ("router", "store 127.0.0.1:7001", "conn 0")
  std::string kind;            ///< "supervisor" or "worker"
  std::string strategy;        ///< supervisors: one_for_one, one_for_all, rest_for_one, simple_one_for_one
  std::string status;          ///< running, restarting, stopped
  std::string restart;         ///< permanent, transient, temporary
  std::uint64_t restarts = 0;  ///< restarts of this child by its supervisor since ferryd started
  std::uint64_t actor_id = 0;  ///< 0 unless running
  std::uint64_t children = 0;  ///< supervisors: children (a simple_one_for_one shows the count, not each)
};

struct tree_reply {
  std::vector<tree_node> nodes;
};

/// One live actor (top's rows) or one actor name summed over its instances.
struct actor_row {
  std::uint64_t id = 0;  ///< 0 on per-name rows
  std::string actor;
  std::uint64_t instances = 0;
  std::uint64_t messages = 0;
  std::uint64_t cpu_ns = 0;
  std::uint64_t wall_ns = 0;
  std::uint64_t mailbox_depth = 0;
  std::uint64_t mailbox_depth_max = 0;
  std::uint64_t restarts = 0;
};

/// Cumulative counters: a refreshing view subtracts two replies (taken_at_ns says how far apart).
struct top_reply {
  std::uint64_t taken_at_ns = 0;
  cpu_split cpu;
  std::vector<actor_row> instances;  ///< live actors, by id
  std::vector<actor_row> names;      ///< every actor name, live and ended instances summed
};

/// One data server as the router and its connections see it.
struct server_row {
  std::string server;  ///< HOST:PORT
  std::string state;   ///< up, down, ejected
  std::uint64_t connections_up = 0;
  std::uint64_t connections = 0;
  std::uint64_t in_flight = 0;
  std::uint64_t calls = 0;   ///< answered calls (any status)
  std::uint64_t errors = 0;  ///< transport failures and timeouts
  std::uint64_t reconnects = 0;
  std::uint64_t ejections = 0;
  std::uint64_t p50_us = 0, p90_us = 0, p99_us = 0, p999_us = 0, max_us = 0;  ///< call latency
  std::uint64_t latency_count = 0;   ///< replies measured
  std::uint64_t latency_sum_us = 0;  ///< their total latency
  std::uint64_t write_stalls = 0;    ///< connections closed because the server stopped reading a call's bytes
};

struct servers_reply {
  std::vector<server_row> servers;
};

struct session_row {
  std::uint64_t actor_id = 0;
  std::int64_t peer_pid = -1;
  std::int64_t peer_uid = -1;
  std::int64_t peer_gid = -1;
  std::string transport;  ///< "unix" or "tcp HOST:PORT"
  std::uint64_t age_ms = 0;
  std::uint64_t calls = 0;
  std::uint64_t in_flight = 0;
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  std::uint64_t shm_region_bytes = 0;  ///< the attached shared region's size, 0: none
  std::uint64_t shm_calls = 0;         ///< its slot calls taken
};

struct sessions_reply {
  std::vector<session_row> sessions;
};

struct drain_reply {
  std::uint64_t sessions = 0;
  std::uint64_t calls_in_flight = 0;
};

struct reload_reply {
  bool ok = false;
  std::string applied;        ///< what took effect, or the reason the file was refused
  std::string needs_restart;  ///< changed keys that take effect only after a restart
};

struct restart_reply {
  bool ok = false;
  std::string message;  ///< what was killed (actor id), or why nothing was
};

struct log_level_reply {
  std::string previous;
  std::string current;
};

/// The admin actor's whole interface: nothing but these requests is accepted.
using admin_actor = caf::typed_actor<
  caf::replies_to<status_request>::with<node_status>, caf::replies_to<tree_request>::with<tree_reply>,
  caf::replies_to<top_request>::with<top_reply>, caf::replies_to<servers_request>::with<servers_reply>,
  caf::replies_to<sessions_request>::with<sessions_reply>, caf::replies_to<drain_request>::with<drain_reply>,
  caf::replies_to<reload_request>::with<reload_reply>, caf::replies_to<log_level_request>::with<log_level_reply>,
  caf::replies_to<restart_request>::with<restart_reply>>;

// -- inspection (CAF 0.17 serialisation across nodes) -----------------------------------------------------

template <class F> typename F::result_type inspect(F& f, status_request&) { return f(caf::meta::type_name("ferry.admin.status_request")); }
template <class F> typename F::result_type inspect(F& f, tree_request&) { return f(caf::meta::type_name("ferry.admin.tree_request")); }
template <class F> typename F::result_type inspect(F& f, top_request&) { return f(caf::meta::type_name("ferry.admin.top_request")); }
template <class F> typename F::result_type inspect(F& f, servers_request&) { return f(caf::meta::type_name("ferry.admin.servers_request")); }
template <class F> typename F::result_type inspect(F& f, sessions_request&) { return f(caf::meta::type_name("ferry.admin.sessions_request")); }
template <class F> typename F::result_type inspect(F& f, drain_request&) { return f(caf::meta::type_name("ferry.admin.drain_request")); }
template <class F> typename F::result_type inspect(F& f, reload_request&) { return f(caf::meta::type_name("ferry.admin.reload_request")); }
template <class F> typename F::result_type inspect(F& f, log_level_request& x) {
  return f(caf::meta::type_name("ferry.admin.log_level_request"), x.level);
}
template <class F> typename F::result_type inspect(F& f, restart_request& x) {
  return f(caf::meta::type_name("ferry.admin.restart_request"), x.path);
}
template <class F> typename F::result_type inspect(F& f, restart_reply& x) {
  return f(caf::meta::type_name("ferry.admin.restart_reply"), x.ok, x.message);
}
template <class F> typename F::result_type inspect(F& f, cpu_split& x) {
  return f(caf::meta::type_name("ferry.admin.cpu_split"), x.process_ns, x.attributed_ns, x.runtime_ns);
}
template <class F> typename F::result_type inspect(F& f, node_status& x) {
  return f(caf::meta::type_name("ferry.admin.node_status"), x.node, x.version, x.pid, x.uptime_ms, x.taken_at_ns, x.socket,
           x.tcp, x.sessions, x.calls_in_flight, x.memory_budget_used, x.memory_budget_limit, x.servers,
           x.servers_connected, x.requests, x.timeouts, x.open_uploads, x.read_repairs,
           x.degraded_reads, x.shm_regions, x.shm_mapped_bytes, x.shm_calls, x.shm_bytes, x.draining, x.cpu,
           x.shm_bytes_in_place, x.shm_bytes_copied);
}
template <class F> typename F::result_type inspect(F& f, tree_node& x) {
  return f(caf::meta::type_name("ferry.admin.tree_node"), x.depth, x.id, x.kind, x.strategy, x.status, x.restart,
           x.restarts, x.actor_id, x.children);
}
template <class F> typename F::result_type inspect(F& f, tree_reply& x) {
  return f(caf::meta::type_name("ferry.admin.tree_reply"), x.nodes);
}
template <class F> typename F::result_type inspect(F& f, actor_row& x) {
  return f(caf::meta::type_name("ferry.admin.actor_row"), x.id, x.actor, x.instances, x.messages, x.cpu_ns, x.wall_ns,
           x.mailbox_depth, x.mailbox_depth_max, x.restarts);
}
template <class F> typename F::result_type inspect(F& f, top_reply& x) {
  return f(caf::meta::type_name("ferry.admin.top_reply"), x.taken_at_ns, x.cpu, x.instances, x.names);
}
template <class F> typename F::result_type inspect(F& f, server_row& x) {
  return f(caf::meta::type_name("ferry.admin.server_row"), x.server, x.state, x.connections_up, x.connections,
           x.in_flight, x.calls, x.errors, x.reconnects, x.ejections, x.p50_us, x.p90_us, x.p99_us, x.p999_us, x.max_us,
           x.latency_count, x.latency_sum_us, x.write_stalls);
}
template <class F> typename F::result_type inspect(F& f, servers_reply& x) {
  return f(caf::meta::type_name("ferry.admin.servers_reply"), x.servers);
}
template <class F> typename F::result_type inspect(F& f, session_row& x) {
  return f(caf::meta::type_name("ferry.admin.session_row"), x.actor_id, x.peer_pid, x.peer_uid, x.peer_gid, x.transport,
           x.age_ms, x.calls, x.in_flight, x.bytes_in, x.bytes_out, x.shm_region_bytes, x.shm_calls);
}
template <class F> typename F::result_type inspect(F& f, sessions_reply& x) {
  return f(caf::meta::type_name("ferry.admin.sessions_reply"), x.sessions);
}
template <class F> typename F::result_type inspect(F& f, drain_reply& x) {
  return f(caf::meta::type_name("ferry.admin.drain_reply"), x.sessions, x.calls_in_flight);
}
template <class F> typename F::result_type inspect(F& f, reload_reply& x) {
  return f(caf::meta::type_name("ferry.admin.reload_reply"), x.ok, x.applied, x.needs_restart);
}
template <class F> typename F::result_type inspect(F& f, log_level_reply& x) {
  return f(caf::meta::type_name("ferry.admin.log_level_reply"), x.previous, x.current);
}

/// Registers every admin type with `cfg` (both ferryd and ferryctl call it before building the system).
inline caf::actor_system_config& add_admin_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<status_request>("ferry.admin.status_request");
  cfg.add_message_type<tree_request>("ferry.admin.tree_request");
  cfg.add_message_type<top_request>("ferry.admin.top_request");
  cfg.add_message_type<servers_request>("ferry.admin.servers_request");
  cfg.add_message_type<sessions_request>("ferry.admin.sessions_request");
  cfg.add_message_type<drain_request>("ferry.admin.drain_request");
  cfg.add_message_type<reload_request>("ferry.admin.reload_request");
  cfg.add_message_type<log_level_request>("ferry.admin.log_level_request");
  cfg.add_message_type<node_status>("ferry.admin.node_status");
  cfg.add_message_type<tree_reply>("ferry.admin.tree_reply");
  cfg.add_message_type<top_reply>("ferry.admin.top_reply");
  cfg.add_message_type<servers_reply>("ferry.admin.servers_reply");
  cfg.add_message_type<sessions_reply>("ferry.admin.sessions_reply");
  cfg.add_message_type<drain_reply>("ferry.admin.drain_reply");
  cfg.add_message_type<reload_reply>("ferry.admin.reload_reply");
  cfg.add_message_type<log_level_reply>("ferry.admin.log_level_reply");
  cfg.add_message_type<restart_request>("ferry.admin.restart_request");
  cfg.add_message_type<restart_reply>("ferry.admin.restart_reply");
  return cfg;
}

}  // namespace ferry::admin
