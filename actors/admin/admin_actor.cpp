// The admin actor and its gathering functions (see admin_actor.hpp).
#include "actors/admin/admin_actor.hpp"

#include <algorithm>
#include <map>

#include <caf/actor_registry.hpp>
#include <caf/all.hpp>

#include "actors/event_log/messages.hpp"
#include "actors/metering/meter_registry.hpp"
#include "actors/router/router_messages.hpp"
#include "actors/rpc_connection/messages.hpp"
#include "actors/session/session.hpp"
#include "supervision/messages.hpp"

namespace ferry::admin {

namespace {

caf::actor registered(caf::blocking_actor* self, caf::atom_value name) {
  return self->system().registry().get<caf::actor>(name);
}

/// One bounded request; `on_value` runs when the reply is a T; returns false on error or timeout.
template <class T, class Msg, class F>
bool ask(caf::blocking_actor* self, const caf::actor& dst, caf::timespan t, Msg msg, F on_value) {
  if (!dst) return false;
  bool ok = false;
  self->request(dst, t, std::move(msg)).receive([&](T& x) { ok = true; on_value(x); }, [](caf::error&) {});
  return ok;
}

actor_row row_of(const metering::actor_instance_meters& m) {
  actor_row r;
  r.id = m.id;
  r.actor = m.actor;
  r.instances = 1;
  r.messages = m.messages;
  r.cpu_ns = m.cpu_ns;
  r.wall_ns = m.wall_ns;
  r.mailbox_depth = m.mailbox_depth;
  r.mailbox_depth_max = m.mailbox_depth_max;
  return r;
}

actor_row row_of(const metering::actor_name_meters& m) {
  actor_row r;
  r.actor = m.actor;
  r.instances = m.instances;
  r.messages = m.messages;
  r.cpu_ns = m.cpu_ns;
  r.wall_ns = m.wall_ns;
  r.mailbox_depth = m.mailbox_depth;
  r.mailbox_depth_max = m.mailbox_depth_max;
  r.restarts = m.restarts;
  return r;
}

std::uint64_t monotonic_ns() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
}

void walk(caf::blocking_actor* self, const admin_context& ctx, const caf::actor& sup, std::uint32_t depth,
          tree_node node, std::vector<tree_node>& out) {
  node.kind = "supervisor";
  supervision::supervisor_description d;
  bool dynamic = false;
  if (ask<supervision::supervisor_description>(self, sup, ctx.ask_timeout, supervision::describe_supervisor{},
                                               [&](auto& x) { d = x; })) {
    node.strategy = supervision::to_string(d.strategy);
    dynamic = d.strategy == supervision::restart_strategy::simple_one_for_one;
  }
  std::vector<supervision::child_info> kids;
  ask<std::vector<supervision::child_info>>(self, sup, ctx.ask_timeout, supervision::which_children{},
                                            [&](auto& x) { kids = std::move(x); });
  node.children = kids.size();
  out.push_back(node);
  if (dynamic) return;  // thousands of sessions: the count says it
  for (const auto& k : kids) {
    tree_node n;
    n.depth = depth + 1;
    n.id = k.id;
    n.kind = k.type == supervision::child_type::supervisor ? "supervisor" : "worker";
    n.status = supervision::to_string(k.status);
    n.restart = supervision::to_string(k.restart);
    n.restarts = k.restarts;
    n.actor_id = k.actor ? k.actor.id() : 0;
    if (k.type == supervision::child_type::supervisor && k.actor)
      walk(self, ctx, k.actor, depth + 1, std::move(n), out);
    else
      out.push_back(std::move(n));
  }
}

/// Runs one admin request on its own thread and answers it; then ends.
void worker(caf::blocking_actor* self, std::shared_ptr<const admin_context> ctx) {
  const auto& c = *ctx;
  self->receive([&](status_request) { return gather_status(self, c); },
                [&](tree_request) { return gather_tree(self, c); },
                [&](servers_request) { return gather_servers(self, c); },
                [&](sessions_request) { return gather_sessions(self, c); },
                [&](drain_request) { return c.drain ? c.drain() : drain_reply{}; },
                [&](reload_request) {
                  if (c.reload) return c.reload();
                  return reload_reply{false, "reload is not available in this process", ""};
                },
                [&](log_level_request& x) { return change_log_level(self, c, x.level); },
                [&](restart_request& x) { return restart_child(self, c, x.path); });
}

/// Hands `msg` to a fresh worker and answers the requester with its reply, inside this actor.
template <class Reply, class Msg>
caf::typed_response_promise<Reply> via_worker(admin_actor::pointer self, const std::shared_ptr<const admin_context>& ctx,
                                              Msg msg) {
  auto rp = self->template make_response_promise<Reply>();
  auto w = self->spawn<caf::detached>(worker, ctx);
  self->request(w, std::chrono::seconds(60), std::move(msg))
      .then([rp](Reply& r) mutable { rp.deliver(std::move(r)); },
            [rp](caf::error& e) mutable { rp.deliver(std::move(e)); });
  return rp;
}

admin_actor::behavior_type admin_behavior(admin_actor::pointer self, std::shared_ptr<const admin_context> ctx) {
  return {
      [self, ctx](status_request x) { return via_worker<node_status>(self, ctx, x); },
      [self, ctx](tree_request x) { return via_worker<tree_reply>(self, ctx, x); },
      [ctx](top_request) { return take_top(*ctx); },
      [self, ctx](servers_request x) { return via_worker<servers_reply>(self, ctx, x); },
      [self, ctx](sessions_request x) { return via_worker<sessions_reply>(self, ctx, x); },
      [self, ctx](drain_request x) { return via_worker<drain_reply>(self, ctx, x); },
      [self, ctx](reload_request x) { return via_worker<reload_reply>(self, ctx, x); },
      [self, ctx](log_level_request& x) { return via_worker<log_level_reply>(self, ctx, std::move(x)); },
      [self, ctx](restart_request& x) { return via_worker<restart_reply>(self, ctx, std::move(x)); },
  };
}

}  // namespace

node_status gather_status(caf::blocking_actor* self, const admin_context& ctx) {
  node_status s = ctx.local_status ? ctx.local_status() : node_status{};
  s.taken_at_ns = monotonic_ns();
  ask<actors::router_stats>(self, registered(self, ctx.router_name), ctx.ask_timeout, actors::router_stats_atom::value,
                            [&](auto& r) {
                              s.servers = r.servers;
                              s.servers_connected = r.servers_connected;
                              s.requests = r.requests;
                              s.timeouts = r.timeouts;
                              s.open_uploads = r.open_uploads;
                              s.read_repairs = r.read_repairs;
                              s.degraded_reads = r.degraded_reads;
                            });
  if (ctx.meters != nullptr) {
    auto cpu = ctx.meters->cpu_split();
    s.cpu = {cpu.process_ns, cpu.attributed_ns, cpu.runtime_ns};
  }
  return s;
}

tree_reply gather_tree(caf::blocking_actor* self, const admin_context& ctx) {
  tree_reply r;
  auto root = registered(self, ctx.root_name);
  if (!root) return r;
  tree_node n;
  n.id = "ferryd";
  n.status = "running";
  n.restart = "permanent";
  n.actor_id = root.id();
  walk(self, ctx, root, 0, std::move(n), r.nodes);
  return r;
}

servers_reply gather_servers(caf::blocking_actor* self, const admin_context& ctx) {
  servers_reply out;
  std::vector<actors::router_server_view> views;
  ask<std::vector<actors::router_server_view>>(self, registered(self, ctx.router_name), ctx.ask_timeout,
                                               actors::router_servers_atom::value, [&](auto& x) { views = std::move(x); });
  for (const auto& v : views) {
    server_row row;
    row.server = v.server;
    row.connections = v.connections.size();
    row.connections_up = v.connections_up;
    row.ejections = v.ejections;
    row.state = v.ejected ? "ejected" : (v.connections_up > 0 ? "up" : "down");
    metering::latency_histogram latency;
    for (const auto& conn : v.connections) {
      ask<actors::rpc_connection_stats>(self, conn, ctx.ask_timeout, actors::rpc_stats_atom::value, [&](auto& st) {
        row.in_flight += st.in_flight;
        row.calls += st.replies + st.errors;
        row.errors += st.errors;
        row.reconnects += st.connects > 0 ? st.connects - 1 : 0;
        row.write_stalls += st.write_stalls;
        latency.merge(st.latency);
      });
    }
    row.p50_us = latency.quantile_us(0.5);
    row.p90_us = latency.quantile_us(0.9);
    row.p99_us = latency.quantile_us(0.99);
    row.p999_us = latency.quantile_us(0.999);
    row.max_us = latency.max_us();
    row.latency_count = latency.count();
    row.latency_sum_us = latency.sum_us();
    out.servers.push_back(std::move(row));
  }
  return out;
}

sessions_reply gather_sessions(caf::blocking_actor* self, const admin_context& ctx) {
  sessions_reply out;
  std::vector<supervision::child_info> kids;
  ask<std::vector<supervision::child_info>>(self, registered(self, ctx.sessions_name), ctx.ask_timeout,
                                            supervision::which_children{}, [&](auto& x) { kids = std::move(x); });
  const auto now = self->clock().now().time_since_epoch();
  for (const auto& k : kids) {
    if (!k.actor) continue;
    ask<actors::session_stats>(self, k.actor, ctx.ask_timeout, actors::session_stats_atom::value, [&](auto& st) {
      session_row r;
      r.actor_id = k.actor.id();
      r.peer_pid = st.pid;
      r.peer_uid = st.uid;
      r.peer_gid = st.gid;
      r.transport = st.pid >= 0 ? "unix" : "tcp " + st.peer;
      r.age_ms = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(now - st.started).count());
      r.calls = st.calls;
      r.in_flight = st.in_flight;
      r.bytes_in = st.bytes_in;
      r.bytes_out = st.bytes_out;
      r.shm_region_bytes = st.shm_region_bytes;
      r.shm_calls = st.shm_calls;
      out.sessions.push_back(std::move(r));
    });
  }
  return out;
}

restart_reply restart_child(caf::blocking_actor* self, const admin_context& ctx, const std::string& path) {
  std::vector<std::string> ids;
  for (std::size_t at = 0; at <= path.size();) {
    auto slash = path.find('/', at);
    if (slash == std::string::npos) slash = path.size();
    if (slash > at) ids.push_back(path.substr(at, slash - at));
    at = slash + 1;
  }
  if (ids.empty()) return {false, "no child named: give its path from the root, e.g. \"router\""};
  if (ids.size() == 1 && ids.front() == "admin") return {false, "the admin actor does not restart itself"};
  auto sup = registered(self, ctx.root_name);
  supervision::child_info found;
  std::string walked = "ferryd";
  for (std::size_t k = 0; k < ids.size(); ++k) {
    std::vector<supervision::child_info> kids;
    if (!ask<std::vector<supervision::child_info>>(self, sup, ctx.ask_timeout, supervision::which_children{},
                                                   [&](auto& x) { kids = std::move(x); }))
      return {false, walked + " did not answer (not a supervisor, or busy)"};
    auto it = std::find_if(kids.begin(), kids.end(), [&](const auto& c) { return c.id == ids[k]; });
    if (it == kids.end()) return {false, walked + " has no child \"" + ids[k] + "\""};
    walked += "/" + ids[k];
    if (!it->actor) return {false, walked + " is not running (" + supervision::to_string(it->status) + ")"};
    found = *it;
    sup = it->actor;
  }
  if (found.restart == supervision::restart_type::temporary)
    return {false, walked + " is temporary: its supervisor would not restart it"};
  auto id = found.actor.id();
  caf::anon_send_exit(found.actor, caf::exit_reason::kill);
  return {true, "killed " + walked + " (actor " + std::to_string(id) + "); its supervisor restarts it"};
}

log_level_reply change_log_level(caf::blocking_actor* self, const admin_context& ctx, const std::string& level) {
  log_level_reply r;
  auto el = registered(self, ctx.event_log_name);
  ask<std::string>(self, el, ctx.ask_timeout, actors::get_log_level{}, [&](auto& x) { r.previous = x; });
  r.current = r.previous;
  if (level.empty()) return r;
  self->request(el, ctx.ask_timeout, actors::set_log_level{level})
      .receive([&](caf::ok_atom) { r.current = level; },
               [&](caf::error& e) { r.current = r.previous + " (unchanged: " + self->system().render(e) + ")"; });
  return r;
}

top_reply take_top(const admin_context& ctx) {
  top_reply r;
  r.taken_at_ns = monotonic_ns();
  if (ctx.meters == nullptr) return r;
  auto snap = ctx.meters->snapshot();
  r.cpu = {snap.cpu.process_ns, snap.cpu.attributed_ns, snap.cpu.runtime_ns};
  for (const auto& m : snap.instances) r.instances.push_back(row_of(m));
  for (const auto& m : snap.actors) r.names.push_back(row_of(m));
  return r;
}

supervision::start_fn admin_starter(std::shared_ptr<const admin_context> ctx) {
  return [ctx](caf::local_actor* parent, const caf::message&) -> caf::expected<caf::actor> {
    return caf::actor_cast<caf::actor>(parent->spawn(admin_behavior, ctx));
  };
}

admin_actor spawn_admin(caf::actor_system& sys, std::shared_ptr<const admin_context> ctx) {
  return sys.spawn(admin_behavior, std::move(ctx));
}

}  // namespace ferry::admin
