// The listener's admission policy on a made-up time axis: bursts drain, tokens come back exactly on time
// (fractional rates too), the session cap refuses without spending tokens, and reloads keep what is fair.
#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "actors/listener/accept_policy.hpp"

namespace listener = ferry::listener;
using namespace std::chrono_literals;
using listener::admission;

namespace {

const listener::time_point t0 = listener::time_point{} + 24h;  // anywhere on the steady clock

/// One connection arriving at t0 + at while `open` sessions are open, and what the policy must say.
struct arrival {
  std::chrono::nanoseconds at;
  std::uint64_t open;
  admission expected;
};

/// Plays `arrivals` in order against a fresh policy; each mismatch is reported with its row.
void play(const listener::accept_limits& limits, const std::vector<arrival>& arrivals) {
  listener::accept_policy policy(limits, t0);
  for (std::size_t i = 0; i < arrivals.size(); ++i) {
    const auto& a = arrivals[i];
    INFO("row " << i << " at " << a.at.count() << " ns with " << a.open << " open");
    CHECK(policy.admit(t0 + a.at, a.open) == a.expected);
  }
}

constexpr auto ok = admission::admitted;
constexpr auto rate = admission::refused_rate;
constexpr auto full = admission::refused_sessions;

}  // namespace

TEST_CASE("the documented accept limits are coherent", "[listener]") {
  const listener::accept_limits d;
  CHECK_FALSE(listener::check(d));
  CHECK(d.rate == 1000.0);
  CHECK(d.burst == 1000);
  CHECK(d.max_sessions == 4096);
}

TEST_CASE("check names what is wrong with accept limits", "[listener]") {
  struct row {
    std::string name;
    listener::accept_limits limits;
    std::optional<listener::accept_limits_error> expected;
  };
  using E = listener::accept_limits_error;
  const std::vector<row> rows = {
      {"smallest rate", {0.001, 1, 1}, std::nullopt},
      {"largest rate and burst", {1e6, 1'000'000, 1}, std::nullopt},
      {"zero rate", {0.0, 1, 1}, E::bad_rate},
      {"rate below the granularity", {0.0009, 1, 1}, E::bad_rate},
      {"negative rate", {-1.0, 1, 1}, E::bad_rate},
      {"not a number", {std::nan(""), 1, 1}, E::bad_rate},
      {"rate too high", {1.5e6, 1, 1}, E::bad_rate},
      {"empty bucket", {10.0, 0, 1}, E::bad_burst},
      {"bucket too large", {10.0, 1'000'001, 1}, E::bad_burst},
      {"no sessions", {10.0, 1, 0}, E::zero_sessions},
  };
  for (const auto& r : rows) {
    INFO(r.name);
    CHECK(listener::check(r.limits) == r.expected);
  }
  CHECK_THROWS_AS(listener::accept_policy({0.0, 1, 1}, t0), std::invalid_argument);
  listener::accept_policy p({1.0, 1, 1}, t0);
  CHECK_THROWS_AS(p.reconfigure({1.0, 0, 1}, t0), std::invalid_argument);
  CHECK(p.limits() == listener::accept_limits{1.0, 1, 1});  // a refused reload changes nothing
}

TEST_CASE("a full bucket lets a burst through back to back, then refuses for the rate", "[listener]") {
  play({10.0, 3, 100}, {
                           {0ms, 0, ok},
                           {0ms, 1, ok},
                           {0ms, 2, ok},
                           {0ms, 3, rate},
                           {99ms, 3, rate},  // 10/s: the next token is due at 100 ms
                           {100ms, 3, ok},
                           {100ms, 4, rate},
                           {350ms, 4, ok},  // 2.5 tokens earned since 100 ms: two whole ones
                           {350ms, 5, ok},
                           {350ms, 6, rate},
                           {400ms, 6, ok},  // the half token left at 350 ms completes at 400 ms
                       });
}

TEST_CASE("tokens come back exactly at k / rate, to the nanosecond", "[listener]") {
  SECTION("1000/s: one a millisecond") {
    play({1000.0, 1, 100}, {
                               {0ns, 0, ok},
                               {999'999ns, 0, rate},
                               {1'000'000ns, 0, ok},
                               {1'999'999ns, 0, rate},
                               {2ms, 0, ok},
                           });
  }
  SECTION("3/s: thirds of a second, with no drift at the whole second") {
    listener::accept_policy p({3.0, 3, 100}, t0);
    for (int i = 0; i < 3; ++i) REQUIRE(p.admit(t0, 0) == ok);
    struct row {
      std::chrono::nanoseconds at;
      std::uint64_t tokens;
    };
    const std::vector<row> rows = {
        {333ms, 0},          {333'333'333ns, 0}, {333'333'334ns, 1}, {666ms, 1},
        {666'666'667ns, 2},  {999ms, 2},         {1000ms, 3},        {5000ms, 3},
    };
    for (const auto& r : rows) {
      INFO(r.at.count() << " ns");
      CHECK(p.tokens(t0 + r.at) == r.tokens);
    }
  }
  SECTION("a long steady run admits exactly burst + rate × time") {
    listener::accept_policy p({3.0, 5, 1'000'000}, t0);
    std::uint64_t admitted = 0;
    for (auto t = 0ms; t <= 60s; t += 1ms)
      while (p.admit(t0 + t, 0) == ok) ++admitted;
    CHECK(admitted == 5 + 3 * 60);
  }
}

TEST_CASE("fractional rates refill a token over several seconds", "[listener]") {
  SECTION("0.5/s") {
    play({0.5, 1, 100}, {
                            {0ms, 0, ok},
                            {1000ms, 0, rate},
                            {1999ms, 0, rate},
                            {2000ms, 0, ok},
                            {3999ms, 0, rate},
                            {4000ms, 0, ok},
                        });
  }
  SECTION("0.25/s with a burst of two") {
    play({0.25, 2, 100}, {
                             {0ms, 0, ok},
                             {0ms, 0, ok},
                             {3999ms, 0, rate},
                             {4000ms, 0, ok},
                             {12000ms, 0, ok},  // 8 s idle: two tokens, the bucket is full again
                             {12000ms, 0, ok},
                             {12000ms, 0, rate},
                         });
  }
  SECTION("the smallest rate, 0.001/s: one token in 1000 s") {
    play({0.001, 1, 100}, {{0s, 0, ok}, {999s, 0, rate}, {1000s, 0, ok}});
  }
}

TEST_CASE("the session cap refuses without spending the rate budget", "[listener]") {
  listener::accept_policy p({1.0, 2, 3}, t0);
  struct row {
    std::uint64_t open;
    admission expected;
    std::uint64_t tokens_after;
  };
  const std::vector<row> rows = {
      {3, full, 2},  // at the cap: refused, the two tokens stay
      {9, full, 2},  // above it (a reload lowered the cap): refused too
      {2, ok, 1},
      {3, full, 1},
      {2, ok, 0},
      {2, rate, 0},  // room for a session but no token: the rate is the reason
      {3, full, 0},  // both exceeded: the cap is reported, it is the standing condition
  };
  for (std::size_t i = 0; i < rows.size(); ++i) {
    INFO("row " << i);
    CHECK(p.admit(t0, rows[i].open) == rows[i].expected);
    CHECK(p.tokens(t0) == rows[i].tokens_after);
  }
}

TEST_CASE("the bucket never holds more than its burst, however long the listener idles", "[listener]") {
  listener::accept_policy p({1e6, 1'000'000, 10}, t0);
  CHECK(p.tokens(t0) == 1'000'000);
  CHECK(p.tokens(t0 + 24h * 365 * 100) == 1'000'000);  // 100 years at the highest rate: no overflow
  CHECK(p.admit(t0 + 24h * 365 * 100, 0) == ok);
  CHECK(p.tokens(t0 + 24h * 365 * 100) == 999'999);
}

TEST_CASE("time going backwards earns nothing and loses nothing", "[listener]") {
  listener::accept_policy p({1.0, 2, 10}, t0);
  CHECK(p.admit(t0 + 10s, 0) == ok);
  CHECK(p.admit(t0 + 10s, 0) == ok);
  CHECK(p.admit(t0 + 5s, 0) == rate);  // an earlier stamp (another thread's clock read) is "no time"
  CHECK(p.tokens(t0 + 10s) == 0);
  CHECK(p.admit(t0 + 11s, 0) == ok);  // the refill still counts from 10 s
}

TEST_CASE("next_token_in says when a refused client could try again", "[listener]") {
  listener::accept_policy p({4.0, 1, 10}, t0);
  CHECK(p.next_token_in(t0) == 0ns);
  REQUIRE(p.admit(t0, 0) == ok);
  CHECK(p.next_token_in(t0) == 250ms);
  CHECK(p.next_token_in(t0 + 100ms) == 150ms);
  CHECK(p.next_token_in(t0 + 250ms) == 0ns);
  listener::accept_policy thirds({3.0, 1, 10}, t0);
  REQUIRE(thirds.admit(t0, 0) == ok);
  CHECK(thirds.next_token_in(t0) == 333'333'334ns);  // rounded up: trying then succeeds
}

TEST_CASE("a reload keeps the tokens earned, cut to a smaller burst, and fills a larger one slowly",
          "[listener]") {
  struct row {
    std::string name;
    listener::accept_limits before;
    std::uint64_t admitted_at_0;   // connections admitted at t0 before the reload
    std::chrono::nanoseconds reload_at;
    listener::accept_limits after;
    std::uint64_t tokens_at_reload;
    std::chrono::nanoseconds later;
    std::uint64_t tokens_later;
  };
  const std::vector<row> rows = {
      {"a smaller burst cuts the tokens held", {1.0, 10, 100}, 0, 0s, {1.0, 4, 100}, 4, 10s, 4},
      {"a larger burst is not handed out at once", {1.0, 4, 100}, 0, 0s, {1.0, 10, 100}, 4, 3s, 7},
      {"a drained bucket stays drained", {1.0, 5, 100}, 5, 0s, {1.0, 50, 100}, 0, 2s, 2},
      {"time before the reload is credited at the old rate", {1.0, 10, 100}, 10, 2s, {100.0, 10, 100}, 2,
       50ms, 7},
      {"a slower rate applies from the reload on", {10.0, 10, 100}, 10, 500ms, {1.0, 10, 100}, 5, 1s, 6},
      {"a fractional new rate", {1.0, 10, 100}, 10, 0s, {0.5, 10, 100}, 0, 3s, 1},
  };
  for (const auto& r : rows) {
    INFO(r.name);
    listener::accept_policy p(r.before, t0);
    for (std::uint64_t i = 0; i < r.admitted_at_0; ++i) REQUIRE(p.admit(t0, 0) == ok);
    p.reconfigure(r.after, t0 + r.reload_at);
    CHECK(p.limits() == r.after);
    CHECK(p.tokens(t0 + r.reload_at) == r.tokens_at_reload);
    CHECK(p.tokens(t0 + r.reload_at + r.later) == r.tokens_later);
  }
}

TEST_CASE("a lowered session cap refuses new connections only from the reload on", "[listener]") {
  listener::accept_policy p({100.0, 10, 8}, t0);
  CHECK(p.admit(t0, 5) == ok);
  p.reconfigure({100.0, 10, 4}, t0 + 1s);
  CHECK(p.admit(t0 + 1s, 5) == full);
  CHECK(p.admit(t0 + 1s, 3) == ok);
  p.reconfigure({100.0, 10, 16}, t0 + 2s);
  CHECK(p.admit(t0 + 2s, 15) == ok);
}
