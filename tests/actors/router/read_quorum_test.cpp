// The read quorum policy alone: how many versions a read wants, which one wins, who needs repair, and
// the next step for every shape of progress.
#include <catch2/catch.hpp>

#include "actors/router/read_quorum.hpp"

namespace ferry::router {
namespace {

proto::version v(std::uint64_t hlc) { return {hlc, 1}; }

TEST_CASE("a read wants R - W + 1 replica versions, so it overlaps every write quorum", "[router][read-quorum]") {
  CHECK(read_quorum({3, 2}) == 2);
  CHECK(read_quorum({3, 3}) == 1);
  CHECK(read_quorum({3, 1}) == 3);
  CHECK(read_quorum({1, 1}) == 1);
  CHECK(read_quorum({5, 3}) == 3);
  CHECK(read_quorum({2, 0}) == 1);  // invalid sizes never ask for zero
}

TEST_CASE("a version is behind another only as an older write — writer 0 is an unknown writer of the same HLC",
          "[router][read-quorum]") {
  CHECK(behind({3, 1}, {4, 1}));
  CHECK(behind({4, 1}, {4, 2}));
  CHECK_FALSE(behind({4, 2}, {4, 1}));
  CHECK_FALSE(behind({4, 1}, {4, 1}));
  CHECK_FALSE(behind({4, 0}, {4, 7}));  // an NFS export's {hlc, 0} is the write {hlc, 7}
  CHECK_FALSE(behind({4, 7}, {4, 0}));
  CHECK(behind({3, 0}, {4, 7}));
  std::vector<replica_view> views{{"nfs", {9, 0}, true}, {"store", {9, 3}, true}};
  CHECK(stale_replicas(views, views[1]).empty());
  CHECK(next_read_step({2, 2, 0, 0, false, proto::version{9, 0}, &views[1]}) == read_step::answer_held);
}

TEST_CASE("the newest view is the greatest version, the first on a tie", "[router][read-quorum]") {
  std::vector<replica_view> views{{"a", v(3), true}, {"b", v(7), false}, {"c", v(7), true}};
  REQUIRE(newest(views) != nullptr);
  CHECK(newest(views)->server == "b");
  CHECK(newest({}) == nullptr);
}

TEST_CASE("replicas behind a live value or a tombstone are repaired, those that never held a deleted key are not",
          "[router][read-quorum]") {
  std::vector<replica_view> views{{"a", v(5), true}, {"b", {}, false}, {"c", v(2), false}, {"d", v(9), true}};
  CHECK(stale_replicas(views, {"d", v(9), true}) == std::vector<server_id>{"a", "b", "c"});
  CHECK(stale_replicas(views, {"x", v(10), false}) == std::vector<server_id>{"a", "c", "d"});
  CHECK(stale_replicas(views, {"a", v(1), true}) == std::vector<server_id>{"b"});  // it never had the key
}

TEST_CASE("the next read step for each shape of progress", "[router][read-quorum]") {
  const replica_view live_new{"n", v(9), true}, dead_new{"n", v(9), false}, live_old{"o", v(4), true};
  struct row {
    const char* what;
    read_progress p;
    read_step expected;
  };
  // {views, quorum, in_flight, untried, fetching, held, newest, newest_fetched}
  const std::vector<row> rows{
      {"nothing asked yet", {0, 2, 0, 3, false, std::nullopt, nullptr}, read_step::ask_more},
      {"the fetch out, one more wanted", {0, 2, 1, 2, true, std::nullopt, nullptr}, read_step::ask_more},
      {"enough out", {0, 2, 2, 1, true, std::nullopt, nullptr}, read_step::wait},
      {"the newest in hand, a probe out", {1, 2, 1, 1, false, v(9), &live_new}, read_step::wait},
      {"quorum, the answer in hand is newest", {2, 2, 0, 1, false, v(9), &live_new}, read_step::answer_held},
      {"quorum, a probe saw a newer value", {2, 2, 0, 1, false, v(4), &live_new}, read_step::fetch_newest},
      {"quorum, a newer value is being fetched", {2, 2, 1, 1, true, v(4), &live_new}, read_step::wait},
      {"quorum, a probe saw a newer tombstone", {2, 2, 0, 1, false, v(4), &dead_new}, read_step::answer_deleted},
      {"quorum, no answer in hand, newest live", {2, 2, 0, 0, false, std::nullopt, &live_old}, read_step::fetch_newest},
      {"quorum, no answer in hand, key deleted", {2, 2, 0, 0, false, std::nullopt, &dead_new}, read_step::answer_deleted},
      {"too few views, nobody left: degraded answer", {1, 2, 0, 0, false, v(4), &live_old}, read_step::answer_held},
      {"no view, nobody left", {0, 2, 0, 0, false, std::nullopt, nullptr}, read_step::fail},
      {"quorum 1 met at once", {1, 1, 0, 2, false, v(4), &live_old}, read_step::answer_held},
      {"the fetch failed, a probe saw a value, a probe out: fetch it now", {1, 2, 1, 1, false, std::nullopt, &live_new},
       read_step::fetch_newest},
      {"the fetch failed, a probe saw a tombstone, a probe out: wait", {1, 2, 1, 1, false, std::nullopt, &dead_new},
       read_step::wait},
      {"quorum, the newest replica failed its fetch", {2, 2, 0, 0, false, v(4), &live_new, true},
       read_step::newest_unreachable},
      {"the newest replica failed its fetch, a probe out: wait for it", {1, 2, 1, 0, false, std::nullopt, &live_new, true},
       read_step::wait},
  };
  for (const auto& r : rows) {
    INFO(r.what);
    CHECK(next_read_step(r.p) == r.expected);
  }
}

}  // namespace
}  // namespace ferry::router
