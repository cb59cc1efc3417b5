// SIGTERM while writes are in flight: ferryd drains, exits 0 and removes its socket; every write it
// answered OK is on the stores, as a fresh ferryd on the same stores shows.
#include <catch2/catch.hpp>

#include <atomic>
#include <csignal>
#include <memory>
#include <mutex>
#include <sys/wait.h>
#include <thread>

#include "daemon_fixture.hpp"

using namespace ferry;
using namespace ferry::daemon_test;

TEST_CASE("SIGTERM drains in-flight writes: each one answered OK survives, exit 0, socket removed",
          "[ferryd][integration][drain]") {
  temp_dir dir;
  auto stores = start_stores(2);
  const auto socket = dir.file("ferryd.sock");
  // While ferryd drains, open sessions answer new calls SHUTTING_DOWN: only the calls already taken
  // are waited for, well within the grace.
  auto d = start_ferryd_on(socket, stores, {"--replicas", "2", "--write-quorum", "2", "--drain-grace-ms", "5000"});

  constexpr int writers = 4, max_puts = 20000;  // a writer stops at its first failure or at max_puts
  std::atomic<int> ok_total{0};
  std::mutex m;
  std::vector<std::pair<std::string, std::string>> acknowledged;
  std::vector<int> last_status(writers, FERRY_OK);
  std::vector<std::unique_ptr<client>> clients;  // opened here: Catch's assertions are not for threads
  for (int t = 0; t < writers; ++t) clients.push_back(std::make_unique<client>(socket));
  std::vector<std::thread> pool;
  for (int t = 0; t < writers; ++t)
    pool.emplace_back([&, t] {
      auto& c = *clients[static_cast<std::size_t>(t)];
      for (int i = 0; i < max_puts; ++i) {
        auto key = "drain/" + std::to_string(t) + "/" + std::to_string(i);
        auto value = "v" + std::to_string(i);
        int rc = c.put(key, value, 5000);
        if (rc != FERRY_OK) {
          last_status[static_cast<std::size_t>(t)] = rc;
          return;
        }
        ++ok_total;
        std::lock_guard lock(m);
        acknowledged.emplace_back(key, value);
      }
    });
  const bool busy = eventually([&] { return ok_total >= 100; }, 20s, 1ms);
  d.proc->signal(SIGTERM);
  for (auto& th : pool) th.join();
  REQUIRE(busy);

  auto status = d.proc->wait(30s);
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
  CHECK_FALSE(std::filesystem::exists(socket));
  for (int rc : last_status) {
    INFO(ferry_strerror(rc));
    // Every writer was stopped by the shutdown, not by running out of work: its next call was answered
    // SHUTTING_DOWN (or found the connection closed once ferryd had exited).
    CHECK((rc == FERRY_SHUTTING_DOWN || rc == FERRY_E_CONNECT || rc == FERRY_E_CLOSED));
  }

  auto fresh = start_ferryd_on(socket, stores, {"--replicas", "2", "--write-quorum", "2"});
  client c(fresh.socket);
  std::size_t readable = 0;
  for (const auto& [key, value] : acknowledged)
    if (c.get(key, nullptr, 5000).second == value) ++readable;
  CHECK(readable == acknowledged.size());
  CHECK(acknowledged.size() == static_cast<std::size_t>(ok_total.load()));
}
