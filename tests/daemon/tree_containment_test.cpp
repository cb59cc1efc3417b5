// ferryd's real supervision tree, in this process (daemon/tree.hpp's root_spec on the work-sharing
// scheduler, real stores on loopback, libferry clients): a fault in one rpc_connection restarts only
// that store's connections, a fault in one session ends only that session; every other actor in the
// tree stays the same actor and clients keep being served. Waits poll with a deadline, never sleep.
#include <catch2/catch.hpp>

#include <caf/all.hpp>

#include <algorithm>
#include <map>

#include "actors/rpc_connection/messages.hpp"
#include "daemon/tree.hpp"
#include "daemon_fixture.hpp"
#include "supervision/messages.hpp"
#include "supervision/supervisor.hpp"

using namespace std::chrono_literals;
using namespace ferry;
using namespace ferry::test;
using namespace ferry::daemon_test;
using supervision::child_info;

namespace {

struct in_process_ferryd {
  temp_dir dir;
  std::vector<store_process> stores = start_stores(2);
  config::ferryd_settings settings;
  std::unique_ptr<daemon::runtime> rt;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::unique_ptr<caf::scoped_actor> self;
  caf::actor root;

  in_process_ferryd() {
    settings.daemon.socket = dir.file("ferryd.sock");
    settings.stores.servers = {stores[0].address(), stores[1].address()};
    settings.stores.replicas = 1;
    settings.stores.write_quorum = 1;
    settings.stores.connections = 2;
    settings.log.to_stderr = false;
    settings.log.level = "off";
    rt = std::make_unique<daemon::runtime>(settings);
    cfg.set("scheduler.policy", caf::atom("sharing"));
    cfg.set("logger.verbosity", caf::atom("quiet"));
    actors::add_rpc_error_category(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
    self = std::make_unique<caf::scoped_actor>(*sys);
    auto started = supervision::start_supervisor(*sys, daemon::root_spec(settings, *rt));
    REQUIRE(started);
    root = *started;
    bool ok = false;
    (*self)->request(root, 20s, supervision::await_started{}).receive([&](caf::ok_atom) { ok = true; }, [](caf::error&) {});
    REQUIRE(ok);
    wait_until_routing(settings.daemon.socket);
  }
  ~in_process_ferryd() {
    (*self)->monitor(root);
    (*self)->send_exit(root, caf::exit_reason::user_shutdown);
    (*self)->receive([](caf::down_msg&) {}, caf::after(20s) >> [] {});
    self.reset();
    sys.reset();
    rt->stop_io();
  }

  caf::actor named(caf::atom_value name) { return sys->registry().get<caf::actor>(name); }

  std::vector<child_info> children(const caf::actor& sup) {
    std::vector<child_info> out;
    (*self)->request(sup, 10s, supervision::which_children{}).receive([&](std::vector<child_info>& v) { out = v; },
                                                                       [](caf::error&) {});
    return out;
  }
  caf::actor child(const caf::actor& sup, const std::string& id) {
    for (auto& c : children(sup))
      if (c.id == id) return c.actor;
    return {};
  }
  /// Every actor of the tree by path ("ferryd/backend_sup/store X/conn 0"), sessions included.
  std::map<std::string, caf::actor_id> snapshot() {
    std::map<std::string, caf::actor_id> out;
    std::function<void(const caf::actor&, const std::string&)> walk = [&](const caf::actor& sup, const std::string& path) {
      int session = 0;
      for (auto& c : children(sup)) {
        auto p = path + "/" + (c.id == "session" ? "session " + std::to_string(session++) : c.id);
        out[p] = c.actor ? c.actor->id() : 0;
        if (c.type == supervision::child_type::supervisor && c.actor) walk(c.actor, p);
      }
    };
    walk(root, "ferryd");
    return out;
  }
};

std::map<std::string, caf::actor_id> without_prefix(std::map<std::string, caf::actor_id> m, const std::string& prefix) {
  std::erase_if(m, [&](const auto& kv) { return kv.first.rfind(prefix, 0) == 0; });
  return m;
}

}  // namespace

TEST_CASE("runtime.scheduler_threads = 0 means one CAF worker a core, not CAF's own max(cores, 4)",
          "[ferryd][runtime]") {
  CHECK(ferry::daemon::caf_worker_threads(0, 2) == 2);
  CHECK(ferry::daemon::caf_worker_threads(0, 16) == 16);
  CHECK(ferry::daemon::caf_worker_threads(0, 0) == 1);  // hardware_concurrency may say "unknown"
  CHECK(ferry::daemon::caf_worker_threads(3, 2) == 3);  // a setting is taken as it is
}

TEST_CASE("a fault in one rpc_connection restarts that store's connections and nothing else",
          "[ferryd][containment]") {
  in_process_ferryd d;
  client c(d.settings.daemon.socket);  // a session that must live through it
  REQUIRE(c.put("before", "v") == FERRY_OK);
  auto backend = d.named(daemon::backend_name);
  const auto store_a = daemon::store_child_id(d.stores[0].address());
  auto sup_a = d.child(backend, store_a);
  REQUIRE(sup_a);
  const auto a_path = "ferryd/backend_sup/" + store_a + "/";
  auto before = d.snapshot();
  auto victim = d.child(sup_a, "conn 0");
  REQUIRE(victim);

  (*d.self)->send_exit(victim, caf::make_error(caf::sec::runtime_error, "injected fault"));

  // Both of store A's connections are new actors (one_for_all), running.
  REQUIRE(eventually([&] {
    auto now = d.snapshot();
    return now[a_path + "conn 0"] != before[a_path + "conn 0"] && now[a_path + "conn 1"] != before[a_path + "conn 1"] &&
           now[a_path + "conn 0"] != 0 && now[a_path + "conn 1"] != 0;
  }));
  auto after = d.snapshot();
  // Every other actor of the tree, the session included, is the very same actor as before.
  CHECK(without_prefix(after, a_path) == without_prefix(before, a_path));
  // The router learned the new connections: every key can be written again, on both stores.
  REQUIRE(eventually([&] {
    for (int i = 0; i < 24; ++i)
      if (c.put("after/" + std::to_string(i), "v", 2000) != FERRY_OK) return false;
    return true;
  }));
  CHECK(c.get("before").second == "v");
}

TEST_CASE("a fault in one session ends that session only", "[ferryd][containment]") {
  in_process_ferryd d;
  client first(d.settings.daemon.socket);
  REQUIRE(first.put("k1", "v1") == FERRY_OK);
  auto sessions = d.named(daemon::sessions_name);
  auto kids = d.children(sessions);
  REQUIRE(kids.size() == 1);  // first's session (the warm-up client has closed)
  auto victim = kids[0].actor;
  client second(d.settings.daemon.socket);
  REQUIRE(second.put("k2", "v2") == FERRY_OK);
  auto before = d.snapshot();

  (*d.self)->send_exit(victim, caf::make_error(caf::sec::runtime_error, "injected fault"));
  REQUIRE(eventually([&] { return d.children(sessions).size() == 1; }));

  // The faulty session is gone (temporary: not restarted); the survivor is second's.
  auto rest = d.children(sessions);
  CHECK(rest[0].actor != victim);
  auto after = d.snapshot();
  // The other client and every non-session actor are untouched.
  CHECK(without_prefix(after, "ferryd/session_sup/") == without_prefix(before, "ferryd/session_sup/"));
  CHECK(second.get("k1").second == "v1");
  CHECK(second.put("k4", "v4") == FERRY_OK);
  // first's connection was closed with its session; libferry reconnects for the next call, which a
  // new session serves.
  CHECK(first.put("k3", "v3") == FERRY_OK);
  auto now = d.children(sessions);
  CHECK(now.size() == 2);
  CHECK(std::none_of(now.begin(), now.end(), [&](const child_info& c) { return c.actor == victim; }));
}
