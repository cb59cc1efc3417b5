// A replica that was down while keys were overwritten or deleted comes back with the old state. Reads
// through ferryd must still answer the acknowledged writes (the read quorum sees R − W + 1 versions and
// takes the newest), and the reads must repair the returned replica (ROUTER.md "Reads"). This was the
// gap the data-loss checker found through ferryd before reads compared versions.
#include <catch2/catch.hpp>

#include <thread>

#include "chaos_cluster.hpp"
#include "chaos_report.hpp"
#include "transport/rpc_client.hpp"
#include "xdr/protocol/store.hpp"

namespace ferry::chaos {
namespace {

namespace ps = proto::store;

/// The version store `port` holds for `key` and whether it is live; nullopt when the store fails.
std::optional<std::pair<proto::version, bool>> replica_version(std::uint16_t port, const std::string& key) {
  try {
    transport::rpc_client rc(port, ps::program, ps::version);
    daemon_test::bytes keep;
    auto got = rc.call<proto::stat_res>(static_cast<std::uint32_t>(ps::proc::stat), ps::key_args{xdr::as_bytes(key)},
                                       keep);
    if (got.code == proto::status::ok) return std::pair{got.info.ver, true};
    if (got.code == proto::status::not_found) return std::pair{got.tombstone, false};
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("writes acknowledged while a replica was down read back current through ferryd and repair it",
          "[chaos][stale-read]") {
  durable_cluster c(3, 3, 2);
  daemon_test::client cl(c.socket());
  constexpr int keys = 60;
  auto key_of = [](int i) { return "stale/" + std::to_string(i); };
  for (int i = 0; i < keys; ++i) REQUIRE(cl.put(key_of(i), "old", 5000) == FERRY_OK);
  REQUIRE(c.serves_from_every_store(20s));  // every replica holds "old"

  c.kill_store(0);
  // W = 2 of R = 3: stores 1 and 2 acknowledge; store 0 keeps "old". Even keys overwritten, odd ones deleted.
  for (int i = 0; i < keys; ++i) REQUIRE((i % 2 == 0 ? cl.put(key_of(i), "new", 5000) : cl.del(key_of(i))) == FERRY_OK);
  const auto port0 = c.stores()[0].port;
  const auto port1 = c.stores()[1].port;
  c.restart_store(0);
  REQUIRE(c.serves_from_every_store(20s));
  int behind_before = 0;
  for (int i = 0; i < keys; ++i) {
    auto v0 = replica_version(port0, key_of(i));
    auto v1 = replica_version(port1, key_of(i));
    REQUIRE(v0);
    REQUIRE(v1);
    if (v0->first < v1->first) ++behind_before;
  }
  CHECK(behind_before == keys);  // the returned replica really is stale

  // ferryd's read order moves with latencies and restarts; whichever replica it asks first, every read
  // must be current. Rounds with a ferryd restart in between, bounded.
  int stale = 0, reads = 0;
  for (int round = 0; round < 4; ++round) {
    for (int i = 0; i < keys; ++i) {
      auto [rc, value] = cl.get(key_of(i), nullptr, 5000);
      ++reads;
      const bool current = i % 2 == 0 ? (rc == FERRY_OK && value == "new") : rc == FERRY_NOT_FOUND;
      if (!current) ++stale;
    }
    if (round == 1) {
      c.kill_ferryd();
      c.restart_ferryd();
    }
  }

  // With store 1 gone, every read must use store 0 (stale or repaired) and store 2: still current, and
  // the reads repair store 0 in the background. ferryd is restarted first: its health board may still
  // eject store 0 for the errors it gave while it was down, and reads do not wait for an ejected replica.
  // Poll store 0 against store 2, bounded.
  c.kill_store(1);
  c.kill_ferryd();
  c.restart_ferryd();
  const auto port2 = c.stores()[2].port;
  for (int i = 0; i < keys; ++i) {
    auto [rc, value] = cl.get(key_of(i), nullptr, 5000);
    ++reads;
    const bool current = i % 2 == 0 ? (rc == FERRY_OK && value == "new") : rc == FERRY_NOT_FOUND;
    if (!current) ++stale;
  }
  int behind_after = keys;
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (behind_after > 0 && std::chrono::steady_clock::now() < until) {
    behind_after = 0;
    for (int i = 0; i < keys; ++i) {
      auto v0 = replica_version(port0, key_of(i));
      auto v2 = replica_version(port2, key_of(i));
      if (!v0 || !v2 || v0->first < v2->first || v0->second != v2->second) ++behind_after;
    }
    if (behind_after > 0) std::this_thread::sleep_for(100ms);  // poll interval, bounded by `until`
  }

  summary s("stale_read");
  s.add("scenario", "60 keys written, store 0 SIGKILLed, 30 overwritten + 30 deleted (acked W=2), store 0 "
                    "restarted, every key read through ferryd in 4 rounds (ferryd restarted after round 2), then "
                    "store 1 SIGKILLed, ferryd restarted (a fresh health board) and every key read once more (reads now "
                    "include store 0)");
  s.add("returned replica behind before reads (keys)", std::to_string(behind_before));
  s.add("stale reads", std::to_string(stale) + " of " + std::to_string(reads));
  s.add("returned replica behind after reads that included it (keys; read repair)", std::to_string(behind_after));
  REQUIRE(s.write());
  CHECK(stale == 0);
  CHECK(behind_after == 0);
}

}  // namespace ferry::chaos
