// Last-writer-wins through the engine: every write kind against a newer, equal and older stored version,
// and replicas fed the same writes in different orders ending identical.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

#include "fixture.hpp"

using namespace ferry;
using namespace ferry::store;
using namespace ferry::store::testing;

namespace {

enum class write_kind { put, del, commit };

/// A write of `kind` through the public API; commit goes through open, one chunk, commit.
write_result write(engine& eng, write_kind kind, std::string_view key, std::string_view value, proto::version ver) {
  switch (kind) {
    case write_kind::put: return eng.put(b(key), b(value), ver);
    case write_kind::del: return eng.del(b(key), ver);
    case write_kind::commit: {
      const auto up = eng.write_open(b(key), ver, value.size());
      if (up.code != proto::status::ok) return {up.code, {}, up.detail};
      const auto chunk = eng.write_chunk(up.upload_id, 0, b(value));
      if (chunk.code != proto::status::ok) return {chunk.code, {}, chunk.detail};
      return eng.write_commit(up.upload_id, value.size());
    }
  }
  return {};
}

const char* name(write_kind kind) {
  return kind == write_kind::put ? "put" : kind == write_kind::del ? "delete" : "commit";
}

}  // namespace

TEST_CASE("each write kind stores a newer version, acknowledges an equal one and refuses an older one",
          "[store][engine][lww]") {
  const auto kind = GENERATE(both_kinds());
  const auto what = GENERATE(write_kind::put, write_kind::del, write_kind::commit);
  const auto stored_is_tombstone = GENERATE(false, true);
  INFO(to_string(kind) << " engine, " << name(what) << " over a stored " << (stored_is_tombstone ? "tombstone" : "object"));
  engine_under_test eng(kind);
  const auto stored = v(10, 1);
  REQUIRE(write(*eng.eng, stored_is_tombstone ? write_kind::del : write_kind::put, "k", "old", stored).code ==
          proto::status::ok);
  const auto before = eng->stat(b("k"));

  SECTION("newer: stored, answered with the new version") {
    const auto result = write(*eng.eng, what, "k", "new", v(10, 2));
    CHECK(result.code == proto::status::ok);
    CHECK(result.ver == v(10, 2));
    const auto got = eng->get(b("k"));
    if (what == write_kind::del) {
      CHECK(got.code == proto::status::not_found);
      CHECK(got.tombstone == v(10, 2));
    } else {
      CHECK(got.code == proto::status::ok);
      CHECK(text(got.data) == "new");
      CHECK(got.info.ver == v(10, 2));
    }
  }
  SECTION("equal: acknowledged as a retry, nothing rewritten") {
    const auto result = write(*eng.eng, what, "k", "new", stored);
    CHECK(result.code == proto::status::ok);
    CHECK(result.ver == stored);
    const auto after = eng->stat(b("k"));
    CHECK(after.code == before.code);
    CHECK(after.info == before.info);
    CHECK(after.tombstone == before.tombstone);
    if (!stored_is_tombstone) CHECK(text(eng->get(b("k")).data) == "old");
  }
  SECTION("older: CONFLICT carrying the stored version, nothing changed") {
    const auto result = write(*eng.eng, what, "k", "new", v(9, 7));
    CHECK(result.code == proto::status::conflict);
    CHECK_THAT(result.detail, Catch::Contains("older than the stored 10:1"));
    if (what != write_kind::commit) CHECK(result.ver == stored);  // an early refusal at open has no version field
    const auto after = eng->stat(b("k"));
    CHECK(after.info == before.info);
    CHECK(after.tombstone == before.tombstone);
  }
}

TEST_CASE("a commit loses to a newer write that arrived while its upload was open", "[store][engine][lww]") {
  engine_under_test eng(GENERATE(both_kinds()));
  const auto up = eng->write_open(b("k"), v(5), 3);
  REQUIRE(up.code == proto::status::ok);
  REQUIRE(eng->write_chunk(up.upload_id, 0, b("old")).code == proto::status::ok);
  REQUIRE(eng->put(b("k"), b("newer"), v(6)).code == proto::status::ok);
  const auto result = eng->write_commit(up.upload_id, 3);
  CHECK(result.code == proto::status::conflict);
  CHECK(result.ver == v(6));
  CHECK(text(eng->get(b("k")).data) == "newer");
  CHECK(eng->write_chunk(up.upload_id, 3, b("x")).code == proto::status::no_upload);  // the upload is over
}

TEST_CASE("replicas fed the same versioned writes in different orders converge", "[store][engine][lww]") {
  struct op {
    write_kind kind;
    std::string key;
    std::string value;
    proto::version ver;
  };
  const auto first = GENERATE(both_kinds());
  const auto second = GENERATE(both_kinds());
  const auto seed = GENERATE(1u, 2u, 3u);
  INFO(to_string(first) << " vs " << to_string(second) << ", seed " << seed);
  std::mt19937 rng(seed);
  const std::vector<std::string> keys{"a", "b", std::string("\0c", 2), "d"};
  std::vector<op> ops;
  for (std::uint64_t i = 0; i < 40; ++i) {
    const auto kind = static_cast<write_kind>(rng() % 3);
    // Small hlc range so versions often tie on hlc; the writer id (unique per op) breaks ties.
    ops.push_back({kind, keys[rng() % keys.size()], "value-" + std::to_string(i), v(rng() % 8, i)});
  }

  engine_under_test a(first), b_(second);
  auto order_a = ops, order_b = ops;
  std::shuffle(order_a.begin(), order_a.end(), rng);
  std::shuffle(order_b.begin(), order_b.end(), rng);
  for (const auto& o : order_a) write(*a.eng, o.kind, o.key, o.value, o.ver);
  for (const auto& o : order_b) write(*b_.eng, o.kind, o.key, o.value, o.ver);

  for (const auto& key : keys) {
    INFO("key " << key);
    const auto ga = a->get(b(key)), gb = b_->get(b(key));
    CHECK(ga.code == gb.code);
    CHECK(ga.tombstone == gb.tombstone);
    CHECK(ga.info.ver == gb.info.ver);
    CHECK(ga.info.size == gb.info.size);
    if (ga.code == proto::status::ok) CHECK(text(ga.data) == text(gb.data));
  }
  const auto la = a->list({}, {}, 0), lb = b_->list({}, {}, 0);
  REQUIRE(la.entries.size() == lb.entries.size());
  for (std::size_t i = 0; i < la.entries.size(); ++i) {
    CHECK(la.entries[i].key == lb.entries[i].key);
    CHECK(la.entries[i].info.ver == lb.entries[i].info.ver);
  }
}
