// Server health on a simulated time axis: ejection after consecutive errors or as a latency outlier,
// doubling ejection periods, forgiveness, the cluster-wide ejection limit, and the order reads try.
#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "actors/router/server_health.hpp"

namespace router = ferry::router;
using namespace std::chrono_literals;
using router::health_event;
using router::latency;
using router::server_id;

namespace {

const router::time_point t0 = router::time_point{} + 1h;

std::vector<server_id> servers_named(std::initializer_list<const char*> names) {
  return {names.begin(), names.end()};
}

router::health_board board_of(const std::vector<server_id>& servers, router::health_settings s = {}) {
  router::health_board board(s);
  board.set_servers(servers);
  return board;
}

// Feeds `n` identical latency samples one millisecond apart; returns the last event.
health_event samples(router::health_board& board, const server_id& id, latency took, int n, router::time_point& now) {
  health_event last = health_event::none;
  for (int i = 0; i < n; ++i) {
    last = board.record_success(id, took, now);
    now += 1ms;
  }
  return last;
}

health_event errors(router::health_board& board, const server_id& id, int n, router::time_point now) {
  health_event last = health_event::none;
  for (int i = 0; i < n; ++i) last = board.record_error(id, now);
  return last;
}

}  // namespace

TEST_CASE("the documented health defaults are coherent", "[router][health]") {
  const router::health_settings s;
  CHECK_FALSE(router::check(s));
  CHECK(s.eject_after_errors == 5);
  CHECK(s.outlier_factor == 3.0);
  CHECK(s.outlier_min_samples == 20);
  CHECK(s.base_ejection == 10s);
  CHECK(s.max_ejection == 300s);
  CHECK(s.max_ejected_fraction == 0.5);
}

TEST_CASE("check names what is incoherent in the health settings", "[router][health]") {
  struct row {
    std::string name;
    std::function<void(router::health_settings&)> change;
    std::optional<router::health_error> expected;
  };
  const std::vector<row> table = {
      {"zero EWMA weight", [](auto& s) { s.latency_weight = 0.0; }, router::health_error::bad_latency_weight},
      {"EWMA weight above one", [](auto& s) { s.latency_weight = 1.5; }, router::health_error::bad_latency_weight},
      {"EWMA weight of one (last sample only)", [](auto& s) { s.latency_weight = 1.0; }, std::nullopt},
      {"zero error limit", [](auto& s) { s.eject_after_errors = 0; }, router::health_error::zero_error_limit},
      {"outlier factor of one", [](auto& s) { s.outlier_factor = 1.0; }, router::health_error::bad_outlier_factor},
      {"zero base ejection", [](auto& s) { s.base_ejection = 0s; }, router::health_error::bad_ejection_period},
      {"cap below base", [](auto& s) { s.max_ejection = 5s; }, router::health_error::bad_ejection_period},
      {"fraction above one", [](auto& s) { s.max_ejected_fraction = 1.1; }, router::health_error::bad_fraction},
      {"fraction zero (never eject)", [](auto& s) { s.max_ejected_fraction = 0.0; }, std::nullopt},
  };
  for (const auto& t : table) {
    INFO(t.name);
    router::health_settings s;
    t.change(s);
    CHECK(router::check(s) == t.expected);
  }
  router::health_settings bad;
  bad.eject_after_errors = 0;
  CHECK_THROWS_AS(router::health_board(bad), std::invalid_argument);
}

TEST_CASE("the median is the middle value, or the mean of the middle two", "[router][health]") {
  struct row {
    std::vector<double> us;
    double expected;
  };
  const std::vector<row> table = {
      {{7}, 7}, {{3, 1}, 2}, {{5, 1, 3}, 3}, {{4, 1, 3, 2}, 2.5}, {{9, 9, 1, 9}, 9}, {{10, 1, 100, 2, 3}, 3},
  };
  for (const auto& t : table) {
    std::vector<latency> values;
    for (double v : t.us) values.emplace_back(v);
    CHECK(router::median(values).count() == Approx(t.expected));
  }
}

TEST_CASE("consecutive errors eject a server, and a success in between starts the count again",
          "[router][health]") {
  struct row {
    std::string outcomes;  // E error, S success (1 ms)
    health_event expected_last;
    std::optional<int> ejected_by;  // which outcome (from 0) ejected the server
  };
  const std::vector<row> table = {
      {"EEEE", health_event::none, std::nullopt},
      {"EEEEE", health_event::ejected_for_errors, 4},
      {"EEEESEEEE", health_event::none, std::nullopt},
      {"EEEESEEEEE", health_event::ejected_for_errors, 9},
      {"SSSEEEEE", health_event::ejected_for_errors, 7},
      {"EEEEEE", health_event::none, 4},  // already ejected: nothing new to report
  };
  for (const auto& t : table) {
    INFO(t.outcomes);
    auto servers = servers_named({"a", "b", "c", "d"});
    auto board = board_of(servers);
    auto now = t0;
    health_event last = health_event::none;
    for (char c : t.outcomes) {
      last = c == 'E' ? board.record_error("a", now) : board.record_success("a", latency{1000}, now);
      now += 1ms;
    }
    CHECK(last == t.expected_last);
    CHECK(board.is_ejected("a", now) == t.ejected_by.has_value());
    if (t.ejected_by) CHECK(board.find("a")->ejected_until == t0 + *t.ejected_by * 1ms + 10s);
  }
}

TEST_CASE("ejection periods double on repeated ejections up to the cap", "[router][health]") {
  struct row {
    unsigned n;
    router::duration expected;
  };
  const std::vector<row> table = {
      {1, 10s}, {2, 20s}, {3, 40s}, {4, 80s}, {5, 160s}, {6, 300s}, {7, 300s}, {1000, 300s},
  };
  const router::health_settings s;
  for (const auto& t : table) {
    INFO("ejection number " << t.n);
    CHECK(router::ejection_period(s, t.n) == t.expected);
  }
}

TEST_CASE("a server that fails again right after re-admission stays out twice as long each time",
          "[router][health]") {
  auto board = board_of(servers_named({"a", "b", "c", "d"}));
  auto now = t0;
  const std::vector<router::duration> expected = {10s, 20s, 40s, 80s, 160s, 300s, 300s};
  for (auto period : expected) {
    INFO("now at +" << std::chrono::duration_cast<std::chrono::seconds>(now - t0).count() << " s");
    CHECK(errors(board, "a", 5, now) == health_event::ejected_for_errors);
    CHECK(board.find("a")->ejected_until == now + period);
    CHECK(board.is_ejected("a", now + period - 1ms));
    CHECK_FALSE(board.is_ejected("a", now + period));
    now += period;
  }
}

TEST_CASE("a server healthy for forgive_after since re-admission is next ejected for the base period",
          "[router][health]") {
  struct row {
    router::duration healthy_for;
    router::duration expected_period;
  };
  const std::vector<row> table = {{299s, 40s}, {300s, 10s}, {3600s, 10s}};
  for (const auto& t : table) {
    INFO("healthy for " << std::chrono::duration_cast<std::chrono::seconds>(t.healthy_for).count() << " s");
    auto board = board_of(servers_named({"a", "b", "c", "d"}));
    auto now = t0;
    errors(board, "a", 5, now);  // 10 s
    now += 10s;
    errors(board, "a", 5, now);  // 20 s
    now += 20s;
    CHECK(board.readmit_due(now) == servers_named({"a"}));
    now += t.healthy_for;
    CHECK(errors(board, "a", 5, now) == health_event::ejected_for_errors);
    CHECK(board.find("a")->ejected_until == now + t.expected_period);
  }
}

TEST_CASE("re-admission starts a server's statistics afresh and is reported once", "[router][health]") {
  auto board = board_of(servers_named({"a", "b", "c"}));
  auto now = t0;
  samples(board, "a", latency{4000}, 3, now);
  errors(board, "a", 5, now);
  CHECK(board.readmit_due(now + 9s).empty());
  const auto back = now + 10s;
  CHECK(board.readmit_due(back) == servers_named({"a"}));
  CHECK(board.readmit_due(back + 1s).empty());
  const auto* a = board.find("a");
  REQUIRE(a);
  CHECK(a->samples == 0);
  CHECK(a->consecutive_errors == 0);
  CHECK_FALSE(a->ejected_until);
  CHECK(a->admitted_at == back);
  // Four errors after re-admission are not enough: the count restarted.
  CHECK(errors(board, "a", 4, back + 2s) == health_event::none);
}

TEST_CASE("a server much slower than the median of its peers is ejected as an outlier, given enough samples",
          "[router][health]") {
  struct row {
    std::string name;
    double slow_us;
    double peers_us;
    int slow_samples;
    int peer_samples;
    health_event expected;
  };
  const std::vector<row> table = {
      {"5x the median after 20 samples", 10'000, 2'000, 20, 20, health_event::ejected_as_outlier},
      {"5x the median after only 19 samples", 10'000, 2'000, 19, 20, health_event::none},
      {"peers with too few samples to compare with", 10'000, 2'000, 20, 19, health_event::none},
      {"2.5x the median is within the factor", 5'000, 2'000, 50, 50, health_event::none},
      {"exactly 3x is not above the factor", 6'000, 2'000, 50, 50, health_event::none},
      {"9x the median but under the 1 ms floor", 900, 100, 50, 50, health_event::none},
  };
  for (const auto& t : table) {
    INFO(t.name);
    const auto servers = servers_named({"p1", "p2", "p3", "p4", "slow"});
    auto board = board_of(servers);
    auto now = t0;
    for (const char* peer : {"p1", "p2", "p3", "p4"}) samples(board, peer, latency{t.peers_us}, t.peer_samples, now);
    CHECK(samples(board, "slow", latency{t.slow_us}, t.slow_samples, now) == t.expected);
    CHECK(board.is_ejected("slow", now) == (t.expected == health_event::ejected_as_outlier));
  }
}

TEST_CASE("the latency EWMA weighs the newest sample by latency_weight", "[router][health]") {
  auto board = board_of(servers_named({"a"}));
  auto now = t0;
  board.record_success("a", latency{1000}, now);
  CHECK(board.find("a")->latency_ewma.count() == Approx(1000));  // the first sample is taken as is
  board.record_success("a", latency{2000}, now);
  CHECK(board.find("a")->latency_ewma.count() == Approx(1200));
  board.record_success("a", latency{2000}, now);
  CHECK(board.find("a")->latency_ewma.count() == Approx(1360));
  CHECK(board.find("a")->samples == 3);
}

TEST_CASE("the cluster never ejects more than its allowed fraction of servers", "[router][health]") {
  struct row {
    int servers;
    double fraction;
    std::size_t ejectable;
  };
  const std::vector<row> table = {
      {1, 0.5, 0}, {2, 0.5, 1}, {3, 0.5, 1}, {4, 0.5, 2}, {5, 0.5, 2}, {6, 0.5, 3},
      {5, 1.0, 5}, {5, 0.0, 0}, {5, 0.2, 1}, {10, 0.3, 3}, {100, 0.29, 29},
  };
  for (const auto& t : table) {
    INFO(t.servers << " servers, fraction " << t.fraction);
    router::health_settings s;
    s.max_ejected_fraction = t.fraction;
    std::vector<server_id> servers;
    for (int i = 0; i < t.servers; ++i) servers.push_back("s" + std::to_string(i));
    auto board = board_of(servers, s);
    std::size_t refused = 0;
    for (const auto& id : servers)
      if (errors(board, id, 5, t0) == health_event::ejection_refused) ++refused;
    CHECK(board.ejected_count(t0) == t.ejectable);
    CHECK(refused == servers.size() - t.ejectable);
  }
}

TEST_CASE("a refused ejection happens once a slot frees up", "[router][health]") {
  auto board = board_of(servers_named({"a", "b"}));
  CHECK(errors(board, "a", 5, t0) == health_event::ejected_for_errors);
  CHECK(errors(board, "b", 5, t0) == health_event::ejection_refused);
  CHECK_FALSE(board.is_ejected("b", t0));
  // a comes back after 10 s; b's next error takes the slot.
  CHECK(board.record_error("b", t0 + 10s) == health_event::ejected_for_errors);
  CHECK(board.is_ejected("b", t0 + 10s));
  CHECK_FALSE(board.is_ejected("a", t0 + 10s));
}

TEST_CASE("reads try healthy replicas by latency first, then ones with errors, then ejected ones",
          "[router][health]") {
  struct row {
    std::string name;
    std::function<void(router::health_board&, router::time_point)> setup;
    std::vector<server_id> expected;
  };
  auto ms = [](double v) { return latency{v * 1000}; };
  const std::vector<row> table = {
      {"nothing known: placement order", [](auto&, auto) {}, {"a", "b", "c", "d"}},
      {"by latency, an unmeasured server first",
       [&](auto& b, auto now) {
         b.record_success("a", ms(5), now);
         b.record_success("b", ms(1), now);
         b.record_success("c", ms(3), now);
       },
       {"d", "b", "c", "a"}},
      {"equal latencies keep placement order",
       [&](auto& b, auto now) {
         for (const char* id : {"a", "b", "c", "d"}) b.record_success(id, ms(2), now);
       },
       {"a", "b", "c", "d"}},
      {"a recent error sends a fast server behind the healthy ones",
       [&](auto& b, auto now) {
         for (const char* id : {"a", "b", "c", "d"}) b.record_success(id, ms(2), now);
         b.record_success("a", ms(0.5), now);
         b.record_error("a", now);
       },
       {"b", "c", "d", "a"}},
      {"ejected servers last, the one back soonest first",
       [&](auto& b, auto now) {
         for (const char* id : {"a", "b", "c", "d"}) b.record_success(id, ms(1), now);
         errors(b, "b", 5, now - 5s);  // back at now + 5 s
         errors(b, "a", 5, now);       // back at now + 10 s
       },
       {"c", "d", "b", "a"}},
      {"an ejection that has run out counts as healthy and unmeasured",
       [&](auto& b, auto now) {
         for (const char* id : {"a", "b", "c", "d"}) b.record_success(id, ms(1), now);
         errors(b, "c", 5, now - 10s);
       },
       {"c", "a", "b", "d"}},
  };
  const auto servers = servers_named({"a", "b", "c", "d"});
  for (const auto& t : table) {
    INFO(t.name);
    auto board = board_of(servers);
    t.setup(board, t0);
    CHECK(board.read_order(servers, t0) == t.expected);
  }
}

TEST_CASE("read_order keeps servers it does not know, as healthy and unmeasured", "[router][health]") {
  auto board = board_of(servers_named({"a", "b"}));
  board.record_success("a", latency{500}, t0);
  board.record_success("b", latency{100}, t0);
  CHECK(board.read_order(servers_named({"a", "gone", "b"}), t0) == servers_named({"gone", "b", "a"}));
}

TEST_CASE("a new server set keeps known servers' records and forgets removed ones", "[router][health]") {
  auto board = board_of(servers_named({"a", "b"}));
  errors(board, "a", 5, t0);
  board.record_success("b", latency{700}, t0);
  board.set_servers(servers_named({"a", "c"}));
  CHECK(board.is_ejected("a", t0));
  CHECK(board.find("b") == nullptr);
  REQUIRE(board.find("c"));
  CHECK(board.find("c")->samples == 0);
  // A late reply from the removed server changes nothing.
  CHECK(board.record_error("b", t0) == health_event::none);
  CHECK(board.record_success("b", latency{1}, t0) == health_event::none);
  CHECK(board.find("b") == nullptr);
}
