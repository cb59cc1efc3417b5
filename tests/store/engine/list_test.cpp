// LIST: ascending unsigned byte order over binary keys, prefixes (including a key that is a prefix of
// another), tombstones skipped, and cursor pagination that yields every key exactly once.
#include <catch2/catch.hpp>

#include <algorithm>

#include "fixture.hpp"
#include "store/engine/object_index.hpp"

using namespace ferry;
using namespace ferry::store;
using namespace ferry::store::testing;

namespace {

using namespace std::string_literals;

const std::vector<std::string> binary_keys{
    "\0"s, "\0\0"s, "\0\xff"s, "a"s, "ab"s, "ab\0"s, "ab\x7f"s, "ab\x80"s, "ab\xff"s, "abc"s, "abc\0"s,
    "b"s, "\x7f"s, "\x80"s, "\xff"s, "\xff\0"s, "\xff\xff"s};

/// Every live key with prefix, collected page by page through the cursor.
std::vector<std::string> walk(engine& eng, std::string_view prefix, std::uint32_t limit, std::size_t& pages) {
  std::vector<std::string> seen;
  std::string cursor;
  pages = 0;
  for (;;) {
    const auto page = eng.list(b(prefix), b(cursor), limit);
    REQUIRE(page.code == proto::status::ok);
    REQUIRE(page.entries.size() <= limit);
    ++pages;
    for (const auto& e : page.entries) seen.push_back(e.key);
    if (!page.more) break;
    REQUIRE(!page.entries.empty());
    CHECK(page.next_cursor == page.entries.back().key);
    cursor = page.next_cursor;
    REQUIRE(pages < 100);  // bounded: a cursor that stops advancing fails here, not by hanging
  }
  return seen;
}

std::vector<std::string> expected_with(std::string_view prefix, const std::vector<std::string>& keys) {
  std::vector<std::string> out;
  for (const auto& k : keys) {
    if (k.compare(0, prefix.size(), prefix) == 0) out.push_back(k);
  }
  // std::string compares bytes as unsigned char, the order LIST promises.
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("LIST pages through binary keys in unsigned byte order, each key exactly once", "[store][engine][list]") {
  engine_under_test eng(GENERATE(both_kinds()));
  auto shuffled = binary_keys;
  std::reverse(shuffled.begin(), shuffled.end());  // insertion order must not matter
  for (const auto& k : shuffled) REQUIRE(eng->put(b(k), b("v:" + k), v(1)).code == proto::status::ok);

  // Plain loops, not GENERATE: the keys are written once and every (prefix, limit) walks them.
  for (const auto& prefix : {""s, "\0"s, "a"s, "ab"s, "abc"s, "\xff"s, "zz"s}) {
    for (const std::uint32_t limit : {1u, 2u, 3u, 1000u}) {
      INFO("prefix of " << prefix.size() << " bytes, limit " << limit);
      std::size_t pages = 0;
      const auto seen = walk(*eng.eng, prefix, limit, pages);
      const auto expected = expected_with(prefix, binary_keys);
      CHECK(seen == expected);
      CHECK(pages == std::max<std::size_t>(1, (expected.size() + limit - 1) / limit));
    }
  }
}

TEST_CASE("LIST leaves out deleted keys and reports sizes and versions", "[store][engine][list]") {
  engine_under_test eng(GENERATE(both_kinds()));
  REQUIRE(eng->put(b("p/1"), b("one"), v(1, 1)).code == proto::status::ok);
  REQUIRE(eng->put(b("p/2"), b("two!"), v(2, 1)).code == proto::status::ok);
  REQUIRE(eng->put(b("p/3"), b("three"), v(3, 1)).code == proto::status::ok);
  REQUIRE(eng->del(b("p/2"), v(4, 1)).code == proto::status::ok);
  const auto page = eng->list(b("p/"), {}, 0);
  REQUIRE(page.entries.size() == 2);
  CHECK(page.entries[0].key == "p/1");
  CHECK(page.entries[0].info.size == 3);
  CHECK(page.entries[1].key == "p/3");
  CHECK(page.entries[1].info.ver == v(3, 1));
  CHECK_FALSE(page.more);
  CHECK(page.next_cursor == "p/3");
}

TEST_CASE("LIST with limit 0 returns the default page of 1000", "[store][engine][list]") {
  engine_under_test eng(GENERATE(both_kinds()), [](engine_config& c) { c.fsync = false; });
  for (int i = 0; i < 1005; ++i) {
    REQUIRE(eng->put(b("k" + std::to_string(10000 + i)), b("x"), v(1)).code == proto::status::ok);
  }
  const auto by_default = eng->list({}, {}, 0);
  CHECK(by_default.entries.size() == 1000);
  CHECK(by_default.more);
  const auto rest = eng->list({}, b(by_default.next_cursor), 0);
  CHECK(rest.entries.size() == 5);
  CHECK_FALSE(rest.more);
}

TEST_CASE("a LIST limit over max_list is capped at max_list", "[store][engine][list]") {
  // Checked on the index both engines share: 10000+ keys through the disk engine would only test mkdir.
  detail::object_index index;
  for (std::uint32_t i = 0; i < proto::max_list + 5; ++i) index.set("k" + std::to_string(100000 + i), {});
  const auto capped = index.list({}, {}, 0xFFFFFFFFu);
  CHECK(capped.entries.size() == proto::max_list);
  CHECK(capped.more);
  const auto rest = index.list({}, capped.next_cursor, 0xFFFFFFFFu);
  CHECK(rest.entries.size() == 5);
  CHECK_FALSE(rest.more);
}

TEST_CASE("a cursor outside the prefix range starts or ends the listing sensibly", "[store][engine][list]") {
  engine_under_test eng(GENERATE(both_kinds()));
  for (const auto* k : {"a1", "b1", "b2", "c1"}) REQUIRE(eng->put(b(k), b("x"), v(1)).code == proto::status::ok);
  CHECK(eng->list(b("b"), b("a9"), 0).entries.size() == 2);  // before the range: from its start
  CHECK(eng->list(b("b"), b("b1"), 0).entries.size() == 1);  // inside: strictly after
  CHECK(eng->list(b("b"), b("c"), 0).entries.empty());       // after the range: nothing
}
