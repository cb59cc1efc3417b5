// Tests of the pure parts: spec checking, the intensity window, the backoff
// schedule and the strategies' stop/start plans. No actors involved.
#include <catch2/catch.hpp>

#include "supervision/backoff.hpp"
#include "supervision/errors.hpp"
#include "supervision/intensity.hpp"
#include "supervision/spec.hpp"
#include "supervision/strategy.hpp"

using namespace std::chrono_literals;
namespace sv = supervision;

namespace {

sv::child_spec valid_child(std::string id) {
  auto start = [](caf::local_actor*, const caf::message&) -> caf::expected<caf::actor> {
    return caf::actor{};
  };
  return {std::move(id), start, sv::restart_type::permanent, std::nullopt,
          sv::child_type::worker};
}

sv::spec_errc error_of(const sv::supervisor_spec& spec) {
  auto err = sv::check(spec);
  REQUIRE(err);
  return err->code;
}

} // namespace

TEST_CASE("check accepts a well-formed spec and applies OTP's shutdown defaults",
          "[supervision][spec]") {
  sv::supervisor_spec spec{{}, {valid_child("a"), valid_child("b")}};
  CHECK_FALSE(sv::check(spec));
  CHECK(sv::effective_shutdown(spec.children[0]).how == sv::shutdown_policy::kind::timeout);
  CHECK(sv::effective_shutdown(spec.children[0]).timeout == caf::timespan{5s});
  spec.children[1].type = sv::child_type::supervisor;
  CHECK(sv::effective_shutdown(spec.children[1]).how == sv::shutdown_policy::kind::infinity);
  sv::supervisor_flags defaults;
  CHECK(defaults.intensity == 1);
  CHECK(defaults.period == caf::timespan{5s});
}

TEST_CASE("check names the duplicate id", "[supervision][spec]") {
  sv::supervisor_spec spec{{}, {valid_child("a"), valid_child("b"), valid_child("a")}};
  auto err = sv::check(spec);
  REQUIRE(err);
  CHECK(err->code == sv::spec_errc::duplicate_id);
  CHECK(err->child_id == "a");
}

TEST_CASE("check rejects child specs that cannot work", "[supervision][spec]") {
  auto child = valid_child("x");
  SECTION("empty id") {
    child.id.clear();
    CHECK(sv::check(child)->code == sv::spec_errc::empty_id);
  }
  SECTION("missing start function") {
    child.start = nullptr;
    CHECK(sv::check(child)->code == sv::spec_errc::missing_start);
    CHECK(sv::check(child)->child_id == "x");
  }
  SECTION("zero timeout for a supervisor child") {
    child.type = sv::child_type::supervisor;
    child.shutdown = sv::shutdown_policy::after(0ms);
    CHECK(sv::check(child)->code == sv::spec_errc::zero_timeout_for_supervisor);
  }
  SECTION("zero timeout is fine for a worker") {
    child.shutdown = sv::shutdown_policy::after(0ms);
    CHECK_FALSE(sv::check(child));
  }
  SECTION("negative timeout") {
    child.shutdown = sv::shutdown_policy::after(-1ms);
    CHECK(sv::check(child)->code == sv::spec_errc::negative_timeout);
  }
}

TEST_CASE("check rejects bad supervisor flags", "[supervision][spec]") {
  sv::supervisor_spec spec{{}, {valid_child("a")}};
  SECTION("negative intensity") {
    spec.flags.intensity = -1;
    CHECK(error_of(spec) == sv::spec_errc::negative_intensity);
  }
  SECTION("zero period") {
    spec.flags.period = caf::timespan{0};
    CHECK(error_of(spec) == sv::spec_errc::nonpositive_period);
  }
  SECTION("simple_one_for_one needs exactly one template") {
    spec.flags.strategy = sv::restart_strategy::simple_one_for_one;
    spec.children.push_back(valid_child("b"));
    CHECK(error_of(spec) == sv::spec_errc::simple_needs_one_template);
  }
  SECTION("backoff with jitter of 1 or more") {
    spec.flags.backoff = sv::backoff_policy{100ms, 1s, 1.0, 0};
    CHECK(error_of(spec) == sv::spec_errc::bad_backoff);
  }
  SECTION("backoff whose cap is below its start") {
    spec.flags.backoff = sv::backoff_policy{2s, 1s, 0.0, 0};
    CHECK(error_of(spec) == sv::spec_errc::bad_backoff);
  }
  SECTION("an invalid child is reported by id") {
    spec.children.push_back(valid_child("b"));
    spec.children.back().start = nullptr;
    auto err = sv::check(spec);
    REQUIRE(err);
    CHECK(err->code == sv::spec_errc::missing_start);
    CHECK(err->child_id == "b");
  }
}

TEST_CASE("restart intensity allows exactly `intensity` restarts per period",
          "[supervision][intensity]") {
  sv::time_point t0{};
  auto v1 = sv::add_restart({}, t0, 2, 10s);
  CHECK_FALSE(v1.exceeded);
  auto v2 = sv::add_restart(v1.restarts, t0 + 1s, 2, 10s);
  CHECK_FALSE(v2.exceeded);
  auto v3 = sv::add_restart(v2.restarts, t0 + 2s, 2, 10s);
  CHECK(v3.exceeded);
  CHECK(v3.restarts.size() == 3);
}

TEST_CASE("restart intensity keeps a restart exactly one period old in the window",
          "[supervision][intensity]") {
  sv::time_point t0{};
  // OTP keeps restarts at or after now - period: the edge still counts.
  auto edge = sv::add_restart({t0}, t0 + 5s, 1, 5s);
  CHECK(edge.exceeded);
  CHECK(edge.restarts.size() == 2);
  // One nanosecond later the old restart has left the window.
  auto after = sv::add_restart({t0}, t0 + 5s + 1ns, 1, 5s);
  CHECK_FALSE(after.exceeded);
  REQUIRE(after.restarts.size() == 1);
  CHECK(after.restarts.front() == t0 + 5s + 1ns);
}

TEST_CASE("restart intensity zero forbids any restart", "[supervision][intensity]") {
  CHECK(sv::add_restart({}, sv::time_point{}, 0, 5s).exceeded);
}

TEST_CASE("restart intensity drops only the restarts older than the period",
          "[supervision][intensity]") {
  sv::time_point t0{};
  auto v = sv::add_restart({t0, t0 + 3s, t0 + 6s}, t0 + 9s, 3, 5s);
  CHECK_FALSE(v.exceeded);
  CHECK(v.restarts == std::vector<sv::time_point>{t0 + 6s, t0 + 9s});
}

TEST_CASE("backoff doubles from the initial delay up to the cap", "[supervision][backoff]") {
  sv::backoff_policy b{100ms, 1s, 0.0, 0};
  std::vector<caf::timespan> expected{100ms, 200ms, 400ms, 800ms, 1s, 1s};
  for (unsigned n = 0; n < expected.size(); ++n)
    CHECK(sv::backoff_delay(b, n, 0.7) == expected[n]);
  CHECK(sv::nominal_backoff(b, 1000) == caf::timespan{1s}); // no overflow
}

TEST_CASE("backoff jitter only shortens the delay, by at most the jitter fraction",
          "[supervision][backoff]") {
  sv::backoff_policy b{100ms, 1s, 0.25, 0};
  for (unsigned n = 0; n < 8; ++n) {
    auto nominal = sv::nominal_backoff(b, n);
    for (double u : {0.0, 0.3, 0.999}) {
      auto d = sv::backoff_delay(b, n, u);
      CHECK(d <= nominal);
      CHECK(d >= nominal * 3 / 4);
      CHECK(d <= b.max);
    }
  }
  CHECK(sv::backoff_delay(b, 0, 0.0) == caf::timespan{100ms});
  CHECK(sv::backoff_delay(b, 0, 1.0) == caf::timespan{75ms});
}

TEST_CASE("should_restart follows OTP's restart types", "[supervision][spec]") {
  using sv::restart_type;
  caf::error normal;
  caf::error shutdown = caf::exit_reason::user_shutdown;
  caf::error escalated = sv::make_error(sv::sup_errc::reached_max_intensity);
  caf::error crash = caf::make_error(caf::sec::runtime_error);
  caf::error killed = caf::exit_reason::kill;
  for (const auto& r : {normal, shutdown, escalated, crash, killed})
    CHECK(sv::should_restart(restart_type::permanent, r));
  CHECK_FALSE(sv::should_restart(restart_type::transient, normal));
  CHECK_FALSE(sv::should_restart(restart_type::transient, shutdown));
  CHECK_FALSE(sv::should_restart(restart_type::transient, escalated));
  CHECK(sv::should_restart(restart_type::transient, crash));
  CHECK(sv::should_restart(restart_type::transient, killed));
  for (const auto& r : {normal, shutdown, escalated, crash, killed})
    CHECK_FALSE(sv::should_restart(restart_type::temporary, r));
}

TEST_CASE("strategies plan stops newest-first and starts in spec order",
          "[supervision][strategy]") {
  using sv::restart_type;
  std::vector<sv::child_view> kids{{restart_type::permanent, true},
                                   {restart_type::temporary, true},
                                   {restart_type::permanent, false}, // the one that ended
                                   {restart_type::transient, true},
                                   {restart_type::permanent, false}}; // stopped earlier
  auto o = sv::one_for_one(kids, 2);
  CHECK(o.stop.empty());
  CHECK(o.start == std::vector<std::size_t>{2});
  auto a = sv::one_for_all(kids, 2);
  CHECK(a.stop == std::vector<std::size_t>{3, 1, 0});
  CHECK(a.start == std::vector<std::size_t>{0, 2, 3, 4}); // temporary 1 is dropped
  auto r = sv::rest_for_one(kids, 2);
  CHECK(r.stop == std::vector<std::size_t>{3});
  CHECK(r.start == std::vector<std::size_t>{2, 3, 4});
  auto s = sv::plan_restart(sv::restart_strategy::simple_one_for_one, kids, 2);
  CHECK(s.start == std::vector<std::size_t>{2});
}
