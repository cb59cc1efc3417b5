// render_json: the --json documents, one line each: {"command":..., "nodes":[{"node":..., "ok":true, ...} or
// {"node":..., "ok":false, "failure":"unreachable", "error":...}], "totals":{...}}. Field names are the
// admin protocol's (actors/admin/admin_protocol.hpp); rates are per second, CPU in % of one core.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "view.hpp"

namespace ferry::ctl {

std::string json_status(const std::vector<node_result<admin::node_status>>& nodes);
std::string json_tree(const std::vector<node_result<admin::tree_reply>>& nodes);
std::string json_top(const std::vector<node_result<top_screen>>& nodes, std::size_t limit);
std::string json_servers(const std::vector<node_result<admin::servers_reply>>& nodes);
std::string json_sessions(const std::vector<node_result<admin::sessions_reply>>& nodes);
std::string json_drain(const std::vector<node_result<admin::drain_reply>>& nodes);
std::string json_restart(const std::vector<node_result<admin::restart_reply>>& nodes);
std::string json_reload(const std::vector<node_result<admin::reload_reply>>& nodes);
std::string json_log_level(const std::vector<node_result<admin::log_level_reply>>& nodes);

}  // namespace ferry::ctl
