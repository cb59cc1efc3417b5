// Every refusal the engine can give, each with the detail a person would need (a table over both engines),
// plus garbage collection of old tombstones and idle uploads.
#include <catch2/catch.hpp>

#include <functional>

#include "fixture.hpp"

using namespace ferry;
using namespace ferry::store;
using namespace ferry::store::testing;

namespace {

struct answer {
  proto::status code;
  std::string detail;
};
template <class Result>
answer answer_of(const Result& r) {
  return {r.code, r.detail};
}

/// An upload of `key` with `written` bytes already sent.
std::uint64_t upload_with(engine& eng, std::string_view key, std::string_view written) {
  const auto up = eng.write_open(b(key), v(1), 0);
  REQUIRE(up.code == proto::status::ok);
  if (!written.empty()) REQUIRE(eng.write_chunk(up.upload_id, 0, b(written)).code == proto::status::ok);
  return up.upload_id;
}

}  // namespace

TEST_CASE("every refusal carries its status and a detail saying why", "[store][engine][status]") {
  struct row {
    const char* name;
    std::function<answer(engine&)> call;
    proto::status code;
    const char* detail;
  };
  const std::string too_long(1025, 'k');
  const std::vector<row> table{
      {"PUT with an empty key", [](engine& e) { return answer_of(e.put({}, b("x"), v(1))); },
       proto::status::bad_key, "empty"},
      {"PUT with a 1025-byte key", [&](engine& e) { return answer_of(e.put(b(too_long), b("x"), v(1))); },
       proto::status::bad_key, "1025 bytes"},
      {"GET with an empty key", [](engine& e) { return answer_of(e.get({})); }, proto::status::bad_key, "empty"},
      {"DELETE with a 1025-byte key", [&](engine& e) { return answer_of(e.del(b(too_long), v(1))); },
       proto::status::bad_key, "1025"},
      {"STAT with an empty key", [](engine& e) { return answer_of(e.stat({})); }, proto::status::bad_key, "empty"},
      {"READ with a 1025-byte key", [&](engine& e) { return answer_of(e.read(b(too_long), 0, 1)); },
       proto::status::bad_key, "1025"},
      {"WRITE_OPEN with an empty key", [](engine& e) { return answer_of(e.write_open({}, v(1), 0)); },
       proto::status::bad_key, "empty"},
      {"LIST with a prefix over 1024 bytes", [&](engine& e) { return answer_of(e.list(b(too_long), {}, 0)); },
       proto::status::bad_key, "1024"},
      {"PUT of a value over max_value", [](engine& e) { return answer_of(e.put(b("k"), b(std::string(65, 'x')), v(1))); },
       proto::status::too_big, "65 bytes; the maximum is 64"},
      {"WRITE_OPEN with a size hint over max_object",
       [](engine& e) { return answer_of(e.write_open(b("k"), v(1), 1025)); }, proto::status::too_big, "1025"},
      {"WRITE_CHUNK to an unknown upload", [](engine& e) { return answer_of(e.write_chunk(424242, 0, b("x"))); },
       proto::status::no_upload, "424242"},
      {"WRITE_COMMIT of an unknown upload", [](engine& e) { return answer_of(e.write_commit(424242, 0)); },
       proto::status::no_upload, "424242"},
      {"WRITE_ABORT of an unknown upload", [](engine& e) { return answer_of(e.write_abort(424242)); },
       proto::status::no_upload, "424242"},
      {"WRITE_COMMIT of an upload with a hole",
       [](engine& e) {
         auto id = upload_with(e, "k", "abc");
         REQUIRE(e.write_chunk(id, 5, b("x")).code == proto::status::ok);
         return answer_of(e.write_commit(id, 6));
       },
       proto::status::bad_range, "bytes [3, 5) are missing"},
      {"WRITE_CHUNK ending past max_object",
       [](engine& e) { return answer_of(e.write_chunk(upload_with(e, "k", "abc"), 3, b(std::string(1022, 'x')))); },
       proto::status::too_big, "maximum object size 1024"},
      {"WRITE_COMMIT with a size beyond the bytes written",
       [](engine& e) { return answer_of(e.write_commit(upload_with(e, "k", "abc"), 4)); }, proto::status::bad_range,
       "bytes [3, 4) are missing"},
      {"WRITE_COMMIT with a size short of the bytes written",
       [](engine& e) { return answer_of(e.write_commit(upload_with(e, "k", "abc"), 2)); }, proto::status::bad_range,
       "says 2 bytes but bytes up to 3 were written"},
      {"WRITE_OPEN beyond max_open_uploads",
       [](engine& e) {
         upload_with(e, "a", "");
         upload_with(e, "b", "");
         return answer_of(e.write_open(b("c"), v(1), 0));
       },
       proto::status::overloaded, "2 uploads are open"},
      {"WRITE_CHUNK after the upload was committed",
       [](engine& e) {
         const auto id = upload_with(e, "k", "abc");
         REQUIRE(e.write_commit(id, 3).code == proto::status::ok);
         return answer_of(e.write_chunk(id, 3, b("x")));
       },
       proto::status::no_upload, "no open upload"},
      {"WRITE_COMMIT after the upload was aborted",
       [](engine& e) {
         const auto id = upload_with(e, "k", "abc");
         REQUIRE(e.write_abort(id).code == proto::status::ok);
         return answer_of(e.write_commit(id, 3));
       },
       proto::status::no_upload, "no open upload"},
      {"READ starting past the end",
       [](engine& e) {
         REQUIRE(e.put(b("k"), b("abc"), v(1)).code == proto::status::ok);
         return answer_of(e.read(b("k"), 4, 1));
       },
       proto::status::bad_range, "offset 4 is past the end of the 3-byte object"},
      {"GET of an object over max_value (made by upload)",
       [](engine& e) {
         const auto id = upload_with(e, "k", std::string(100, 'x'));
         REQUIRE(e.write_commit(id, 100).code == proto::status::ok);
         return answer_of(e.get(b("k")));
       },
       proto::status::too_big, "READ it in ranges"},
      {"GET of a key never written", [](engine& e) { return answer_of(e.get(b("nobody"))); },
       proto::status::not_found, "no object"},
      {"READ of a deleted key",
       [](engine& e) {
         REQUIRE(e.del(b("k"), v(3)).code == proto::status::ok);
         return answer_of(e.read(b("k"), 0, 1));
       },
       proto::status::not_found, "deleted"},
  };
  const auto kind = GENERATE(both_kinds());
  for (const auto& r : table) {
    SECTION(r.name) {
      INFO(to_string(kind) << " engine");
      engine_under_test eng(kind, [](engine_config& c) {
        c.max_value = 64;
        c.max_object = 1024;
        c.max_open_uploads = 2;
      });
      const auto got = r.call(*eng.eng);
      CHECK(got.code == r.code);
      CHECK_THAT(got.detail, Catch::Contains(r.detail));
      CHECK(got.detail.size() <= proto::max_detail);
    }
  }
}

TEST_CASE("a missing or deleted key answers NOT_FOUND with the tombstone's version", "[store][engine][status]") {
  engine_under_test eng(GENERATE(both_kinds()));
  CHECK(eng->get(b("k")).tombstone == v(0, 0));
  CHECK(eng->stat(b("k")).code == proto::status::not_found);
  REQUIRE(eng->put(b("k"), b("x"), v(4, 1)).code == proto::status::ok);
  REQUIRE(eng->del(b("k"), v(5, 2)).code == proto::status::ok);
  const auto got = eng->get(b("k"));
  CHECK(got.code == proto::status::not_found);
  CHECK(got.tombstone == v(5, 2));
  const auto st = eng->stat(b("k"));
  CHECK(st.code == proto::status::not_found);
  CHECK(st.tombstone == v(5, 2));
  CHECK(eng->list({}, {}, 0).entries.empty());
}

TEST_CASE("ranged reads return the bytes asked for and say when they reach the end", "[store][engine][status]") {
  engine_under_test eng(GENERATE(both_kinds()));
  REQUIRE(eng->put(b("k"), b("0123456789"), v(1)).code == proto::status::ok);
  struct row {
    std::uint64_t offset;
    std::uint32_t length;
    const char* bytes;
    bool eof;
  };
  const auto r = GENERATE(values<row>({{0, 4, "0123", false},
                                       {4, 6, "456789", true},
                                       {8, 100, "89", true},
                                       {10, 5, "", true},
                                       {0, 0, "", false},
                                       {0, 10, "0123456789", true}}));
  const auto got = eng->read(b("k"), r.offset, r.length);
  REQUIRE(got.code == proto::status::ok);
  CHECK(text(got.data) == r.bytes);
  CHECK(got.eof == r.eof);
  CHECK(got.info.size == 10);
}

TEST_CASE("garbage collection purges tombstones past retention and aborts idle uploads", "[store][engine][status]") {
  const auto kind = GENERATE(both_kinds());
  SECTION("with zero retention and timeout everything due goes") {
    engine_under_test eng(kind, [](engine_config& c) {
      c.tombstone_retention = std::chrono::seconds(0);
      c.upload_idle_timeout = std::chrono::seconds(0);
    });
    REQUIRE(eng->put(b("live"), b("x"), v(1)).code == proto::status::ok);
    REQUIRE(eng->del(b("gone"), v(2)).code == proto::status::ok);
    const auto id = upload_with(*eng.eng, "up", "abc");
    CHECK(eng->collect_garbage() == 2);
    CHECK(eng->get(b("gone")).tombstone == v(0, 0));  // purged: as if never written
    CHECK(text(eng->get(b("live")).data) == "x");
    CHECK(eng->write_chunk(id, 3, b("d")).code == proto::status::no_upload);
    if (kind == engine_kind::disk) CHECK(files_below(eng.config.dir / "uploads").empty());
  }
  SECTION("with the default retention and timeout nothing is due yet") {
    engine_under_test eng(kind);
    REQUIRE(eng->del(b("gone"), v(2)).code == proto::status::ok);
    const auto id = upload_with(*eng.eng, "up", "abc");
    CHECK(eng->collect_garbage() == 0);
    CHECK(eng->get(b("gone")).tombstone == v(2));
    CHECK(eng->write_chunk(id, 3, b("d")).code == proto::status::ok);
  }
}

TEST_CASE("health counts live objects and their bytes", "[store][engine][status]") {
  const auto kind = GENERATE(both_kinds());
  engine_under_test eng(kind);
  REQUIRE(eng->put(b("a"), b("12345"), v(1)).code == proto::status::ok);
  REQUIRE(eng->put(b("b"), b("123"), v(1)).code == proto::status::ok);
  REQUIRE(eng->put(b("b"), b("1234567"), v(2)).code == proto::status::ok);
  REQUIRE(eng->del(b("a"), v(2)).code == proto::status::ok);
  const auto h = eng->health();
  CHECK(h.objects == 1);
  CHECK(h.bytes_used == 7);
  CHECK(h.node == "test-node");
  if (kind == engine_kind::disk) CHECK(h.bytes_free > 0);
}
