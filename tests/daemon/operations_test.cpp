// Every libferry operation through a real ferryd to three real ferry-stores (R=2, W=2), with each write
// checked directly on the stores: a key lives on exactly R of them.
#include <catch2/catch.hpp>

#include <tuple>

#include "daemon_fixture.hpp"

using namespace ferry::daemon_test;

namespace {

std::tuple<std::uint64_t, std::uint64_t> version_of(const ferry_object_info& i) {
  return {i.version_hlc, i.version_writer};
}

std::string patterned(std::size_t n, std::uint32_t seed) {
  std::string out(n, '\0');
  std::uint32_t x = seed;
  for (auto& c : out) {
    x = x * 1664525u + 1013904223u;  // LCG: every byte value occurs, no run repeats at a short period
    c = static_cast<char>(x >> 24);
  }
  return out;
}

}  // namespace

TEST_CASE("ferryd serves put, get, stat, overwrite and delete, keeping each key on exactly R stores",
          "[ferryd][integration]") {
  cluster cl(3, 2, 2);
  const auto& stores = cl.stores;
  CHECK(cl.ferryd.socket == cl.dir.file("ferryd.sock"));
  client c(cl.ferryd.socket);

  SECTION("a small value round-trips with its size and version") {
    REQUIRE(c.put("small/key", "hello") == FERRY_OK);
    ferry_object_info got_info{};
    auto [rc, value] = c.get("small/key", &got_info);
    REQUIRE(rc == FERRY_OK);
    CHECK(value == "hello");
    CHECK(got_info.size == 5);
    CHECK(got_info.version_hlc != 0);

    ferry_object_info st{};
    REQUIRE(c.stat("small/key", st) == FERRY_OK);
    CHECK(st.size == 5);
    CHECK(version_of(st) == version_of(got_info));
    CHECK(holders(stores, "small/key", "hello") == 2);

    REQUIRE(c.put("small/key", "second value") == FERRY_OK);
    ferry_object_info newer{};
    REQUIRE(c.stat("small/key", newer) == FERRY_OK);
    CHECK(newer.size == 12);
    CHECK(version_of(newer) > version_of(st));
    CHECK(c.get("small/key").second == "second value");
    CHECK(holders(stores, "small/key", "second value") == 2);
    CHECK(holders(stores, "small/key") == 2);  // the old value is nowhere

    REQUIRE(c.del("small/key") == FERRY_OK);
    CHECK(c.get("small/key").first == FERRY_NOT_FOUND);
    ferry_object_info gone{};
    CHECK(c.stat("small/key", gone) == FERRY_NOT_FOUND);
    CHECK(holders(stores, "small/key") == 0);  // W = R: both replicas took the delete before OK
    CHECK(c.get("never/written").first == FERRY_NOT_FOUND);
  }

  SECTION("a 5 MiB value round-trips byte for byte") {
    const auto big = patterned(5u << 20, 7);
    REQUIRE(c.put("big/value", big, 20000) == FERRY_OK);
    ferry_object_info info{};
    auto [rc, value] = c.get("big/value", &info, 20000);
    REQUIRE(rc == FERRY_OK);
    CHECK(info.size == big.size());
    CHECK(value.size() == big.size());
    CHECK(value == big);
    CHECK(holders(stores, "big/value", big) == 2);
  }

  SECTION("every key of many is on exactly two of the three stores") {
    std::vector<std::size_t> per_store(stores.size(), 0);
    for (int i = 0; i < 30; ++i) {
      auto key = "spread/" + std::to_string(i);
      REQUIRE(c.put(key, "v" + std::to_string(i)) == FERRY_OK);
      CHECK(holders(stores, key, "v" + std::to_string(i)) == 2);
      for (std::size_t s = 0; s < stores.size(); ++s)
        if (stored_value(stores[s].port, key)) ++per_store[s];
    }
    for (auto n : per_store) CHECK(n > 0);  // placement uses every store, not a fixed pair
  }
}
