// view: what one ferryctl command gathered from every node (a reply or the reason there is none), and the
// top screen computed from two snapshots. Plain data shared by the renderers (text, JSON) and the tests.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "actors/admin/admin_protocol.hpp"

namespace ferry::ctl {

enum class failure {
  none,
  unreachable,     ///< no connection to the node's admin actor within the timeout
  request_failed,  ///< connected, but the request had no answer in time or was refused
};

/// One node's answer to one request.
template <class Reply>
struct node_result {
  std::string node;  ///< HOST:PORT as the operator wrote it
  std::optional<Reply> reply;
  failure why = failure::none;
  std::string error;  ///< the reason when `reply` is empty
  bool ok() const { return reply.has_value(); }
};

/// "unreachable" or "request failed": the words in front of a node's error.
std::string failure_words(failure f);

/// One actor's activity between two snapshots.
struct top_row {
  std::string node;
  std::uint64_t id = 0;
  std::string actor;
  double cpu_pct = 0;  ///< of one core
  double msgs_per_s = 0;
  std::uint64_t mailbox = 0;
  std::uint64_t mailbox_max = 0;
};

/// One node's top screen: process CPU split and the actors sorted by CPU, busiest first.
struct top_screen {
  std::string node;
  double interval_s = 0;  ///< between the two snapshots, by the daemon's clock
  double process_pct = 0;
  double attributed_pct = 0;
  double runtime_pct = 0;
  double cpu_pct_total = 0;  ///< sum of the rows
  double msgs_per_s_total = 0;
  std::vector<top_row> rows;
};

/// Sums over the nodes that answered `status`.
struct status_totals {
  std::size_t nodes = 0;
  std::size_t answered = 0;
  std::uint64_t sessions = 0;
  std::uint64_t calls_in_flight = 0;
  std::uint64_t memory_budget_used = 0;
  std::uint64_t memory_budget_limit = 0;
  std::uint64_t servers = 0;
  std::uint64_t servers_connected = 0;
  std::uint64_t requests = 0;
  std::uint64_t timeouts = 0;
  std::uint64_t open_uploads = 0;
  std::uint64_t draining = 0;  ///< nodes that are draining
};

status_totals total_status(const std::vector<node_result<admin::node_status>>& nodes);

/// Sums over every server row of every node that answered `servers`.
struct servers_totals {
  std::size_t servers = 0;
  std::size_t up = 0;
  std::uint64_t connections_up = 0;
  std::uint64_t connections = 0;
  std::uint64_t in_flight = 0;
  std::uint64_t calls = 0;
  std::uint64_t errors = 0;
  std::uint64_t reconnects = 0;
  std::uint64_t ejections = 0;
};

servers_totals total_servers(const std::vector<node_result<admin::servers_reply>>& nodes);

/// The top screen of `node` from two cumulative snapshots (`before` taken first). Instances only in
/// `after` count from zero (they started in between); rows sort by CPU, then messages/s, then id.
top_screen top_delta(const admin::top_reply& before, const admin::top_reply& after, std::string node);

/// Busiest first: CPU, then messages/s, then node, then id (a stable, total order for tests and screens).
void sort_by_cpu(std::vector<top_row>& rows);

/// True when any node has no reply.
template <class Reply>
bool any_failed(const std::vector<node_result<Reply>>& nodes) {
  for (const auto& n : nodes)
    if (!n.ok()) return true;
  return false;
}

}  // namespace ferry::ctl
