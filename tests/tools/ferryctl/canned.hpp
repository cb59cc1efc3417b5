// canned: admin replies shared by the unit tests and the fake admin actor of the end-to-end test, so both
// check the same numbers.
#pragma once

#include <cstdint>
#include <string>

#include "actors/admin/admin_protocol.hpp"
#include "view.hpp"

namespace ferry::ctl::test {

inline admin::node_status canned_status(std::uint64_t sessions) {
  admin::node_status s;
  s.node = "fake";
  s.version = "0.1.0-fake";
  s.pid = 4242;
  s.uptime_ms = 3'723'000;  // 1h02m
  s.socket = "/run/ferry/ferryd.sock";
  s.tcp = "127.0.0.1:7350";
  s.sessions = sessions;
  s.calls_in_flight = 2;
  s.memory_budget_used = 3 * 1024 * 1024;
  s.memory_budget_limit = 64 * 1024 * 1024;
  s.servers = 3;
  s.servers_connected = 2;
  s.requests = 1000;
  s.timeouts = 1;
  s.open_uploads = 0;
  s.cpu = {1'500'000'000, 1'000'000'000, 500'000'000};
  return s;
}

inline admin::tree_reply canned_tree() {
  auto sup = [](std::uint32_t depth, std::string id, std::string strategy, std::uint64_t children) {
    return admin::tree_node{depth, std::move(id), "supervisor", std::move(strategy), "running", "permanent", 0, 10,
                            children};
  };
  auto worker = [](std::uint32_t depth, std::string id, std::string status, std::uint64_t restarts) {
    return admin::tree_node{depth, std::move(id), "worker", "", std::move(status), "permanent", restarts, 20, 0};
  };
  return {{sup(0, "ferryd", "one_for_all", 3), worker(1, "event_log", "running", 0), worker(1, "router", "running", 0),
           sup(1, "stores", "one_for_one", 2), sup(2, "store 127.0.0.1:7001", "one_for_one", 1),
           worker(3, "conn 0", "running", 2), sup(2, "store 127.0.0.1:7002", "one_for_one", 1),
           worker(3, "conn 0", "restarting", 5)}};
}

/// The tree above as ferryctl draws it.
inline const char* canned_tree_text =
    "ferryd  supervisor one_for_all running restarts=0 children=3\n"
    "├── event_log  worker running restarts=0\n"
    "├── router  worker running restarts=0\n"
    "└── stores  supervisor one_for_one running restarts=0 children=2\n"
    "    ├── store 127.0.0.1:7001  supervisor one_for_one running restarts=0 children=1\n"
    "    │   └── conn 0  worker running restarts=2\n"
    "    └── store 127.0.0.1:7002  supervisor one_for_one running restarts=0 children=1\n"
    "        └── conn 0  worker restarting restarts=5\n";

/// Snapshot number `k` of a daemon whose clock advances 1 s a snapshot: the router burns 250 ms and
/// handles 1000 messages a second, the event log 50 ms and 200, session 31 starts after snapshot 0.
inline admin::top_reply canned_top(std::uint64_t k) {
  admin::top_reply t;
  t.taken_at_ns = 5'000'000'000 + k * 1'000'000'000;
  t.cpu = {k * 400'000'000, k * 300'000'000, k * 100'000'000};
  t.instances.push_back({7, "router", 1, k * 1000, k * 250'000'000, 0, 3, 17, 0});
  t.instances.push_back({9, "event_log", 1, k * 200, k * 50'000'000, 0, 0, 4, 0});
  if (k > 0) t.instances.push_back({31, "session", 1, 10, 1'000'000, 0, 1, 1, 0});
  return t;
}

/// A node's result holding `r`.
template <class Reply>
node_result<Reply> answered(std::string node, Reply r) {
  node_result<Reply> n;
  n.node = std::move(node);
  n.reply = std::move(r);
  return n;
}

/// A node's result saying it was unreachable.
template <class Reply>
node_result<Reply> unreachable(std::string node) {
  node_result<Reply> n;
  n.node = std::move(node);
  n.why = failure::unreachable;
  n.error = "cannot connect";
  return n;
}

inline admin::servers_reply canned_servers() {
  admin::servers_reply r;
  r.servers.push_back({"127.0.0.1:7001", "up", 2, 2, 1, 500, 0, 0, 0, 120, 300, 900, 2500, 4000});
  r.servers.push_back({"127.0.0.1:7002", "down", 0, 2, 0, 300, 4, 2, 1, 150, 350, 1200, 3000, 1'500'000});
  return r;
}

inline admin::sessions_reply canned_sessions() {
  admin::sessions_reply r;
  r.sessions.push_back({31, 1234, 1000, 1000, "unix", 65'000, 12, 1, 2048, 4 * 1024 * 1024});
  return r;
}

}  // namespace ferry::ctl::test
