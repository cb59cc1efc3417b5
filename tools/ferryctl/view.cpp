// view: totals over nodes and the top delta (two cumulative snapshots -> rates).
#include "view.hpp"

#include <algorithm>
#include <unordered_map>

namespace ferry::ctl {

std::string failure_words(failure f) {
  switch (f) {
    case failure::none: return "ok";
    case failure::unreachable: return "unreachable";
    case failure::request_failed: return "request failed";
  }
  return "unknown";
}

status_totals total_status(const std::vector<node_result<admin::node_status>>& nodes) {
  status_totals t;
  t.nodes = nodes.size();
  for (const auto& n : nodes) {
    if (!n.ok()) continue;
    const auto& s = *n.reply;
    ++t.answered;
    t.sessions += s.sessions;
    t.calls_in_flight += s.calls_in_flight;
    t.memory_budget_used += s.memory_budget_used;
    t.memory_budget_limit += s.memory_budget_limit;
    t.servers += s.servers;
    t.servers_connected += s.servers_connected;
    t.requests += s.requests;
    t.timeouts += s.timeouts;
    t.open_uploads += s.open_uploads;
    t.draining += s.draining ? 1 : 0;
  }
  return t;
}

servers_totals total_servers(const std::vector<node_result<admin::servers_reply>>& nodes) {
  servers_totals t;
  for (const auto& n : nodes) {
    if (!n.ok()) continue;
    for (const auto& s : n.reply->servers) {
      ++t.servers;
      t.up += s.state == "up" ? 1 : 0;
      t.connections_up += s.connections_up;
      t.connections += s.connections;
      t.in_flight += s.in_flight;
      t.calls += s.calls;
      t.errors += s.errors;
      t.reconnects += s.reconnects;
      t.ejections += s.ejections;
    }
  }
  return t;
}

namespace {

// Counters are cumulative; a smaller later value (a restarted daemon) counts as a fresh start.
std::uint64_t grown(std::uint64_t before, std::uint64_t after) { return after >= before ? after - before : after; }

}  // namespace

top_screen top_delta(const admin::top_reply& before, const admin::top_reply& after, std::string node) {
  top_screen s;
  s.node = std::move(node);
  auto wall_ns = static_cast<double>(grown(before.taken_at_ns, after.taken_at_ns));
  s.interval_s = wall_ns / 1e9;
  auto pct = [&](std::uint64_t ns) { return wall_ns > 0 ? 100.0 * static_cast<double>(ns) / wall_ns : 0.0; };
  auto rate = [&](std::uint64_t n) { return wall_ns > 0 ? static_cast<double>(n) * 1e9 / wall_ns : 0.0; };
  s.process_pct = pct(grown(before.cpu.process_ns, after.cpu.process_ns));
  s.attributed_pct = pct(grown(before.cpu.attributed_ns, after.cpu.attributed_ns));
  s.runtime_pct = pct(grown(before.cpu.runtime_ns, after.cpu.runtime_ns));

  std::unordered_map<std::uint64_t, const admin::actor_row*> earlier;
  for (const auto& r : before.instances) earlier[r.id] = &r;
  for (const auto& r : after.instances) {
    std::uint64_t cpu = r.cpu_ns, msgs = r.messages;
    if (auto it = earlier.find(r.id); it != earlier.end()) {
      cpu = grown(it->second->cpu_ns, r.cpu_ns);
      msgs = grown(it->second->messages, r.messages);
    }
    top_row row{s.node, r.id, r.actor, pct(cpu), rate(msgs), r.mailbox_depth, r.mailbox_depth_max};
    s.cpu_pct_total += row.cpu_pct;
    s.msgs_per_s_total += row.msgs_per_s;
    s.rows.push_back(std::move(row));
  }
  sort_by_cpu(s.rows);
  return s;
}

void sort_by_cpu(std::vector<top_row>& rows) {
  std::stable_sort(rows.begin(), rows.end(), [](const top_row& a, const top_row& b) {
    if (a.cpu_pct != b.cpu_pct) return a.cpu_pct > b.cpu_pct;
    if (a.msgs_per_s != b.msgs_per_s) return a.msgs_per_s > b.msgs_per_s;
    if (a.node != b.node) return a.node < b.node;
    return a.id < b.id;
  });
}

}  // namespace ferry::ctl
