// Micro-benchmarks of the supervision library: the cost of one restart and
// the heap bytes each supervised child costs beyond the actor itself.
#include <malloc.h>

#include <limits>
#include <vector>

#include <benchmark/benchmark.h>
#include <caf/all.hpp>

#include "supervision/supervisor.hpp"

namespace {

namespace sv = supervision;
using namespace std::chrono_literals;

caf::behavior idle_worker(caf::event_based_actor*) {
  return {[](caf::get_atom) {}};
}

// A system on the deterministic test coordinator: every handler runs on the
// benchmark thread, so the figures are CPU cost without scheduler wake-ups.
struct test_system {
  caf::actor_system_config cfg;
  caf::actor_system sys;
  caf::scheduler::test_coordinator& sched;
  static caf::actor_system_config& init(caf::actor_system_config& c) {
    c.set("scheduler.policy", caf::atom("testing"));
    return c;
  }
  test_system()
    : sys(init(cfg)),
      sched(dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler())) {}
};

sv::supervisor_spec single_worker(caf::actor* current) {
  sv::supervisor_spec spec;
  spec.flags.intensity = std::numeric_limits<int>::max();
  spec.flags.period = 1ms;
  spec.children = {{.id = "w",
                    .start = [current](caf::local_actor* parent,
                                       const caf::message&) -> caf::expected<caf::actor> {
                      *current = parent->spawn(idle_worker);
                      return *current;
                    }}};
  return spec;
}

// Kill, notice (down message), decide, spawn again: one full restart cycle.
void BM_restart_one_for_one(benchmark::State& state) {
  test_system ts;
  caf::actor current;
  auto sup = sv::start_supervisor(ts.sys, single_worker(&current));
  ts.sched.run();
  for (auto _ : state) {
    caf::anon_send_exit(current, caf::exit_reason::kill);
    ts.sched.run();
    ts.sched.advance_time(2ms); // keep the intensity window at one entry
  }
  caf::anon_send_exit(*sup, caf::exit_reason::user_shutdown);
  ts.sched.run();
}
BENCHMARK(BM_restart_one_for_one);

// The floor under a restart: killing an actor and spawning a new one by hand.
void BM_kill_and_spawn_unsupervised(benchmark::State& state) {
  test_system ts;
  auto current = ts.sys.spawn(idle_worker);
  ts.sched.run();
  for (auto _ : state) {
    caf::anon_send_exit(current, caf::exit_reason::kill);
    ts.sched.run();
    current = ts.sys.spawn(idle_worker);
    ts.sched.run();
  }
  caf::anon_send_exit(current, caf::exit_reason::kill);
  ts.sched.run();
}
BENCHMARK(BM_kill_and_spawn_unsupervised);

// End to end on the real work-sharing scheduler (2 threads): the time from
// the kill until the supervisor has spawned the replacement.
void BM_restart_threaded(benchmark::State& state) {
  caf::actor_system_config cfg;
  cfg.set("scheduler.policy", caf::atom("sharing"));
  cfg.set("scheduler.max-threads", 2);
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  auto waiter = caf::actor_cast<caf::actor>(self);
  sv::supervisor_spec spec;
  spec.flags.intensity = std::numeric_limits<int>::max();
  spec.flags.period = 1ns; // real time moves on; the window stays tiny
  spec.children = {{.id = "w",
                    .start = [waiter](caf::local_actor* parent,
                                      const caf::message&) -> caf::expected<caf::actor> {
                      auto a = parent->spawn(idle_worker);
                      caf::anon_send(waiter, a);
                      return a;
                    }}};
  auto sup = sv::start_supervisor(sys, spec);
  caf::actor current;
  self->receive([&](caf::actor& a) { current = a; });
  for (auto _ : state) {
    caf::anon_send_exit(current, caf::exit_reason::kill);
    self->receive([&](caf::actor& a) { current = a; });
  }
  self->send_exit(*sup, caf::exit_reason::user_shutdown);
}
BENCHMARK(BM_restart_threaded)->UseRealTime();

std::size_t heap_in_use() {
  return mallinfo2().uordblks;
}

// Heap bytes per child: N plain actors versus N children of a
// simple_one_for_one supervisor; the difference is the supervision cost.
void BM_memory_per_child(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  double plain = 0;
  double supervised = 0;
  for (auto _ : state) {
    {
      test_system ts;
      std::vector<caf::actor> actors;
      actors.reserve(n);
      auto before = heap_in_use();
      for (std::size_t i = 0; i < n; ++i)
        actors.push_back(ts.sys.spawn(idle_worker));
      ts.sched.run();
      plain = static_cast<double>(heap_in_use() - before) / static_cast<double>(n);
      for (auto& a : actors)
        caf::anon_send_exit(a, caf::exit_reason::kill);
      ts.sched.run();
    }
    {
      test_system ts;
      sv::supervisor_spec spec;
      spec.flags.strategy = sv::restart_strategy::simple_one_for_one;
      spec.children = {{.id = "session", .start = sv::spawning(idle_worker)}};
      auto sup = sv::start_supervisor(ts.sys, spec);
      ts.sched.run();
      // One child first, so the supervisor's own one-time allocations are not counted.
      caf::anon_send(*sup, sv::start_child_with{});
      ts.sched.run();
      auto before = heap_in_use();
      for (std::size_t i = 0; i < n; ++i)
        caf::anon_send(*sup, sv::start_child_with{});
      ts.sched.run();
      supervised = static_cast<double>(heap_in_use() - before) / static_cast<double>(n);
      caf::anon_send_exit(*sup, caf::exit_reason::user_shutdown);
      ts.sched.run();
    }
  }
  state.counters["bytes_per_plain_actor"] = plain;
  state.counters["bytes_per_supervised_child"] = supervised;
  state.counters["supervision_bytes_per_child"] = supervised - plain;
}
BENCHMARK(BM_memory_per_child)->Arg(1000)->Arg(10000)->Iterations(1)->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();
