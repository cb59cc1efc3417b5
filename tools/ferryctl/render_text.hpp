// render_text: ferryctl's plain-text screens, one pure function a command (replies in, text out), so the
// exact layout is unit-tested without a daemon. Failed nodes appear as rows saying "unreachable" or
// "request failed"; their reasons go to stderr (ferryctl.cpp), not into these screens.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "view.hpp"

namespace ferry::ctl {

// -- human units -------------------------------------------------------------------------------------------

std::string bytes_text(std::uint64_t bytes);     ///< "512 B", "1.5 KiB", "3.0 MiB", "2.0 GiB"
std::string micros_text(std::uint64_t us);       ///< "850µs", "1.25ms", "2.50s"
std::string duration_text(std::uint64_t ms);     ///< "850ms", "12s", "5m07s", "1h02m", "3d04h"
std::string percent_text(double pct);            ///< "12.3"
std::string rate_text(double per_s);             ///< "0.5", "123.0", "12345"

// -- screens ----------------------------------------------------------------------------------------------

std::string render_status(const std::vector<node_result<admin::node_status>>& nodes);
/// One supervision tree as an indented tree ("├── router  worker running restarts=0").
std::string render_tree(const admin::tree_reply& tree);
/// Every node's tree, under a "NODE" heading when there is more than one node.
std::string render_trees(const std::vector<node_result<admin::tree_reply>>& nodes);
/// The top screen: per node the CPU split header, then the `limit` busiest actors of all nodes (0: all),
/// tagged with their node when there are several, then per-node totals.
std::string render_top(const std::vector<node_result<top_screen>>& nodes, std::size_t limit);
std::string render_servers(const std::vector<node_result<admin::servers_reply>>& nodes);
std::string render_sessions(const std::vector<node_result<admin::sessions_reply>>& nodes);
std::string render_drain(const std::vector<node_result<admin::drain_reply>>& nodes);
std::string render_restart(const std::vector<node_result<admin::restart_reply>>& nodes);
std::string render_reload(const std::vector<node_result<admin::reload_reply>>& nodes);
std::string render_log_level(const std::vector<node_result<admin::log_level_reply>>& nodes);

}  // namespace ferry::ctl
