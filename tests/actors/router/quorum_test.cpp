// The write tally over every order of every outcome for R=3/W=2, R=2/W=2 and R=1/W=1: decided as early
// as it can be, as the table says, and exactly once whatever arrives afterwards.
#include <catch2/catch.hpp>

#include <stdexcept>
#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "actors/router/quorum.hpp"

namespace router = ferry::router;
namespace proto = ferry::proto;
using kind = router::write_decision::kind;

namespace {

const proto::version ours{1000, 7};

// Outcomes are spelled one letter per replica, in arrival order: O ok, C conflict, F failure. Each
// position carries its own newer version and failure status, so the test can tell which one decided.
proto::version newer_at(std::size_t i) { return {2000 + i, 1}; }
proto::status failure_at(std::size_t i) {
  const proto::status codes[] = {proto::status::timedout, proto::status::unavailable, proto::status::io_error};
  return codes[i % 3];
}

router::replica_outcome outcome(char letter, std::size_t i) {
  switch (letter) {
    case 'O': return router::replica_ok{ours};
    case 'C': return router::replica_conflict{newer_at(i)};
    default: return router::replica_failure{failure_at(i)};
  }
}

struct row {
  std::size_t r;
  std::size_t w;
  std::string outcomes;
  kind expected;
  std::size_t decided_after;  // how many outcomes it takes to decide
};

// Every sequence of R outcomes, generated once and checked by hand: conflict as soon as one is seen,
// otherwise ok at the W-th ack, otherwise unavailable at failure number R - W + 1.
const std::vector<row> every_order = {
    // R=3, W=2
    {3, 2, "OOO", kind::ok, 2},
    {3, 2, "OOC", kind::ok, 2},
    {3, 2, "OOF", kind::ok, 2},
    {3, 2, "OCO", kind::conflict, 2},
    {3, 2, "OCC", kind::conflict, 2},
    {3, 2, "OCF", kind::conflict, 2},
    {3, 2, "OFO", kind::ok, 3},
    {3, 2, "OFC", kind::conflict, 3},
    {3, 2, "OFF", kind::unavailable, 3},
    {3, 2, "COO", kind::conflict, 1},
    {3, 2, "COC", kind::conflict, 1},
    {3, 2, "COF", kind::conflict, 1},
    {3, 2, "CCO", kind::conflict, 1},
    {3, 2, "CCC", kind::conflict, 1},
    {3, 2, "CCF", kind::conflict, 1},
    {3, 2, "CFO", kind::conflict, 1},
    {3, 2, "CFC", kind::conflict, 1},
    {3, 2, "CFF", kind::conflict, 1},
    {3, 2, "FOO", kind::ok, 3},
    {3, 2, "FOC", kind::conflict, 3},
    {3, 2, "FOF", kind::unavailable, 3},
    {3, 2, "FCO", kind::conflict, 2},
    {3, 2, "FCC", kind::conflict, 2},
    {3, 2, "FCF", kind::conflict, 2},
    {3, 2, "FFO", kind::unavailable, 2},
    {3, 2, "FFC", kind::unavailable, 2},
    {3, 2, "FFF", kind::unavailable, 2},
    // R=2, W=2
    {2, 2, "OO", kind::ok, 2},
    {2, 2, "OC", kind::conflict, 2},
    {2, 2, "OF", kind::unavailable, 2},
    {2, 2, "CO", kind::conflict, 1},
    {2, 2, "CC", kind::conflict, 1},
    {2, 2, "CF", kind::conflict, 1},
    {2, 2, "FO", kind::unavailable, 1},
    {2, 2, "FC", kind::unavailable, 1},
    {2, 2, "FF", kind::unavailable, 1},
    // R=1, W=1
    {1, 1, "O", kind::ok, 1},
    {1, 1, "C", kind::conflict, 1},
    {1, 1, "F", kind::unavailable, 1},
};

// What the decision must carry: the first conflict's version, ours for ok, and for unavailable the
// failure that arrived last before the decision.
router::write_decision expected_decision(const row& t) {
  router::write_decision d{t.expected, ours, std::nullopt};
  if (t.expected == kind::conflict) d.winner = newer_at(t.outcomes.find('C'));
  if (t.expected == kind::unavailable) d.last_failure = failure_at(t.outcomes.find_last_of('F', t.decided_after - 1));
  return d;
}

}  // namespace

TEST_CASE("the order table lists every sequence of outcomes exactly once", "[router][quorum]") {
  std::set<std::pair<std::size_t, std::string>> seen;
  for (const auto& t : every_order) {
    CHECK(t.outcomes.size() == t.r);
    seen.emplace(t.r, t.outcomes);
  }
  CHECK(seen.size() == every_order.size());
  CHECK(every_order.size() == 27 + 9 + 3);
}

TEST_CASE("a write is decided as soon as its outcome is certain, in every order of replica answers",
          "[router][quorum]") {
  for (const auto& t : every_order) {
    INFO("R=" << t.r << " W=" << t.w << " outcomes " << t.outcomes);
    router::write_quorum q({t.r, t.w}, ours);
    for (std::size_t i = 0; i < t.outcomes.size(); ++i) {
      const auto made = q.record(outcome(t.outcomes[i], i));
      if (i + 1 < t.decided_after) {
        CHECK_FALSE(made);
        CHECK(q.decided().what == kind::pending);
      } else if (i + 1 == t.decided_after) {
        REQUIRE(made);
        CHECK(*made == expected_decision(t));
      } else {
        CHECK_FALSE(made);
      }
    }
    CHECK(q.decided() == expected_decision(t));
    CHECK(q.outcomes() == t.r);
  }
}

TEST_CASE("record announces a decision exactly once, and later outcomes never change it", "[router][quorum]") {
  for (const auto& t : every_order) {
    INFO("R=" << t.r << " W=" << t.w << " outcomes " << t.outcomes);
    router::write_quorum q({t.r, t.w}, ours);
    int announcements = 0;
    for (std::size_t i = 0; i < t.outcomes.size(); ++i) announcements += q.record(outcome(t.outcomes[i], i)) ? 1 : 0;
    const auto settled = q.decided();
    // Stray extra answers (a duplicate reply, a late retry) of every kind.
    announcements += q.record(router::replica_ok{ours}) ? 1 : 0;
    announcements += q.record(router::replica_conflict{{9999, 9}}) ? 1 : 0;
    announcements += q.record(router::replica_failure{proto::status::io_error}) ? 1 : 0;
    CHECK(announcements == 1);
    CHECK(q.decided() == settled);
  }
}

TEST_CASE("a conflict that does not carry a newer version counts as a failed replica", "[router][quorum]") {
  struct stale_row {
    proto::version reported;
  };
  const std::vector<stale_row> table = {{ours}, {{ours.hlc, ours.writer - 1}}, {{1, 99}}};
  for (const auto& t : table) {
    INFO("reported " << t.reported.hlc << "/" << t.reported.writer);
    router::write_quorum q({2, 2}, ours);
    const auto made = q.record(router::replica_conflict{t.reported});
    REQUIRE(made);
    CHECK(made->what == kind::unavailable);
    CHECK(made->last_failure == proto::status::conflict);
    CHECK(q.failures() == 1);
  }
}

TEST_CASE("check accepts 1 <= W <= R and names what is wrong otherwise", "[router][quorum]") {
  struct check_row {
    router::quorum_size size;
    std::optional<router::quorum_error> expected;
  };
  const std::vector<check_row> table = {
      {{1, 1}, std::nullopt},
      {{3, 2}, std::nullopt},
      {{3, 3}, std::nullopt},
      {{5, 1}, std::nullopt},
      {{0, 0}, router::quorum_error::no_replicas},
      {{0, 1}, router::quorum_error::no_replicas},
      {{3, 0}, router::quorum_error::zero_quorum},
      {{2, 3}, router::quorum_error::quorum_above_replicas},
  };
  for (const auto& t : table) {
    INFO("R=" << t.size.replicas << " W=" << t.size.write_quorum);
    CHECK(router::check(t.size) == t.expected);
  }
  CHECK_THROWS_AS(router::write_quorum({2, 3}, ours), std::invalid_argument);
}
