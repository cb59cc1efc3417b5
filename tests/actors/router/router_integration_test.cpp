// The router over real rpc_connection actors and three real ferry-store processes on loopback: writes,
// reads, LIST, and a store killed mid-test (reads fail over, writes needing it answer UNAVAILABLE in time).
#include <catch2/catch.hpp>

#include <caf/all.hpp>

#include <csignal>
#include <memory>
#include <string>
#include <vector>

#include "actors/router/placement.hpp"
#include "actors/router/router_actor.hpp"
#include "actors/rpc_connection/rpc_connection.hpp"
#include "actors/rpc_connection/tcp_link.hpp"
#include "store_process.hpp"
#include "transport/io_thread.hpp"

using namespace std::chrono_literals;
using namespace ferry;
using namespace ferry::actors;
using proto::status;

namespace {

constexpr auto bound = 10s;  // the longest any single wait may take

shared_bytes bytes_of(const std::string& s) { return std::make_shared<const std::vector<xdr::byte>>(s.begin(), s.end()); }

}  // namespace

TEST_CASE("over three real stores the router writes, reads, lists, and fails reads over when a store dies",
          "[router][integration]") {
  transport::io_thread io;  // outlives the actor system, hence every link
  caf::actor_system_config cfg;
  cfg.set("scheduler.policy", caf::atom("sharing"));
  cfg.set("scheduler.max-threads", 2);
  add_rpc_error_category(cfg);
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};

  std::vector<test::store_process> stores;
  for (int i = 0; i < 3; ++i) stores.push_back(test::start_store(FERRY_STORE_BIN));

  router_config rc;
  rc.writer = 1;
  rc.quorum = {2, 2};
  auto router = spawn_router(sys, rc);

  std::vector<server_entry> servers;
  std::vector<caf::actor> conns;
  for (auto& s : stores) {
    rpc_connection_config c;
    c.server = s.address();
    c.program = proto::store::program;
    c.version = proto::store::version;
    c.backoff = {20ms, 200ms, 0.2};
    c.listener = self;  // the test waits for "connected"; the router assumes it until told otherwise
    auto conn = spawn_rpc_connection(sys, c, tcp_link_factory(io.context(), {"127.0.0.1", s.port, {}}));
    conns.push_back(conn);
    servers.push_back({s.address(), {conn}});
  }
  for (int i = 0; i < 3; ++i) {
    bool up = false;
    self->receive([&](connection_state_changed& ev) { up = ev.connected; }, caf::after(bound) >> [] {});
    REQUIRE(up);
  }
  self->send(router, set_servers{servers});

  auto deadline = [] { return std::chrono::steady_clock::now() + 3s; };
  auto put = [&](const std::string& key, const std::string& value) {
    auto owner = bytes_of(key + value);
    xdr::bytes_view all{*owner};
    write_reply out;
    self->request(router, bound, put_request{owner, {all.first(key.size()), all.subspan(key.size()), 0, {}, 0}, deadline()})
        .receive([&](write_reply& r) { out = std::move(r); }, [&](caf::error& e) { FAIL(sys.render(e)); });
    return out;
  };
  auto get = [&](const std::string& key) {
    auto owner = bytes_of(key);
    get_reply out;
    get_request req;
    req.owner = owner;
    req.args.key = xdr::bytes_view{*owner};
    req.deadline = deadline();
    self->request(router, bound, req)
        .receive([&](get_reply& r) { out = std::move(r); }, [&](caf::error& e) { FAIL(sys.render(e)); });
    return out;
  };

  std::vector<std::string> keys;
  for (int i = 0; i < 12; ++i) keys.push_back("obj/" + std::to_string(i));
  for (const auto& k : keys) CHECK(put(k, "value of " + k).code == status::ok);
  for (const auto& k : keys) {
    auto r = get(k);
    REQUIRE(r.code == status::ok);
    CHECK(std::string{xdr::as_chars(r.found.data)} == "value of " + k);
  }

  list_request lr;
  lr.args.limit = 100;
  lr.deadline = deadline();
  self->request(router, bound, lr)
      .receive(
          [&](list_reply& r) {
            REQUIRE(r.code == status::ok);
            CHECK(r.entries.size() == keys.size());  // each key once, though stored on two servers
            CHECK_FALSE(r.more);
          },
          [&](caf::error& e) { FAIL(sys.render(e)); });

  // Kill one store: every key keeps a live replica, so every read is still served.
  const auto dead = stores[0].address();
  stores[0].proc->signal(SIGKILL);
  stores[0].proc->wait(bound);
  self->receive([&](connection_state_changed& ev) { CHECK_FALSE(ev.connected); }, caf::after(bound) >> [] {});
  std::vector<std::string> ids;
  for (auto& s : stores) ids.push_back(s.address());
  int writes_unavailable = 0;
  for (const auto& k : keys) {
    auto r = get(k);
    INFO("get " << k << ": " << r.detail);
    CHECK(r.code == status::ok);
    auto reps = router::replicas(xdr::as_bytes(k), ids, 2);
    const bool needs_dead = reps[0] == dead || reps[1] == dead;
    auto w = put(k, "again");
    INFO(w.detail);
    CHECK(w.code == (needs_dead ? status::unavailable : status::ok));
    writes_unavailable += needs_dead;
  }
  CHECK(writes_unavailable > 0);

  self->request(router, bound, router_stats_atom::value)
      .receive([&](router_stats& s) { CHECK(s.open_requests == 0); }, [&](caf::error& e) { FAIL(sys.render(e)); });
  caf::anon_send_exit(router, caf::exit_reason::user_shutdown);
  for (auto& c : conns) caf::anon_send_exit(c, caf::exit_reason::user_shutdown);
}
