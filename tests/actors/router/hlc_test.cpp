// The hybrid logical clock under wall-clock sequences that go forward, stall, and go backwards; the
// logical counter's overflow; observing a version from the future; and the order between two writers.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "actors/router/hlc.hpp"

namespace router = ferry::router;
namespace proto = ferry::proto;
using router::make_hlc;

namespace {

constexpr std::uint64_t t0 = 1'700'000'000'000;  // a plausible wall clock in ms (November 2023)

}  // namespace

TEST_CASE("ticks strictly increase whatever the wall clock does", "[router][hlc]") {
  struct row {
    std::string name;
    std::vector<std::uint64_t> wall_ms;
    std::uint64_t expected_last;
  };
  const std::vector<row> table = {
      {"steady progress", {t0, t0 + 1, t0 + 2, t0 + 10}, make_hlc(t0 + 10, 0)},
      {"the same millisecond repeated", {t0, t0, t0, t0}, make_hlc(t0, 3)},
      {"a step backwards", {t0 + 5, t0 + 1, t0 + 2}, make_hlc(t0 + 5, 2)},
      {"a step backwards, then the wall clock overtakes", {t0 + 5, t0, t0 + 6}, make_hlc(t0 + 6, 0)},
      {"a jump back of an hour", {t0, t0 - 3'600'000, t0 - 3'599'999}, make_hlc(t0, 2)},
      {"a wall clock at zero", {0, 0, 0}, make_hlc(0, 3)},
      {"a wall clock past 48 bits is clamped", {router::hlc_max_physical_ms + 5, router::hlc_max_physical_ms},
       make_hlc(router::hlc_max_physical_ms, 1)},
  };
  for (const auto& t : table) {
    INFO(t.name);
    std::uint64_t last = 0;
    for (auto now : t.wall_ms) {
      const std::uint64_t next = router::hlc_tick(last, now);
      CHECK(next > last);
      CHECK(router::hlc_physical_ms(next) >= std::min(now, router::hlc_max_physical_ms));
      last = next;
    }
    CHECK(last == t.expected_last);
  }
}

TEST_CASE("more than 65,535 ticks in one millisecond carry into the physical part", "[router][hlc]") {
  router::hybrid_clock clock(1);
  std::uint64_t last = 0;
  constexpr int ticks = 70'000;
  for (int i = 0; i < ticks; ++i) {
    const std::uint64_t next = clock.tick(t0).hlc;
    REQUIRE(next > last);
    last = next;
  }
  // 65,536 values fit in t0 (logical 0 .. 65,535); the rest borrow from t0 + 1.
  CHECK(router::hlc_physical_ms(last) == t0 + 1);
  CHECK(router::hlc_logical(last) == ticks - 65'536 - 1);
  // When the wall clock reaches the borrowed millisecond, the counter keeps going rather than restart.
  CHECK(clock.tick(t0 + 1).hlc == last + 1);
  CHECK(clock.tick(t0 + 2).hlc == make_hlc(t0 + 2, 0));
}

TEST_CASE("observing a version from the future moves the clock past it", "[router][hlc]") {
  router::hybrid_clock clock(1);
  clock.tick(t0);
  const std::uint64_t remote = make_hlc(t0 + 5'000, 7);  // a store whose writer's clock runs 5 s ahead
  clock.observe(remote, t0 + 1);
  CHECK(clock.last() == remote + 1);
  const proto::version next = clock.tick(t0 + 2);
  CHECK(next.hlc > remote);
  CHECK(next.hlc == make_hlc(t0 + 5'000, 9));
  // Once the wall clock passes the remote's millisecond, ticks follow the wall clock again.
  CHECK(clock.tick(t0 + 5'001).hlc == make_hlc(t0 + 5'001, 0));
}

TEST_CASE("observe follows the classic HLC receive rules", "[router][hlc]") {
  struct row {
    std::string name;
    std::uint64_t last, remote, wall_ms, expected;
  };
  const std::vector<row> table = {
      {"wall clock ahead of both", make_hlc(t0, 4), make_hlc(t0 + 1, 9), t0 + 2, make_hlc(t0 + 2, 0)},
      {"remote ahead", make_hlc(t0, 4), make_hlc(t0 + 1, 9), t0, make_hlc(t0 + 1, 10)},
      {"local ahead", make_hlc(t0 + 1, 4), make_hlc(t0, 9), t0, make_hlc(t0 + 1, 5)},
      {"same millisecond, larger counter wins", make_hlc(t0, 4), make_hlc(t0, 9), t0, make_hlc(t0, 10)},
      {"same millisecond as the wall clock", make_hlc(t0, 4), make_hlc(t0, 2), t0, make_hlc(t0, 5)},
      {"remote counter full", make_hlc(t0, 1), make_hlc(t0, 65'535), t0, make_hlc(t0 + 1, 0)},
  };
  for (const auto& t : table) {
    INFO(t.name);
    CHECK(router::hlc_observe(t.last, t.remote, t.wall_ms) == t.expected);
  }
}

TEST_CASE("versions order by hlc first and by writer between equal hlcs", "[router][hlc]") {
  router::hybrid_clock a(1);
  router::hybrid_clock b(2);
  const proto::version va = a.tick(t0);
  const proto::version vb = b.tick(t0);
  CHECK(va.hlc == vb.hlc);
  CHECK(va < vb);  // a tie on the clock goes to the larger writer id, the same on every replica

  // Writer a learns of b's version (a store answered CONFLICT with it); a's next write wins.
  a.observe(vb.hlc, t0);
  const proto::version va2 = a.tick(t0);
  CHECK(va2 > vb);
  CHECK(va2.writer == 1);

  // A writer whose wall clock runs behind still wins once it has observed the other's version.
  const proto::version vb2 = b.tick(t0 + 1'000);
  a.observe(vb2.hlc, t0 + 10);
  CHECK(a.tick(t0 + 11) > vb2);
}

TEST_CASE("the clock saturates at the top of its range instead of wrapping around", "[router][hlc]") {
  constexpr auto top = std::numeric_limits<std::uint64_t>::max();
  CHECK(router::hlc_tick(top, t0) == top);
  CHECK(router::hlc_observe(0, top, t0) == top);
}
