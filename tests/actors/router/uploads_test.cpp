// The router's upload table on a hand-driven time axis: unique salted ids, the idle deadline pushed by
// activity, expiry in deadline order, and the capacity count.
#include <catch2/catch.hpp>

#include <chrono>
#include <set>

#include "actors/router/uploads.hpp"

namespace router = ferry::router;
using namespace std::chrono_literals;

namespace {

const router::time_point t0{};

router::upload upload_of(const char* key) {
  router::upload u;
  u.key = key;
  u.replicas = {{"a:1", 11}, {"b:1", 22}};
  return u;
}

}  // namespace

TEST_CASE("upload ids are distinct, never zero, and depend on the salt", "[router][uploads]") {
  std::set<std::uint64_t> seen;
  for (std::uint64_t c = 0; c < 10000; ++c) {
    const auto id = router::mix_upload_id(42, c);
    CHECK(id != 0);
    seen.insert(id);
  }
  CHECK(seen.size() == 10000);
  CHECK(router::mix_upload_id(42, 0) != router::mix_upload_id(43, 0));
  router::upload_table a{8, 10s, 1}, b{8, 10s, 2};
  CHECK(a.create(upload_of("k"), t0) != b.create(upload_of("k"), t0));
}

TEST_CASE("an upload expires after its idle timeout, and activity pushes the deadline", "[router][uploads]") {
  router::upload_table t{8, 10s, 7};
  const auto first = t.create(upload_of("first"), t0);
  const auto second = t.create(upload_of("second"), t0 + 1s);
  CHECK(t.next_expiry() == t0 + 10s);
  t.touch(first, t0 + 5s);
  CHECK(t.next_expiry() == t0 + 11s);
  CHECK(t.expire(t0 + 10s).empty());
  auto gone = t.expire(t0 + 11s);
  REQUIRE(gone.size() == 1);
  CHECK(gone[0].first == second);
  CHECK(gone[0].second.key == "second");
  CHECK(gone[0].second.replicas.size() == 2);
  CHECK(t.find(second) == nullptr);
  CHECK(t.size() == 1);
  CHECK(t.expire(t0 + 15s).size() == 1);
  CHECK(t.size() == 0);
  CHECK_FALSE(t.next_expiry());
}

TEST_CASE("removing an upload forgets it and its idle deadline — the capacity counts reservations",
          "[router][uploads]") {
  router::upload_table t{2, 10s, 7};
  const auto id = t.create(upload_of("k"), t0);
  CHECK_FALSE(t.full());
  CHECK(t.full(1));  // one open, one opening: at the cap
  REQUIRE(t.find(id) != nullptr);
  auto u = t.remove(id);
  REQUIRE(u);
  CHECK(u->key == "k");
  CHECK_FALSE(t.remove(id));
  CHECK_FALSE(t.next_expiry());
  CHECK(t.expire(t0 + 1h).empty());
  t.touch(id, t0);  // unknown: nothing happens
  CHECK(t.size() == 0);
}
