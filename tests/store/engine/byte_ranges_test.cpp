// byte_ranges: merging of received chunk ranges and the first gap a commit would lack.
#include <catch2/catch.hpp>

#include "store/engine/byte_ranges.hpp"

using ferry::store::detail::byte_ranges;

TEST_CASE("byte ranges merge when they overlap or touch and report the first gap", "[store][engine][upload]") {
  byte_ranges r;
  CHECK(r.first_gap(0) == std::nullopt);
  CHECK(r.first_gap(10) == std::pair<std::uint64_t, std::uint64_t>{0, 10});
  r.add(10, 20);
  r.add(30, 40);
  CHECK(r.pieces() == 2);
  CHECK(r.first_gap(40) == std::pair<std::uint64_t, std::uint64_t>{0, 10});
  r.add(0, 10);  // touches [10, 20)
  CHECK(r.pieces() == 2);
  CHECK(r.first_gap(40) == std::pair<std::uint64_t, std::uint64_t>{20, 30});
  r.add(15, 35);  // bridges both
  CHECK(r.pieces() == 1);
  CHECK(r.end() == 40);
  CHECK(r.first_gap(40) == std::nullopt);
  CHECK(r.first_gap(45) == std::pair<std::uint64_t, std::uint64_t>{40, 45});
  r.add(5, 5);  // empty: no change
  CHECK(r.pieces() == 1);
}
