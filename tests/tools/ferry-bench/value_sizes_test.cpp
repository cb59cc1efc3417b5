// --value-size parsing and sampling: table-driven, deterministic (the uniform draw is given).
#include <catch2/catch.hpp>

#include <string>
#include <variant>

#include "value_sizes.hpp"

using ferry::bench::value_sizes;

namespace {
value_sizes parsed(const std::string& text) {
  auto r = value_sizes::parse(text);
  INFO("parsing " << text << (std::holds_alternative<std::string>(r) ? ": " + std::get<std::string>(r) : ""));
  REQUIRE(std::holds_alternative<value_sizes>(r));
  return std::get<value_sizes>(r);
}
}  // namespace

TEST_CASE("a single size is used for every value", "[ferry-bench][value-size]") {
  auto s = parsed("100");
  CHECK(s.choices().size() == 1);
  for (double u : {0.0, 0.3, 0.999999}) CHECK(s.pick(u) == 100);
  CHECK(s.largest() == 100);
  CHECK(s.mean() == Approx(100));
}

TEST_CASE("sizes take binary suffixes", "[ferry-bench][value-size]") {
  struct row { const char* text; std::uint64_t bytes; };
  for (auto [text, bytes] : {row{"0", 0}, row{"4k", 4096}, row{"4KiB", 4096}, row{"1M", 1048576},
                             row{"1MiB", 1048576}, row{"16MiB", 16777216}, row{"512B", 512}}) {
    INFO(text);
    CHECK(parsed(text).pick(0.5) == bytes);
  }
}

TEST_CASE("a weighted distribution gives each size its share of the unit interval", "[ferry-bench][value-size]") {
  auto s = parsed("100:90,4096:10");
  REQUIRE(s.choices().size() == 2);
  CHECK(s.pick(0.0) == 100);
  CHECK(s.pick(0.8999) == 100);
  CHECK(s.pick(0.9) == 4096);
  CHECK(s.pick(0.9999) == 4096);
  CHECK(s.pick(1.0) == 4096);
  CHECK(s.largest() == 4096);
  CHECK(s.mean() == Approx(100 * 0.9 + 4096 * 0.1));
}

TEST_CASE("three sizes with unequal weights split in the order given", "[ferry-bench][value-size]") {
  auto s = parsed("10:1,20:2,1MiB:1");
  CHECK(s.pick(0.24) == 10);
  CHECK(s.pick(0.25) == 20);
  CHECK(s.pick(0.74) == 20);
  CHECK(s.pick(0.75) == 1048576);
}

TEST_CASE("bad value sizes are refused with a reason", "[ferry-bench][value-size]") {
  for (const char* text : {"", "abc", "100x", "100:0", "100:-1", "100:90,4096", "100,200", "17MiB", "100:", ":5",
                           "100:90,", "1e3"}) {
    INFO("'" << text << "'");
    auto r = value_sizes::parse(text);
    REQUIRE(std::holds_alternative<std::string>(r));
    CHECK_FALSE(std::get<std::string>(r).empty());
  }
}
