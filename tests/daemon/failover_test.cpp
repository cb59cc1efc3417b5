// A store dies under a running ferryd: reads fail over to the other replica, writes to its keys are
// refused UNAVAILABLE within their deadline, and a store restarted on the same port is reconnected.
#include <catch2/catch.hpp>

#include <csignal>

#include "daemon_fixture.hpp"

using namespace ferry;
using namespace ferry::daemon_test;

TEST_CASE("a killed store: reads fail over, its writes are UNAVAILABLE in time, a restart reconnects",
          "[ferryd][integration][failover]") {
  cluster cl(3, 2, 2);
  auto& stores = cl.stores;
  client c(cl.ferryd.socket);

  constexpr int keys = 30;
  auto key = [](int i) { return "failover/" + std::to_string(i); };
  auto value = [](int i) { return "value " + std::to_string(i); };
  std::vector<int> on_victim;  // keys with a replica on the store to be killed (stores[0])
  for (int i = 0; i < keys; ++i) {
    REQUIRE(c.put(key(i), value(i)) == FERRY_OK);
    REQUIRE(holders(stores, key(i), value(i)) == 2);
    if (stored_value(stores[0].port, key(i))) on_victim.push_back(i);
  }
  REQUIRE_FALSE(on_victim.empty());

  const auto victim_port = stores[0].port;
  const auto victim = stores[0].address();
  stores[0].proc->signal(SIGKILL);
  REQUIRE(stores[0].proc->wait(10s));

  for (int i = 0; i < keys; ++i) {
    auto [rc, v] = c.get(key(i), nullptr, 5000);
    INFO(key(i) << ": " << ferry_strerror(rc) << " " << ferry_last_detail());
    CHECK(rc == FERRY_OK);
    CHECK(v == value(i));
  }

  const auto k = key(on_victim.front());
  const auto start = std::chrono::steady_clock::now();
  const int rc = c.put(k, "written while a replica is dead", 2000);
  const auto took = std::chrono::steady_clock::now() - start;
  INFO(ferry_last_detail());
  CHECK(rc == FERRY_UNAVAILABLE);
  CHECK(std::string(ferry_last_detail()).find(victim) != std::string::npos);  // the detail names the dead store
  CHECK(took < 10s);
  // The refused write reached the live replica (writes go to all replicas at once, and are not undone).
  const auto now = c.get(k).second;
  CHECK((now == value(on_victim.front()) || now == "written while a replica is dead"));

  // The same port again, an empty store: ferryd's connections come back and writes to the key pass.
  std::optional<test::store_process> again;
  REQUIRE(eventually([&] {
    try {
      again.emplace(test::start_store(FERRY_STORE_BIN, {"--memory"}, victim_port));
      return true;
    } catch (const std::runtime_error&) {
      return false;  // the port may linger a moment after the kill
    }
  }));
  REQUIRE(eventually([&] { return c.put(k, "after restart", 2000) == FERRY_OK; }, 15s));
  CHECK(stored_value(victim_port, k) == "after restart");
  CHECK(c.get(k).second == "after restart");
}
