// The admin actor and /metrics of a real ferryd, reached the way ferryctl and Prometheus reach them: as a
// remote CAF node over loopback and over HTTP. Also: steering (log level, reload, drain) and the refusals.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <set>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "actors/admin/admin_protocol.hpp"
#include "daemon_fixture.hpp"
#include "prometheus_text.hpp"

using namespace ferry;
using namespace ferry::daemon_test;
namespace adm = ferry::admin;

namespace {

/// A CAF node that asks one ferryd's admin actor, each request bounded.
struct admin_client {
  caf::actor_system_config cfg;
  caf::actor_system sys;
  adm::admin_actor admin;

  static caf::actor_system_config& init(caf::actor_system_config& c) {
    adm::add_admin_types(c);
    c.load<caf::io::middleman>();
    c.set("logger.verbosity", caf::atom("quiet"));
    return c;
  }
  explicit admin_client(std::uint16_t port) : sys(init(cfg)) {
    auto r = sys.middleman().remote_actor<adm::admin_actor>("127.0.0.1", port);
    if (!r) FAIL("connecting to the admin actor: " << sys.render(r.error()));
    admin = *r;
  }
  template <class Reply, class Request>
  Reply ask(Request req) {
    caf::scoped_actor self{sys};
    Reply out;
    bool ok = false;
    std::string err;
    self->request(admin, std::chrono::seconds(10), std::move(req))
        .receive([&](Reply& r) { out = std::move(r); ok = true; }, [&](caf::error& e) { err = sys.render(e); });
    if (!ok) FAIL("admin request failed: " << err);
    return out;
  }
};

/// The value of the series `name{labels}` (labels as written, "" for none), or -1.
double series_value(const test::prom_exposition& e, const std::string& name, const std::string& server = {}) {
  for (const auto& f : e.families)
    for (const auto& s : f.samples) {
      if (s.name != name) continue;
      bool match = server.empty();
      for (const auto& [k, v] : s.labels)
        if (k == "server" && v == server) match = true;
      if (match) return s.value;
    }
  return -1;
}

}  // namespace

TEST_CASE("the admin actor shows the live tree, servers, sessions and meters — /metrics is valid Prometheus text",
          "[ferryd][integration][admin]") {
  temp_dir dir;
  auto stores = start_stores(2);
  auto d = start_ferryd_on(dir.file("ferryd.sock"), stores,
                           {"--replicas", "2", "--write-quorum", "2", "--connections", "2", "--admin", "127.0.0.1:0",
                            "--metrics", "127.0.0.1:0"});
  REQUIRE(d.admin_port != 0);
  REQUIRE(d.metrics_port != 0);
  client c(d.socket);
  for (int i = 0; i < 20; ++i) REQUIRE(c.put("admin/" + std::to_string(i), "v") == FERRY_OK);

  admin_client ac(d.admin_port);
  auto tree = ac.ask<adm::tree_reply>(adm::tree_request{});
  std::vector<std::string> ids;
  for (const auto& n : tree.nodes) ids.push_back(std::string(n.depth * 2, ' ') + n.id + " " + n.status);
  std::vector<std::string> expected{"ferryd running", "  event_log running", "  router running", "  backend_sup running"};
  for (const auto& s : stores) {
    expected.push_back("    store " + s.address() + " running");
    expected.push_back("      conn 0 running");
    expected.push_back("      conn 1 running");
  }
  for (const char* rest : {"  session_sup running", "  listener_sup running", "    uds running", "  admin running"})
    expected.push_back(rest);
  // Stores are children of backend_sup in configuration order.
  CHECK(ids == expected);
  CHECK(tree.nodes.front().strategy == "rest_for_one");
  auto sessions_sup = std::find_if(tree.nodes.begin(), tree.nodes.end(), [](auto& n) { return n.id == "session_sup"; });
  REQUIRE(sessions_sup != tree.nodes.end());
  CHECK(sessions_sup->strategy == "simple_one_for_one");
  CHECK(sessions_sup->children >= 1);  // our client's session (and possibly the routing probes' closing ones)
  for (const auto& n : tree.nodes) CHECK(n.restarts == 0);

  auto servers = ac.ask<adm::servers_reply>(adm::servers_request{});
  REQUIRE(servers.servers.size() == 2);
  for (const auto& s : servers.servers) {
    CHECK(s.state == "up");
    CHECK(s.connections == 2);
    CHECK(s.connections_up == 2);
    CHECK(s.calls >= 20);  // R=2: every put went to both stores
    CHECK(s.latency_count >= 20);
    CHECK(s.p50_us <= s.p99_us);
    CHECK(s.p99_us <= s.max_us);
  }

  auto sessions = ac.ask<adm::sessions_reply>(adm::sessions_request{});
  auto mine = std::find_if(sessions.sessions.begin(), sessions.sessions.end(),
                           [](auto& s) { return s.peer_pid == getpid() && s.calls >= 20; });
  REQUIRE(mine != sessions.sessions.end());
  CHECK(mine->peer_uid == static_cast<std::int64_t>(getuid()));
  CHECK(mine->transport == "unix");
  CHECK(mine->bytes_in > 20 * 16);
  CHECK(mine->bytes_out > 0);

  auto top = ac.ask<adm::top_reply>(adm::top_request{});
  std::set<std::string> names;
  for (const auto& r : top.names)
    if (r.messages > 0) names.insert(r.actor);
  for (const char* a : {"router", "session", "rpc_connection", "event_log", "supervisor ferryd", "supervisor session_sup"})
    CHECK(names.count(a) == 1);
  CHECK(top.cpu.process_ns > 0);
  CHECK(top.cpu.attributed_ns > 0);
  CHECK(top.cpu.attributed_ns + top.cpu.runtime_ns == std::max(top.cpu.process_ns, top.cpu.attributed_ns));

  auto status = ac.ask<adm::node_status>(adm::status_request{});
  CHECK(status.pid == d.proc->pid());
  CHECK(status.socket == d.socket);
  CHECK(status.servers == 2);
  CHECK(status.servers_connected == 2);
  CHECK(status.sessions >= 1);
  CHECK(status.requests >= 20);

  auto text = http_get_metrics(d.metrics_port);
  REQUIRE_FALSE(text.empty());
  auto parsed = test::parse_prometheus_text(text);
  INFO(parsed.describe_errors());
  CHECK(parsed.ok());
  for (const auto& s : stores) {
    CHECK(series_value(parsed, "ferry_server_calls_total", s.address()) >= 20);
    CHECK(series_value(parsed, "ferry_server_up", s.address()) == 1);
    CHECK(series_value(parsed, "ferry_server_latency_seconds_count", s.address()) >= 20);
  }
  CHECK(series_value(parsed, "ferry_router_requests_total") >= 20);
  // R = 2, W = 2: every read wants one replica's version, and both replicas took every write.
  CHECK(series_value(parsed, "ferry_router_read_repairs_total") == 0);
  CHECK(series_value(parsed, "ferry_router_degraded_reads_total") == 0);
  CHECK(series_value(parsed, "ferry_process_cpu_seconds_total") > 0);
}

TEST_CASE("the admin actor steers: log level, reload of the config file, drain to exit 0",
          "[ferryd][integration][admin]") {
  temp_dir dir;
  auto stores = start_stores(2);
  const auto cfg = dir.file("ferryd.toml");
  std::ofstream(cfg) << "[stores]\nservers = [\"" << stores[0].address() << "\"]\nreplicas = 1\nwrite_quorum = 1\n";
  auto d = test::start_ferryd(FERRYD_BIN, {"--config", cfg, "--socket", dir.file("ferryd.sock"), "--admin",
                                           "127.0.0.1:0", "--log-level", "warn", "--quiet"});
  wait_until_routing(d.socket);
  admin_client ac(d.admin_port);

  auto lvl = ac.ask<adm::log_level_reply>(adm::log_level_request{""});
  CHECK(lvl.previous == "off");  // --quiet without a log file
  lvl = ac.ask<adm::log_level_reply>(adm::log_level_request{"info"});
  CHECK(lvl.previous == "off");
  CHECK(lvl.current == "info");
  lvl = ac.ask<adm::log_level_reply>(adm::log_level_request{"loud"});
  CHECK(lvl.current.starts_with("info (unchanged"));

  {
    std::ofstream(cfg + ".new") << "[stores]\nservers = [\"" << stores[0].address() << "\", \"" << stores[1].address()
                                << "\"]\nreplicas = 1\nwrite_quorum = 1\n";
    std::filesystem::rename(cfg + ".new", cfg);
  }
  auto rl = ac.ask<adm::reload_reply>(adm::reload_request{});
  CHECK(rl.ok);
  CHECK(rl.applied.find("added store " + stores[1].address()) != std::string::npos);
  CHECK(eventually([&] { return ac.ask<adm::node_status>(adm::status_request{}).servers_connected == 2; }));
  std::ofstream(cfg) << "[stores]\nreplicas = \"three\"\n";
  rl = ac.ask<adm::reload_reply>(adm::reload_request{});
  CHECK_FALSE(rl.ok);
  CHECK(rl.applied.find("stores.replicas") != std::string::npos);
  CHECK(ac.ask<adm::node_status>(adm::status_request{}).servers == 2);  // nothing changed

  auto dr = ac.ask<adm::drain_reply>(adm::drain_request{});
  CHECK(dr.sessions <= 2);
  auto status = d.proc->wait(std::chrono::seconds(30));
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
  CHECK_FALSE(std::filesystem::exists(d.socket));
}

TEST_CASE("ferryd refuses an admin endpoint off loopback without TLS, and unreadable TLS files, before starting",
          "[ferryd][integration][admin]") {
  temp_dir dir;
  auto stores = start_stores(1);
  auto run = [&](std::vector<std::string> extra) {
    std::vector<std::string> args{"--socket", dir.file("ferryd.sock"), "--store", stores[0].address(), "--replicas", "1",
                                  "--write-quorum", "1", "--quiet"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto log = dir.file("refused.stderr");
    auto p = test::spawn_ferryd(FERRYD_BIN, args, log);
    auto status = p->wait(std::chrono::seconds(20));
    std::ifstream in(log);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return std::make_pair(status, text);
  };
  auto [st, err] = run({"--admin", "0.0.0.0:0"});
  REQUIRE(st);
  CHECK(WEXITSTATUS(*st) == 2);
  CHECK(err.find("admin.bind: '0.0.0.0' is off loopback: set admin.tls_cert and admin.tls_key") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.file("ferryd.sock")));

  const auto conf = dir.file("tls.toml");
  std::ofstream(conf) << "[admin]\nport = 0\ntls_cert = \"" << dir.file("missing.pem") << "\"\ntls_key = \""
                      << dir.file("missing.key") << "\"\n";
  auto [st2, err2] = run({"--config", conf, "--admin", "127.0.0.1:0"});
  REQUIRE(st2);
  CHECK(WEXITSTATUS(*st2) == 2);
  CHECK(err2.find("ferryd: admin TLS: " + dir.file("missing.pem")) != std::string::npos);
}
