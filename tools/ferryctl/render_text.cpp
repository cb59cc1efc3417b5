// render_text: aligned tables in human units; the tree with box-drawing connectors.
#include "render_text.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace ferry::ctl {

namespace {

// Display width of UTF-8 text ("µs", "├──"): code points, every one a single column here.
std::size_t width(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

// A table with one header row; `right` marks the numeric columns. Columns are as wide as their widest
// cell, two spaces apart; the last column is not padded.
class table {
 public:
  table(std::vector<std::string> header, std::vector<bool> right) : right_(std::move(right)) {
    rows_.push_back(std::move(header));
  }
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  std::string text() const {
    std::vector<std::size_t> w(rows_.front().size(), 0);
    for (const auto& r : rows_)
      for (std::size_t i = 0; i < r.size() && i < w.size(); ++i) w[i] = std::max(w[i], width(r[i]));
    std::string out;
    for (const auto& r : rows_) {
      std::string line;
      for (std::size_t i = 0; i < r.size(); ++i) {
        auto pad = std::string(w[i] - std::min(w[i], width(r[i])), ' ');
        bool last = i + 1 == r.size();
        if (i > 0) line += "  ";
        if (i < right_.size() && right_[i]) line += pad + r[i];
        else line += last ? r[i] : r[i] + pad;
      }
      while (!line.empty() && line.back() == ' ') line.pop_back();
      out += line + "\n";
    }
    return out;
  }

 private:
  std::vector<bool> right_;
  std::vector<std::vector<std::string>> rows_;
};

std::string num(std::uint64_t v) { return fmt::format("{}", v); }

// A failed node as a table row: its name, then the failure words in the second column.
template <class Reply>
std::vector<std::string> failed_row(const node_result<Reply>& n, std::size_t columns) {
  std::vector<std::string> row(columns);
  row[0] = n.node;
  if (columns > 1) row[1] = failure_words(n.why);
  return row;
}

}  // namespace

std::string bytes_text(std::uint64_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  static constexpr const char* units[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = static_cast<double>(bytes) / 1024.0;
  std::size_t u = 0;
  while (v >= 1024.0 && u + 1 < std::size(units)) {
    v /= 1024.0;
    ++u;
  }
  return fmt::format("{:.1f} {}", v, units[u]);
}

std::string micros_text(std::uint64_t us) {
  if (us < 1000) return fmt::format("{}µs", us);
  if (us < 1'000'000) return fmt::format("{:.2f}ms", static_cast<double>(us) / 1e3);
  return fmt::format("{:.2f}s", static_cast<double>(us) / 1e6);
}

std::string duration_text(std::uint64_t ms) {
  if (ms < 1000) return fmt::format("{}ms", ms);
  auto s = ms / 1000;
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  if (s < 86400) return fmt::format("{}h{:02}m", s / 3600, s % 3600 / 60);
  return fmt::format("{}d{:02}h", s / 86400, s % 86400 / 3600);
}

std::string percent_text(double pct) { return fmt::format("{:.1f}", pct); }

std::string rate_text(double per_s) {
  return per_s < 1000 ? fmt::format("{:.1f}", per_s) : fmt::format("{:.0f}", per_s);
}

std::string render_status(const std::vector<node_result<admin::node_status>>& nodes) {
  table t({"NODE", "STATE", "VERSION", "PID", "UPTIME", "SESSIONS", "IN_FLIGHT", "REQUESTS", "TIMEOUTS",
           "UPLOADS", "SERVERS", "MEMORY", "CPU", "SOCKET", "TCP"},
          {false, false, false, true, true, true, true, true, true, true, true, true, true, false, false});
  for (const auto& n : nodes) {
    if (!n.ok()) {
      t.add(failed_row(n, 15));
      continue;
    }
    const auto& s = *n.reply;
    t.add({n.node, s.draining ? "draining" : "serving", s.version, fmt::format("{}", s.pid),
           duration_text(s.uptime_ms), num(s.sessions), num(s.calls_in_flight), num(s.requests), num(s.timeouts),
           num(s.open_uploads), fmt::format("{}/{}", s.servers_connected, s.servers),
           fmt::format("{}/{}", bytes_text(s.memory_budget_used), bytes_text(s.memory_budget_limit)),
           micros_text(s.cpu.process_ns / 1000), s.socket, s.tcp.empty() ? "-" : s.tcp});
  }
  auto tot = total_status(nodes);
  if (nodes.size() > 1)
    t.add({"TOTAL", fmt::format("{}/{} up", tot.answered, tot.nodes), "", "", "", num(tot.sessions),
           num(tot.calls_in_flight), num(tot.requests), num(tot.timeouts), num(tot.open_uploads),
           fmt::format("{}/{}", tot.servers_connected, tot.servers),
           fmt::format("{}/{}", bytes_text(tot.memory_budget_used), bytes_text(tot.memory_budget_limit)), "", "",
           ""});
  return t.text();
}

std::string render_tree(const admin::tree_reply& tree) {
  const auto& v = tree.nodes;
  // last[i]: no later sibling of node i, i.e. no node at the same depth before the parent's subtree ends.
  std::vector<bool> last(v.size(), true);
  for (std::size_t i = 0; i < v.size(); ++i)
    for (std::size_t j = i + 1; j < v.size() && v[j].depth >= v[i].depth; ++j)
      if (v[j].depth == v[i].depth) {
        last[i] = false;
        break;
      }
  std::string out;
  std::vector<bool> open;  // open[k]: the ancestor at depth k+1 has later siblings (draw "│")
  for (std::size_t i = 0; i < v.size(); ++i) {
    const auto& n = v[i];
    std::string prefix;
    if (n.depth > 0) {
      open.resize(n.depth - 1);
      for (bool o : open) prefix += o ? "│   " : "    ";
      prefix += last[i] ? "└── " : "├── ";
      open.push_back(!last[i]);
    } else {
      open.clear();
    }
    std::string what = n.kind;
    if (n.kind == "supervisor" && !n.strategy.empty()) what += " " + n.strategy;
    out += fmt::format("{}{}  {} {} restarts={}", prefix, n.id, what, n.status, n.restarts);
    if (n.kind == "supervisor") out += fmt::format(" children={}", n.children);
    if (!n.restart.empty() && n.restart != "permanent") out += " " + n.restart;
    out += "\n";
  }
  return out;
}

std::string render_trees(const std::vector<node_result<admin::tree_reply>>& nodes) {
  std::string out;
  for (const auto& n : nodes) {
    if (nodes.size() > 1 || !n.ok()) {
      if (!out.empty()) out += "\n";
      out += n.ok() ? n.node + "\n" : fmt::format("{} {}\n", n.node, failure_words(n.why));
    }
    if (n.ok()) out += render_tree(*n.reply);
  }
  return out;
}

std::string render_top(const std::vector<node_result<top_screen>>& nodes, std::size_t limit) {
  bool several = nodes.size() > 1;
  std::string out;
  std::vector<top_row> rows;
  for (const auto& n : nodes) {
    if (!n.ok()) {
      out += fmt::format("{}  {}\n", n.node, failure_words(n.why));
      continue;
    }
    const auto& s = *n.reply;
    out += fmt::format("{}  cpu {}% of one core: attributed {}%, runtime {}% (over {:.2f}s, {} actors)\n", s.node,
                       percent_text(s.process_pct), percent_text(s.attributed_pct), percent_text(s.runtime_pct),
                       s.interval_s, s.rows.size());
    rows.insert(rows.end(), s.rows.begin(), s.rows.end());
  }
  sort_by_cpu(rows);
  if (limit != 0 && rows.size() > limit) rows.resize(limit);
  std::vector<std::string> header{"ID", "ACTOR", "CPU%", "MSGS/s", "MBOX", "MBOX_MAX"};
  std::vector<bool> right{true, false, true, true, true, true};
  if (several) {
    header.insert(header.begin(), "NODE");
    right.insert(right.begin(), false);
  }
  table t(header, right);
  for (const auto& r : rows) {
    std::vector<std::string> row{num(r.id), r.actor, percent_text(r.cpu_pct), rate_text(r.msgs_per_s),
                                 num(r.mailbox), num(r.mailbox_max)};
    if (several) row.insert(row.begin(), r.node);
    t.add(std::move(row));
  }
  for (const auto& n : nodes) {
    if (!n.ok()) continue;
    std::vector<std::string> row{"", "TOTAL", percent_text(n.reply->cpu_pct_total),
                                 rate_text(n.reply->msgs_per_s_total), "", ""};
    if (several) row.insert(row.begin(), n.node);
    else if (rows.empty()) continue;
    t.add(std::move(row));
  }
  return out + "\n" + t.text();
}

std::string render_servers(const std::vector<node_result<admin::servers_reply>>& nodes) {
  table t({"NODE", "SERVER", "STATE", "CONN", "IN_FLIGHT", "CALLS", "ERRORS", "RECONN", "EJECT", "P50", "P90", "P99",
           "P99.9", "MAX"},
          {false, false, false, true, true, true, true, true, true, true, true, true, true, true});
  for (const auto& n : nodes) {
    if (!n.ok()) {
      auto row = failed_row(n, 14);
      row[1] = "-";
      row[2] = failure_words(n.why);
      t.add(std::move(row));
      continue;
    }
    for (const auto& s : n.reply->servers)
      t.add({n.node, s.server, s.state, fmt::format("{}/{}", s.connections_up, s.connections), num(s.in_flight),
             num(s.calls), num(s.errors), num(s.reconnects), num(s.ejections), micros_text(s.p50_us),
             micros_text(s.p90_us), micros_text(s.p99_us), micros_text(s.p999_us), micros_text(s.max_us)});
  }
  auto tot = total_servers(nodes);
  t.add({"TOTAL", fmt::format("{} servers", tot.servers), fmt::format("{} up", tot.up),
         fmt::format("{}/{}", tot.connections_up, tot.connections), num(tot.in_flight), num(tot.calls),
         num(tot.errors), num(tot.reconnects), num(tot.ejections), "", "", "", "", ""});
  return t.text();
}

std::string render_sessions(const std::vector<node_result<admin::sessions_reply>>& nodes) {
  table t({"NODE", "ACTOR", "PID", "UID", "GID", "TRANSPORT", "AGE", "CALLS", "IN_FLIGHT", "IN", "OUT", "SHM",
           "SHM_CALLS"},
          {false, true, true, true, true, false, true, true, true, true, true, true, true});
  std::uint64_t count = 0, calls = 0, in_flight = 0, in = 0, out = 0, shm_calls = 0;
  auto id = [](std::int64_t v) { return v < 0 ? std::string("-") : fmt::format("{}", v); };
  for (const auto& n : nodes) {
    if (!n.ok()) {
      t.add(failed_row(n, 13));
      continue;
    }
    for (const auto& s : n.reply->sessions) {
      t.add({n.node, num(s.actor_id), id(s.peer_pid), id(s.peer_uid), id(s.peer_gid), s.transport,
             duration_text(s.age_ms), num(s.calls), num(s.in_flight), bytes_text(s.bytes_in),
             bytes_text(s.bytes_out), s.shm_region_bytes == 0 ? "-" : bytes_text(s.shm_region_bytes),
             num(s.shm_calls)});
      ++count;
      shm_calls += s.shm_calls;
      calls += s.calls;
      in_flight += s.in_flight;
      in += s.bytes_in;
      out += s.bytes_out;
    }
  }
  t.add({"TOTAL", fmt::format("{} sessions", count), "", "", "", "", "", num(calls), num(in_flight), bytes_text(in),
         bytes_text(out), "", num(shm_calls)});
  return t.text();
}

std::string render_drain(const std::vector<node_result<admin::drain_reply>>& nodes) {
  std::string out;
  for (const auto& n : nodes)
    out += n.ok() ? fmt::format("{} draining: {} sessions, {} calls in flight\n", n.node, n.reply->sessions,
                                n.reply->calls_in_flight)
                  : fmt::format("{} {}\n", n.node, failure_words(n.why));
  return out;
}

std::string render_reload(const std::vector<node_result<admin::reload_reply>>& nodes) {
  std::string out;
  for (const auto& n : nodes) {
    if (!n.ok()) {
      out += fmt::format("{} {}\n", n.node, failure_words(n.why));
      continue;
    }
    const auto& r = *n.reply;
    out += fmt::format("{} reload {}: {}\n", n.node, r.ok ? "applied" : "refused", r.applied.empty() ? "-" : r.applied);
    if (!r.needs_restart.empty()) out += fmt::format("{} needs restart: {}\n", n.node, r.needs_restart);
  }
  return out;
}

std::string render_restart(const std::vector<node_result<admin::restart_reply>>& nodes) {
  std::string out;
  for (const auto& n : nodes)
    out += n.ok() ? fmt::format("{} restart {}: {}\n", n.node, n.reply->ok ? "done" : "refused", n.reply->message)
                  : fmt::format("{} {}\n", n.node, failure_words(n.why));
  return out;
}

std::string render_log_level(const std::vector<node_result<admin::log_level_reply>>& nodes) {
  std::string out;
  for (const auto& n : nodes) {
    if (!n.ok()) out += fmt::format("{} {}\n", n.node, failure_words(n.why));
    else if (n.reply->previous == n.reply->current) out += fmt::format("{} log level {}\n", n.node, n.reply->current);
    else out += fmt::format("{} log level {} (was {})\n", n.node, n.reply->current, n.reply->previous);
  }
  return out;
}

}  // namespace ferry::ctl
