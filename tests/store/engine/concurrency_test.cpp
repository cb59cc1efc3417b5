// Many threads on one engine: racing writes to one key end with the highest version, and every read
// sees a value that matches its own version (never a mix of two writes).
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "fixture.hpp"

using namespace ferry;
using namespace ferry::store;
using namespace ferry::store::testing;

namespace {

std::string value_of(proto::version ver) { return "value@" + std::to_string(ver.hlc) + "/" + std::to_string(ver.writer); }

}  // namespace

TEST_CASE("concurrent writes of one key from several threads end with the highest version",
          "[store][engine][concurrency]") {
  engine_under_test eng(GENERATE(both_kinds()));
  constexpr std::uint64_t threads = 6, writes_each = 40;
  std::atomic<int> torn{0}, unexpected{0};
  std::vector<std::thread> writers;
  for (std::uint64_t t = 0; t < threads; ++t) {
    writers.emplace_back([&, t] {
      for (std::uint64_t i = 0; i < writes_each; ++i) {
        // Versions interleave across threads, so every thread keeps losing and winning races.
        const auto ver = v(i * threads + (t * 7) % threads, t);
        const auto result = i % 10 == 9 ? eng->del(b("hot"), ver) : eng->put(b("hot"), b(value_of(ver)), ver);
        if (result.code != proto::status::ok && result.code != proto::status::conflict) ++unexpected;
        if (result.code == proto::status::conflict && !(result.ver > ver)) ++unexpected;
        const auto got = eng->get(b("hot"));
        if (got.code == proto::status::ok && text(got.data) != value_of(got.info.ver)) ++torn;
      }
    });
  }
  for (auto& w : writers) w.join();
  CHECK(unexpected == 0);
  CHECK(torn == 0);
  // The highest version overall: i = writes_each - 1 is a put for i % 10 == 9 → a delete.
  proto::version highest{};
  for (std::uint64_t t = 0; t < threads; ++t) highest = std::max(highest, v((writes_each - 1) * threads + (t * 7) % threads, t));
  const auto final_state = eng->stat(b("hot"));
  CHECK(final_state.code == proto::status::not_found);
  CHECK(final_state.tombstone == highest);
}

TEST_CASE("concurrent writers of distinct keys and uploads all land", "[store][engine][concurrency]") {
  engine_under_test eng(GENERATE(both_kinds()));
  constexpr int threads = 4, keys_each = 25;
  std::atomic<int> failures{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < keys_each; ++i) {
        const auto key = "t" + std::to_string(t) + "/" + std::to_string(i);
        if (i % 2 == 0) {
          if (eng->put(b(key), b(key), v(1)).code != proto::status::ok) ++failures;
          continue;
        }
        const auto up = eng->write_open(b(key), v(1), key.size());
        const bool ok = up.code == proto::status::ok &&
                        eng->write_chunk(up.upload_id, 0, b(key)).code == proto::status::ok &&
                        eng->write_commit(up.upload_id, key.size()).code == proto::status::ok;
        if (!ok) ++failures;
      }
    });
  }
  for (auto& w : workers) w.join();
  CHECK(failures == 0);
  const auto all = eng->list({}, {}, 0);
  CHECK(all.entries.size() == threads * keys_each);
  for (const auto& e : all.entries) CHECK(text(eng->get(b(e.key)).data) == e.key);
}
