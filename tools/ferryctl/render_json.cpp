// render_json: Boost.JSON values built field by field. Boost.JSON is header-only here: this is the one
// translation unit that compiles its implementation (boost/json/src.hpp).
#include "render_json.hpp"

#include <boost/json/src.hpp>

namespace ferry::ctl {

namespace json = boost::json;

namespace {

json::object cpu_json(const admin::cpu_split& c) {
  return {{"process_ns", c.process_ns}, {"attributed_ns", c.attributed_ns}, {"runtime_ns", c.runtime_ns}};
}

json::object to_json(const admin::node_status& s) {
  return {{"version", s.version},
          {"pid", s.pid},
          {"uptime_ms", s.uptime_ms},
          {"taken_at_ns", s.taken_at_ns},
          {"socket", s.socket},
          {"tcp", s.tcp},
          {"sessions", s.sessions},
          {"calls_in_flight", s.calls_in_flight},
          {"memory_budget_used", s.memory_budget_used},
          {"memory_budget_limit", s.memory_budget_limit},
          {"servers", s.servers},
          {"servers_connected", s.servers_connected},
          {"requests", s.requests},
          {"timeouts", s.timeouts},
          {"open_uploads", s.open_uploads},
          {"read_repairs", s.read_repairs},
          {"degraded_reads", s.degraded_reads},
          {"shm_regions", s.shm_regions},
          {"shm_mapped_bytes", s.shm_mapped_bytes},
          {"shm_calls", s.shm_calls},
          {"shm_bytes", s.shm_bytes},
          {"shm_bytes_in_place", s.shm_bytes_in_place},
          {"shm_bytes_copied", s.shm_bytes_copied},
          {"draining", s.draining},
          {"cpu", cpu_json(s.cpu)}};
}

json::object to_json(const admin::tree_node& n) {
  return {{"depth", n.depth},       {"id", n.id},           {"kind", n.kind},
          {"strategy", n.strategy}, {"status", n.status},   {"restart", n.restart},
          {"restarts", n.restarts}, {"actor_id", n.actor_id}, {"children", n.children}};
}

json::object to_json(const admin::server_row& s) {
  return {{"server", s.server},     {"state", s.state},           {"connections_up", s.connections_up},
          {"connections", s.connections}, {"in_flight", s.in_flight}, {"calls", s.calls},
          {"errors", s.errors},     {"reconnects", s.reconnects}, {"write_stalls", s.write_stalls},
          {"ejections", s.ejections},
          {"p50_us", s.p50_us},     {"p90_us", s.p90_us},         {"p99_us", s.p99_us},
          {"p999_us", s.p999_us},   {"max_us", s.max_us}};
}

json::object to_json(const admin::session_row& s) {
  return {{"actor_id", s.actor_id}, {"peer_pid", s.peer_pid}, {"peer_uid", s.peer_uid},
          {"peer_gid", s.peer_gid}, {"transport", s.transport}, {"age_ms", s.age_ms},
          {"calls", s.calls},       {"in_flight", s.in_flight}, {"bytes_in", s.bytes_in},
          {"bytes_out", s.bytes_out}, {"shm_region_bytes", s.shm_region_bytes},
          {"shm_calls", s.shm_calls}};
}

template <class Row>
json::array rows_json(const std::vector<Row>& rows) {
  json::array a;
  for (const auto& r : rows) a.push_back(to_json(r));
  return a;
}

// The node's entry: {"node", "ok"} plus either `fill(object, reply)` or the failure.
template <class Reply, class Fill>
json::array nodes_json(const std::vector<node_result<Reply>>& nodes, Fill fill) {
  json::array a;
  for (const auto& n : nodes) {
    json::object o{{"node", n.node}, {"ok", n.ok()}};
    if (n.ok()) fill(o, *n.reply);
    else {
      o["failure"] = failure_words(n.why);
      o["error"] = n.error;
    }
    a.push_back(std::move(o));
  }
  return a;
}

template <class Reply>
std::size_t answered(const std::vector<node_result<Reply>>& nodes) {
  std::size_t k = 0;
  for (const auto& n : nodes) k += n.ok() ? 1 : 0;
  return k;
}

std::string doc(std::string_view command, json::array nodes, json::object totals) {
  json::object d{{"command", command}, {"nodes", std::move(nodes)}};
  if (!totals.empty()) d["totals"] = std::move(totals);
  return json::serialize(d) + "\n";
}

}  // namespace

std::string json_status(const std::vector<node_result<admin::node_status>>& nodes) {
  auto t = total_status(nodes);
  return doc("status", nodes_json(nodes, [](json::object& o, const admin::node_status& s) { o["status"] = to_json(s); }),
             {{"nodes", t.nodes},
              {"answered", t.answered},
              {"sessions", t.sessions},
              {"calls_in_flight", t.calls_in_flight},
              {"memory_budget_used", t.memory_budget_used},
              {"memory_budget_limit", t.memory_budget_limit},
              {"servers", t.servers},
              {"servers_connected", t.servers_connected},
              {"requests", t.requests},
              {"timeouts", t.timeouts},
              {"open_uploads", t.open_uploads},
              {"draining", t.draining}});
}

std::string json_tree(const std::vector<node_result<admin::tree_reply>>& nodes) {
  return doc("tree",
             nodes_json(nodes, [](json::object& o, const admin::tree_reply& r) { o["tree"] = rows_json(r.nodes); }),
             {{"nodes", nodes.size()}, {"answered", answered(nodes)}});
}

std::string json_top(const std::vector<node_result<top_screen>>& nodes, std::size_t limit) {
  double cpu = 0, msgs = 0;
  for (const auto& n : nodes)
    if (n.ok()) {
      cpu += n.reply->cpu_pct_total;
      msgs += n.reply->msgs_per_s_total;
    }
  auto fill = [limit](json::object& o, const top_screen& s) {
    o["interval_s"] = s.interval_s;
    o["cpu"] = {{"process_pct", s.process_pct}, {"attributed_pct", s.attributed_pct}, {"runtime_pct", s.runtime_pct}};
    json::array rows;
    for (std::size_t i = 0; i < s.rows.size() && (limit == 0 || i < limit); ++i) {
      const auto& r = s.rows[i];
      rows.push_back({{"id", r.id},
                      {"actor", r.actor},
                      {"cpu_pct", r.cpu_pct},
                      {"msgs_per_s", r.msgs_per_s},
                      {"mailbox", r.mailbox},
                      {"mailbox_max", r.mailbox_max}});
    }
    o["actors"] = std::move(rows);
    o["totals"] = {{"actors", s.rows.size()}, {"cpu_pct", s.cpu_pct_total}, {"msgs_per_s", s.msgs_per_s_total}};
  };
  return doc("top", nodes_json(nodes, fill),
             {{"nodes", nodes.size()}, {"answered", answered(nodes)}, {"cpu_pct", cpu}, {"msgs_per_s", msgs}});
}

std::string json_servers(const std::vector<node_result<admin::servers_reply>>& nodes) {
  auto t = total_servers(nodes);
  return doc("servers",
             nodes_json(nodes,
                        [](json::object& o, const admin::servers_reply& r) { o["servers"] = rows_json(r.servers); }),
             {{"nodes", nodes.size()},
              {"answered", answered(nodes)},
              {"servers", t.servers},
              {"up", t.up},
              {"connections_up", t.connections_up},
              {"connections", t.connections},
              {"in_flight", t.in_flight},
              {"calls", t.calls},
              {"errors", t.errors},
              {"reconnects", t.reconnects},
              {"ejections", t.ejections}});
}

std::string json_sessions(const std::vector<node_result<admin::sessions_reply>>& nodes) {
  std::uint64_t count = 0, calls = 0, in_flight = 0, in = 0, out = 0;
  for (const auto& n : nodes)
    if (n.ok())
      for (const auto& s : n.reply->sessions) {
        ++count;
        calls += s.calls;
        in_flight += s.in_flight;
        in += s.bytes_in;
        out += s.bytes_out;
      }
  return doc("sessions",
             nodes_json(nodes,
                        [](json::object& o, const admin::sessions_reply& r) { o["sessions"] = rows_json(r.sessions); }),
             {{"nodes", nodes.size()},
              {"answered", answered(nodes)},
              {"sessions", count},
              {"calls", calls},
              {"in_flight", in_flight},
              {"bytes_in", in},
              {"bytes_out", out}});
}

std::string json_drain(const std::vector<node_result<admin::drain_reply>>& nodes) {
  return doc("drain", nodes_json(nodes, [](json::object& o, const admin::drain_reply& r) {
               o["sessions"] = r.sessions;
               o["calls_in_flight"] = r.calls_in_flight;
             }),
             {});
}

std::string json_reload(const std::vector<node_result<admin::reload_reply>>& nodes) {
  return doc("reload", nodes_json(nodes, [](json::object& o, const admin::reload_reply& r) {
               o["applied_ok"] = r.ok;
               o["applied"] = r.applied;
               o["needs_restart"] = r.needs_restart;
             }),
             {});
}

std::string json_restart(const std::vector<node_result<admin::restart_reply>>& nodes) {
  return doc("restart", nodes_json(nodes, [](json::object& o, const admin::restart_reply& r) {
               o["done"] = r.ok;
               o["message"] = r.message;
             }),
             {});
}

std::string json_log_level(const std::vector<node_result<admin::log_level_reply>>& nodes) {
  return doc("log-level", nodes_json(nodes, [](json::object& o, const admin::log_level_reply& r) {
               o["previous"] = r.previous;
               o["current"] = r.current;
             }),
             {});
}

}  // namespace ferry::ctl
