// Ordered start and stop, shutdown policies, introspection requests, report
// events, intensity on simulated time, escalation and backoff.
#include "fixture.hpp"

#include "supervision/backoff.hpp"

using namespace sup_test;
using sv::restart_type;
using sv::restart_strategy;
using strings = std::vector<std::string>;

namespace {

sv::supervisor_spec three_workers(probe* p, int intensity = 10) {
  sv::supervisor_spec spec;
  spec.flags.intensity = intensity;
  spec.children = {worker(p, "A"), worker(p, "B"), worker(p, "C")};
  return spec;
}

caf::error crash_reason() {
  return caf::make_error(caf::sec::runtime_error);
}

} // namespace

TEST_CASE_METHOD(fixture, "children start in spec order and stop in reverse order",
                 "[supervision][lifecycle]") {
  auto sup = start(three_workers(&p));
  CHECK(take_log() == strings{"start:A", "start:B", "start:C"});
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  CHECK(exit_reason_of(sup) == caf::exit_reason::user_shutdown);
  CHECK(take_log() == strings{"stop:C", "stop:B", "stop:A"});
  CHECK(sys.registry().running() == baseline_running);
}

TEST_CASE_METHOD(fixture, "a child that fails to start stops the supervisor's start with that error",
                 "[supervision][lifecycle]") {
  sv::supervisor_spec spec;
  spec.flags.report_sink = sink;
  spec.children = {worker(&p, "A"), flaky_worker(&p, "B"), worker(&p, "C")};
  p.failing_starts = 1;
  auto sup = sv::start_supervisor(sys, spec);
  REQUIRE(sup);
  auto started = self->request(*sup, caf::infinite, sv::await_started{});
  settle();
  caf::error reply;
  started.receive([](caf::ok_atom) { FAIL("start should fail"); },
                  [&](caf::error& e) { reply = e; });
  CHECK(reply == caf::sec::runtime_error);
  CHECK(exit_reason_of(*sup) == caf::sec::runtime_error);
  CHECK(take_log() == strings{"start:A", "fail:B", "stop:A"});
  auto failed = reports_of<sv::child_start_failed>();
  REQUIRE(failed.size() == 1);
  CHECK(failed[0].child_id == "B");
}

TEST_CASE_METHOD(fixture, "a child that ignores the shutdown exit is killed after its timeout",
                 "[supervision][lifecycle]") {
  sv::supervisor_spec spec;
  spec.children = {worker(&p, "A"), worker(&p, "B", restart_type::permanent, true),
                   worker(&p, "C")};
  spec.children[1].shutdown = sv::shutdown_policy::after(200ms);
  auto sup = start(spec);
  take_log();
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  settle();
  CHECK(take_log() == strings{"stop:C"}); // B ignores the exit; A waits its turn
  CHECK(sched.advance_time(199ms) == 0);
  settle();
  CHECK(take_log().empty());
  CHECK(sched.advance_time(1ms) == 1);
  settle();
  CHECK(take_log() == strings{"stop:B", "stop:A"});
  auto exits = reports_of<sv::child_exited>();
  REQUIRE(exits.size() == 3);
  CHECK(exits[1].child_id == "B");
  CHECK(exits[1].reason == caf::exit_reason::kill);
  CHECK(exits[1].ordered);
  CHECK(exit_reason_of(sup) == caf::exit_reason::user_shutdown);
}

TEST_CASE_METHOD(fixture, "brutal_kill stops even a child that traps exits at once",
                 "[supervision][lifecycle]") {
  sv::supervisor_spec spec;
  spec.children = {worker(&p, "A", restart_type::permanent, true)};
  spec.children[0].shutdown = sv::shutdown_policy::brutal_kill();
  auto sup = start(spec);
  take_log();
  CHECK(ask<caf::ok_atom>(sup, sv::terminate_child{"A", {}}));
  CHECK(take_log() == strings{"stop:A"});
  CHECK(children_of(sup) == strings{"A:stopped"});
  CHECK(reports_of<sv::child_exited>().at(0).reason == caf::exit_reason::kill);
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  settle();
}

TEST_CASE_METHOD(fixture, "introspection requests report and change the children",
                 "[supervision][introspection]") {
  auto sup = start(three_workers(&p));
  take_log();
  auto counts = ask<sv::child_counts>(sup, sv::count_children{});
  REQUIRE(counts);
  CHECK(counts->specs == 3);
  CHECK(counts->active == 3);
  CHECK(counts->workers == 3);
  CHECK(counts->supervisors == 0);
  auto kids = ask<std::vector<sv::child_info>>(sup, sv::which_children{});
  REQUIRE(kids);
  REQUIRE(kids->size() == 3);
  CHECK((*kids)[1].id == "B");
  CHECK((*kids)[1].actor == p.live.at("B"));

  CHECK(ask<caf::ok_atom>(sup, sv::terminate_child{"B", {}}));
  CHECK(take_log() == strings{"stop:B"});
  CHECK(children_of(sup) == strings{"A:running", "B:stopped", "C:running"});
  CHECK(ask<sv::child_counts>(sup, sv::count_children{})->active == 2);

  auto restarted = ask<caf::actor>(sup, sv::restart_child{"B"});
  REQUIRE(restarted);
  CHECK(*restarted == p.live.at("B"));
  CHECK(take_log() == strings{"start:B"});

  auto running = ask<caf::ok_atom>(sup, sv::delete_child{"B"});
  REQUIRE_FALSE(running);
  CHECK(running.error() == sv::make_error(sv::sup_errc::already_running));
  CHECK(ask<caf::actor>(sup, sv::restart_child{"B"}).error()
        == sv::make_error(sv::sup_errc::already_running));
  CHECK(ask<caf::ok_atom>(sup, sv::terminate_child{"nope", {}}).error()
        == sv::make_error(sv::sup_errc::unknown_child));

  CHECK(ask<caf::ok_atom>(sup, sv::terminate_child{"C", {}}));
  CHECK(ask<caf::ok_atom>(sup, sv::delete_child{"C"}));
  CHECK(children_of(sup) == strings{"A:running", "B:running"});

  auto added = ask<caf::actor>(sup, sv::start_child{worker(&p, "D")});
  REQUIRE(added);
  CHECK(children_of(sup) == strings{"A:running", "B:running", "D:running"});
  CHECK(ask<caf::actor>(sup, sv::start_child{worker(&p, "A")}).error()
        == sv::make_error(sv::sup_errc::already_present));
  auto bad = worker(&p, "E");
  bad.start = nullptr;
  CHECK(ask<caf::actor>(sup, sv::start_child{bad}).error()
        == sv::make_error(sv::sup_errc::invalid_spec));
  CHECK(ask<caf::actor>(sup, sv::start_child_with{caf::make_message(1)}).error()
        == sv::make_error(sv::sup_errc::wrong_strategy));

  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  settle();
  CHECK(take_log() == strings{"stop:C", "start:D", "stop:D", "stop:B", "stop:A"});
}

TEST_CASE_METHOD(fixture, "report events describe starts, exits, restarts and escalation in order",
                 "[supervision][reports]") {
  sv::supervisor_spec spec;
  spec.flags.name = "reporter";
  spec.children = {worker(&p, "A")};
  auto sup = start(spec); // intensity 1 in 5 s
  crash("A", crash_reason());
  crash("A", crash_reason());
  CHECK(exit_reason_of(sup) == sv::make_error(sv::sup_errc::reached_max_intensity));
  std::vector<std::string> kinds;
  for (const auto& r : p.reports)
    kinds.push_back(std::visit(
      [](const auto& e) -> std::string {
        using T = std::decay_t<decltype(e)>;
        CHECK(e.supervisor == "reporter");
        if constexpr (std::is_same_v<T, sv::child_started>) return "started";
        if constexpr (std::is_same_v<T, sv::child_exited>) return "exited";
        if constexpr (std::is_same_v<T, sv::child_restarting>) return "restarting";
        if constexpr (std::is_same_v<T, sv::child_start_failed>) return "start_failed";
        return "escalated";
      },
      r.event));
  CHECK(kinds == strings{"started", "exited", "restarting", "started", "exited", "escalated"});
  auto exits = reports_of<sv::child_exited>();
  CHECK(exits.at(0).reason == caf::sec::runtime_error);
  auto esc = reports_of<sv::supervisor_escalated>();
  REQUIRE(esc.size() == 1);
  CHECK(esc[0].intensity == 1);
  CHECK(esc[0].period == caf::timespan{5s});
  CHECK(sv::is_shutdown(esc[0].reason));
}

TEST_CASE_METHOD(fixture, "exceeding intensity stops the other children in reverse order and "
                          "exits with a shutdown-class reason",
                 "[supervision][intensity]") {
  auto sup = start(three_workers(&p, 1));
  take_log();
  crash("B", crash_reason());
  CHECK(take_log() == strings{"stop:B", "start:B"});
  crash("B", crash_reason());
  CHECK(take_log() == strings{"stop:B", "stop:C", "stop:A"});
  auto reason = exit_reason_of(sup);
  CHECK(reason == sv::make_error(sv::sup_errc::reached_max_intensity));
  CHECK(sv::is_shutdown(reason));
  CHECK(sys.registry().running() == baseline_running);
}

TEST_CASE_METHOD(fixture, "restarts older than the period stop counting on the simulated clock",
                 "[supervision][intensity]") {
  auto sup = start(three_workers(&p, 1)); // 1 restart in 5 s
  crash("B", crash_reason());
  sched.advance_time(5s); // exactly one period later: the first restart still counts
  sched.advance_time(1ns);
  crash("B", crash_reason()); // 5 s + 1 ns later: the window has moved on
  CHECK(reports_of<sv::supervisor_escalated>().empty());
  sched.advance_time(5s);
  crash("B", crash_reason()); // exactly 5 s after the last one: too many
  CHECK(reports_of<sv::supervisor_escalated>().size() == 1);
  CHECK(exit_reason_of(sup) == sv::make_error(sv::sup_errc::reached_max_intensity));
}

TEST_CASE_METHOD(fixture, "a restart that fails to start counts against intensity",
                 "[supervision][intensity]") {
  sv::supervisor_spec spec;
  spec.flags.intensity = 3;
  spec.children = {flaky_worker(&p, "F")};
  auto sup = start(spec);
  take_log();
  SECTION("one failed restart is retried") {
    p.failing_starts = 1;
    crash("F", crash_reason());
    CHECK(take_log() == strings{"stop:F", "fail:F", "start:F"});
    CHECK(reports_of<sv::child_restarting>().size() == 2);
    caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
    settle();
  }
  SECTION("a child that can never start again ends in escalation") {
    p.failing_starts = 100;
    crash("F", crash_reason());
    CHECK(take_log() == strings{"stop:F", "fail:F", "fail:F", "fail:F"});
    CHECK(exit_reason_of(sup) == sv::make_error(sv::sup_errc::reached_max_intensity));
  }
}

TEST_CASE_METHOD(fixture, "a supervisor child starts its whole subtree before the next sibling",
                 "[supervision][lifecycle]") {
  sv::supervisor_spec sub;
  sub.children = {worker(&p, "B1"), worker(&p, "B2")};
  sv::supervisor_spec root;
  root.children = {worker(&p, "A"), sv::supervisor_child("sub", sub), worker(&p, "C")};
  auto sup = start(root);
  CHECK(take_log() == strings{"start:A", "start:B1", "start:B2", "start:C"});
  auto counts = ask<sv::child_counts>(sup, sv::count_children{});
  CHECK(counts->supervisors == 1);
  CHECK(counts->workers == 2);
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  CHECK(exit_reason_of(sup) == caf::exit_reason::user_shutdown);
  CHECK(take_log() == strings{"stop:C", "stop:B2", "stop:B1", "stop:A"});
  CHECK(sys.registry().running() == baseline_running);
}

TEST_CASE_METHOD(fixture, "a subtree that fails to start fails its parent's start",
                 "[supervision][lifecycle]") {
  sv::supervisor_spec sub;
  sub.children = {worker(&p, "B1"), flaky_worker(&p, "B2")};
  sv::supervisor_spec root;
  root.children = {worker(&p, "A"), sv::supervisor_child("sub", sub), worker(&p, "C")};
  root.flags.report_sink = sink;
  p.failing_starts = 1;
  auto sup = sv::start_supervisor(sys, root);
  REQUIRE(sup);
  settle();
  CHECK(exit_reason_of(*sup) == caf::sec::runtime_error);
  CHECK(take_log() == strings{"start:A", "start:B1", "fail:B2", "stop:B1", "stop:A"});
  CHECK(sys.registry().running() == baseline_running);
}

TEST_CASE_METHOD(fixture, "escalation travels through three levels of supervisors",
                 "[supervision][escalation]") {
  sv::supervisor_spec leaf;
  leaf.flags.name = "leaf";
  leaf.flags.report_sink = sink;
  leaf.children = {worker(&p, "W")};
  sv::supervisor_spec mid;
  mid.flags.name = "mid";
  mid.flags.intensity = 0;
  mid.flags.report_sink = sink;
  mid.children = {worker(&p, "M"), sv::supervisor_child("leaf", leaf)};
  sv::supervisor_spec root;
  root.flags.name = "root";
  root.flags.intensity = 0;
  root.children = {worker(&p, "R"), sv::supervisor_child("mid", mid)};
  auto sup = start(root);
  CHECK(take_log() == strings{"start:R", "start:M", "start:W"});
  crash("W", crash_reason());
  CHECK(take_log() == strings{"stop:W", "start:W"});
  crash("W", crash_reason()); // leaf: 2 restarts in 5 s > 1
  CHECK(take_log() == strings{"stop:W", "stop:M", "stop:R"});
  strings escalated;
  for (const auto& e : reports_of<sv::supervisor_escalated>())
    escalated.push_back(e.supervisor);
  CHECK(escalated == strings{"leaf", "mid", "root"});
  auto reason = exit_reason_of(sup);
  CHECK(reason == sv::make_error(sv::sup_errc::reached_max_intensity));
  CHECK(sys.registry().running() == baseline_running);
}

namespace {

sv::supervisor_spec backoff_spec(probe* p, double jitter, std::uint64_t seed) {
  sv::supervisor_spec spec;
  spec.flags.intensity = 100;
  spec.flags.backoff = sv::backoff_policy{100ms, 400ms, jitter, seed};
  spec.children = {worker(p, "A"), worker(p, "B")};
  return spec;
}

// Crashes A, checks it is not restarted one nanosecond before the reported
// delay and is at the delay; returns the delay.
caf::timespan crash_and_wait(fixture& f, const std::string& id) {
  auto before = f.reports_of<sv::child_restarting>().size();
  f.crash(id, caf::make_error(caf::sec::runtime_error));
  auto restarts = f.reports_of<sv::child_restarting>();
  REQUIRE(restarts.size() == before + 1);
  auto delay = restarts.back().delay;
  CHECK(f.take_log() == strings{"stop:" + id});
  f.sched.advance_time(delay - 1ns);
  f.settle();
  CHECK(f.take_log().empty());
  f.sched.advance_time(1ns);
  f.settle();
  CHECK(f.take_log() == strings{"start:" + id});
  return delay;
}

} // namespace

TEST_CASE_METHOD(fixture, "backoff delays follow the configured schedule on the simulated clock",
                 "[supervision][backoff]") {
  auto sup = start(backoff_spec(&p, 0.0, 0));
  take_log();
  std::vector<caf::timespan> delays;
  for (int i = 0; i < 5; ++i)
    delays.push_back(crash_and_wait(*this, "A"));
  CHECK(delays == std::vector<caf::timespan>{100ms, 200ms, 400ms, 400ms, 400ms});
  sched.advance_time(5s); // A stays up a whole period: the schedule starts over
  CHECK(crash_and_wait(*this, "A") == caf::timespan{100ms});
  CHECK(crash_and_wait(*this, "B") == caf::timespan{100ms}); // per child
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  settle();
}

TEST_CASE_METHOD(fixture, "backoff jitter stays within its bounds and repeats for the same seed",
                 "[supervision][backoff]") {
  auto run = [&](std::uint64_t seed) {
    auto sup = start(backoff_spec(&p, 0.5, seed));
    take_log();
    std::vector<caf::timespan> delays;
    for (int i = 0; i < 6; ++i)
      delays.push_back(crash_and_wait(*this, "A"));
    caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
    settle();
    take_log();
    return delays;
  };
  auto first = run(42);
  sv::backoff_policy policy{100ms, 400ms, 0.5, 42};
  for (unsigned n = 0; n < first.size(); ++n) {
    auto nominal = sv::nominal_backoff(policy, n);
    CHECK(first[n] <= nominal);
    CHECK(first[n] >= nominal / 2);
  }
  CHECK(run(42) == first);
  CHECK(run(43) != first);
}

TEST_CASE_METHOD(fixture, "a pending backoff restart does not block the supervisor",
                 "[supervision][backoff]") {
  auto spec = backoff_spec(&p, 0.0, 0);
  spec.flags.strategy = restart_strategy::one_for_all;
  auto sup = start(spec);
  take_log();
  crash("A", crash_reason());
  CHECK(take_log() == strings{"stop:A", "stop:B"});
  // During the delay the supervisor still answers and reports both as restarting.
  CHECK(children_of(sup) == strings{"A:restarting", "B:restarting"});
  CHECK(ask<caf::ok_atom>(sup, sv::terminate_child{"B", {}}));
  CHECK(children_of(sup) == strings{"A:restarting", "B:stopped"});
  CHECK(sched.advance_time(100ms) >= 1);
  settle();
  CHECK(take_log() == strings{"start:A"}); // B's restart was cancelled
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  settle();
}
