// A replica that was down while keys were overwritten or deleted comes back with the old state; ferryd
// reads one replica and takes its OK or NOT_FOUND as final (ROUTER.md "Simplification": no read repair,
// no version comparison across replicas), so acknowledged writes can read back stale. Kept as [!mayfail]
// until reads compare versions or repair: it documents the gap the data-loss checker sees through ferryd.
#include <catch2/catch.hpp>

#include "chaos_cluster.hpp"
#include "chaos_report.hpp"

namespace ferry::chaos {

TEST_CASE("writes acknowledged while a replica was down read back current through ferryd once it returns",
          "[chaos][stale-read][!mayfail]") {
  durable_cluster c(3, 3, 2);
  daemon_test::client cl(c.socket());
  constexpr int keys = 60;
  for (int i = 0; i < keys; ++i) REQUIRE(cl.put("stale/" + std::to_string(i), "old", 5000) == FERRY_OK);
  REQUIRE(c.serves_from_every_store(20s));  // every replica holds "old"

  c.kill_store(0);
  // W = 2 of R = 3: stores 1 and 2 acknowledge; store 0 keeps "old". Even keys overwritten, odd ones deleted.
  for (int i = 0; i < keys; ++i) {
    const auto key = "stale/" + std::to_string(i);
    REQUIRE((i % 2 == 0 ? cl.put(key, "new", 5000) : cl.del(key)) == FERRY_OK);
  }
  c.restart_store(0);
  REQUIRE(c.serves_from_every_store(20s));

  // ferryd reads the replica its health board ranks first (lowest latency EWMA): the returned store gives
  // stale answers whenever it ranks first, which changes as latencies move. Read rounds until one is seen,
  // bounded in rounds and time.
  int stale = 0, reads = 0, rounds = 0;
  const auto until = std::chrono::steady_clock::now() + 20s;
  while (stale == 0 && rounds < 200 && std::chrono::steady_clock::now() < until) {
    ++rounds;
    for (int i = 0; i < keys; ++i) {
      const auto key = "stale/" + std::to_string(i);
      auto [rc, value] = cl.get(key, nullptr, 5000);
      ++reads;
      const bool current = i % 2 == 0 ? (rc == FERRY_OK && value == "new") : rc == FERRY_NOT_FOUND;
      if (!current) ++stale;
    }
    // Writes elsewhere move every store's latency EWMA, and with it the read order; a restarted ferryd
    // starts a fresh health board (the libferry handle reconnects by itself).
    for (int i = 0; i < 5; ++i) REQUIRE(cl.put("stale-probe/" + std::to_string(i), "p", 5000) == FERRY_OK);
    if (rounds % 10 == 0) {
      c.kill_ferryd();
      c.restart_ferryd();
    }
  }
  summary s("stale_read");
  s.add("scenario", "60 keys written, store 0 SIGKILLed, 30 overwritten + 30 deleted (acked W=2), store 0 "
                    "restarted, the keys read through ferryd in rounds until a stale answer (at most 200 rounds / 20 s, ferryd restarted every 10 rounds)");
  s.add("stale reads", std::to_string(stale) + " of " + std::to_string(reads) + " in " + std::to_string(rounds) +
                           " rounds");
  REQUIRE(s.write());
  WARN("stale reads through ferryd: " << stale << " of " << reads << " in " << rounds << " rounds");
  CHECK(stale == 0);
}

}  // namespace ferry::chaos
