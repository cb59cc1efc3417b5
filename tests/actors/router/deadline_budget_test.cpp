// Deadline defaults per operation, capping, and how one attempt's share of the remaining time is cut,
// all as tables on a made-up time axis.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "actors/router/deadline_budget.hpp"

namespace router = ferry::router;
using namespace std::chrono_literals;
using router::op_kind;

namespace {

constexpr std::uint64_t mib = 1u << 20;
const router::time_point t0 = router::time_point{} + 24h;  // anywhere on the steady clock

}  // namespace

TEST_CASE("the documented defaults are coherent", "[router][deadline]") {
  const router::deadline_settings s;
  CHECK_FALSE(router::check(s));
  CHECK(s.small_op == 2s);
  CHECK(s.bulk_base == 2s);
  CHECK(s.bulk_per_mib == 250ms);
  CHECK(s.bulk_cap == 60s);
  CHECK(s.max_deadline == 600s);
  CHECK(s.attempt_floor == 10ms);
}

TEST_CASE("check names the first incoherence in the settings", "[router][deadline]") {
  struct row {
    std::string name;
    router::deadline_settings settings;
    std::optional<router::deadline_error> expected;
  };
  auto with = [](auto change) {
    router::deadline_settings s;
    change(s);
    return s;
  };
  const std::vector<row> table = {
      {"zero small-op default", with([](auto& s) { s.small_op = 0ms; }), router::deadline_error::nonpositive},
      {"negative per-MiB rate", with([](auto& s) { s.bulk_per_mib = -1ms; }), router::deadline_error::nonpositive},
      {"zero per-MiB rate is fine", with([](auto& s) { s.bulk_per_mib = 0ms; }), std::nullopt},
      {"zero attempt floor", with([](auto& s) { s.attempt_floor = 0ms; }), router::deadline_error::nonpositive},
      {"cap below base", with([](auto& s) { s.bulk_cap = 1s; }), router::deadline_error::cap_below_base},
      {"max below the bulk cap", with([](auto& s) { s.max_deadline = 30s; }),
       router::deadline_error::max_below_defaults},
      {"floor above the small-op default", with([](auto& s) { s.attempt_floor = 3s; }),
       router::deadline_error::floor_above_default},
  };
  for (const auto& t : table) {
    INFO(t.name);
    CHECK(router::check(t.settings) == t.expected);
  }
}

TEST_CASE("small ops get a fixed default and bulk chunks one scaled by size up to a cap", "[router][deadline]") {
  struct row {
    op_kind kind;
    std::uint64_t bytes;
    std::chrono::milliseconds expected;
  };
  const std::vector<row> table = {
      {op_kind::small, 0, 2000ms},
      {op_kind::small, 64 * mib, 2000ms},  // size never matters for a small op
      {op_kind::bulk_chunk, 0, 2000ms},
      {op_kind::bulk_chunk, 1, 2001ms},  // a partial millisecond rounds up
      {op_kind::bulk_chunk, mib / 2, 2125ms},
      {op_kind::bulk_chunk, mib, 2250ms},
      {op_kind::bulk_chunk, 4 * mib, 3000ms},
      {op_kind::bulk_chunk, 16 * mib, 6000ms},
      {op_kind::bulk_chunk, 232 * mib, 60000ms},  // exactly reaches the cap
      {op_kind::bulk_chunk, 1024 * mib, 60000ms},
      {op_kind::bulk_chunk, std::numeric_limits<std::uint64_t>::max(), 60000ms},  // no overflow
  };
  const router::deadline_settings s;
  for (const auto& t : table) {
    INFO("kind " << static_cast<int>(t.kind) << ", " << t.bytes << " bytes");
    CHECK(router::default_timeout(s, t.kind, t.bytes) == t.expected);
  }
}

TEST_CASE("a request's deadline is the client's when given, the default otherwise, and never past the maximum",
          "[router][deadline]") {
  struct row {
    std::uint32_t client_ms;
    op_kind kind;
    std::uint64_t bytes;
    router::duration expected_after_now;
  };
  const std::vector<row> table = {
      {0, op_kind::small, 0, 2s},
      {0, op_kind::bulk_chunk, 4 * mib, 3s},
      {150, op_kind::small, 0, 150ms},
      {150, op_kind::bulk_chunk, 1024 * mib, 150ms},  // the client's word beats the size-scaled default
      {900'000, op_kind::small, 0, 600s},
      {std::numeric_limits<std::uint32_t>::max(), op_kind::small, 0, 600s},
  };
  const router::deadline_settings s;
  for (const auto& t : table) {
    INFO("client " << t.client_ms << " ms, " << t.bytes << " bytes");
    CHECK(router::request_deadline(s, t0, t.client_ms, t.kind, t.bytes) == t0 + t.expected_after_now);
  }
}

TEST_CASE("each attempt gets an equal share of what remains, at least the floor, never past the deadline",
          "[router][deadline]") {
  struct row {
    router::duration remaining;
    std::size_t attempts_left;
    std::optional<router::duration> expected;
  };
  const std::vector<row> table = {
      {900ms, 3, 300ms},
      {900ms, 1, 900ms},
      {900ms, 0, 900ms},            // 0 is read as "this is the last one"
      {100ms, 4, 25ms},
      {30ms, 5, 10ms},              // a 6 ms share is raised to the 10 ms floor
      {12ms, 3, 10ms},
      {10ms, 1, 10ms},              // exactly the floor still starts
      {9ms, 1, std::nullopt},       // less than the floor: do not start, answer TIMEDOUT
      {0ms, 3, std::nullopt},
      {-5ms, 3, std::nullopt},      // already past the deadline
      {1001ms, 2, 500'500us},
  };
  const router::deadline_settings s;
  for (const auto& t : table) {
    const auto remaining_us = std::chrono::duration_cast<std::chrono::microseconds>(t.remaining).count();
    INFO(remaining_us << " us left, " << t.attempts_left << " attempts");
    const auto deadline = t0 + t.remaining;
    CHECK(router::attempt_budget(s, deadline, t0, t.attempts_left) == t.expected);
    CHECK(router::may_start_attempt(s, deadline, t0) == t.expected.has_value());
  }
}

TEST_CASE("spending a deadline across three replicas never overruns it", "[router][deadline]") {
  // Each attempt times out after its full budget; the next replica gets a share of what is left.
  const router::deadline_settings s;
  const auto deadline = t0 + 1s;
  auto now = t0;
  std::vector<router::duration> budgets;
  for (std::size_t left = 3; left > 0; --left) {
    const auto budget = router::attempt_budget(s, deadline, now, left);
    REQUIRE(budget);
    budgets.push_back(*budget);
    now += *budget;
    CHECK(now <= deadline);
  }
  CHECK(now == deadline);
  CHECK(budgets.size() == 3);
  CHECK_FALSE(router::attempt_budget(s, deadline, now, 1));
}
