// Per-message cost of metered<Base> against a plain event_based_actor, on the real scheduler
// with one worker thread. Run with --benchmark_repetitions to see the spread; compare in one run.
#include <benchmark/benchmark.h>

#include <atomic>

#include <caf/all.hpp>

#include "actors/metering/metered.hpp"

namespace {

using ping_atom = caf::atom_constant<caf::atom("ping")>;
using sync_atom = caf::atom_constant<caf::atom("sync")>;
using hold_atom = caf::atom_constant<caf::atom("hold")>;

// hold spins until the batch is queued, so the batch is drained in one resume (the loaded case).
std::atomic<bool> gate{false};

caf::behavior sink(caf::event_based_actor*) {
  return {[](ping_atom) {}, [](sync_atom) { return sync_atom::value; },
          [](hold_atom) {
            while (!gate.load(std::memory_order_acquire)) {
            }
          }};
}

enum class mode { plain, metered, metered_sampled };

struct world {
  caf::actor_system_config cfg;
  ferry::metering::meter_registry reg;
  caf::actor_system sys;
  caf::actor target;
  static caf::actor_system_config& init(caf::actor_system_config& c) {
    c.set("scheduler.max-threads", 1);
    return c;
  }
  explicit world(mode m)
      : reg(ferry::metering::registry_options{m == mode::metered_sampled ? 64u : 1u}),
        sys(init(cfg)) {
    target = m == mode::plain ? sys.spawn(sink)
                              : ferry::metering::spawn_metered(sys, reg, "sink", sink);
  }
  ~world() { caf::anon_send_exit(target, caf::exit_reason::user_shutdown); }
};

void per_message(benchmark::State& st, mode m, bool round_trip) {
  world w{m};
  caf::scoped_actor self{w.sys};
  constexpr int batch = 1000;  // async messages per iteration, then one round trip to sync
  for (auto _ : st) {
    if (!round_trip) {
      gate.store(false, std::memory_order_release);
      self->send(w.target, hold_atom::value);
      for (int i = 0; i < batch; ++i)
        self->send(w.target, ping_atom::value);
      gate.store(true, std::memory_order_release);
    }
    self->request(w.target, caf::infinite, sync_atom::value).receive([](sync_atom) {},
                                                                     [](caf::error&) {});
  }
  auto msgs = static_cast<double>(st.iterations()) * (round_trip ? 1 : batch + 2);
  st.counters["per_msg"] = benchmark::Counter(msgs, benchmark::Counter::kIsRate
                                                      | benchmark::Counter::kInvert);
}

}  // namespace

// Batches: the actor drains many messages per resume (the loaded case the 100 ns budget is for).
BENCHMARK_CAPTURE(per_message, batch_plain, mode::plain, false)->UseRealTime();
BENCHMARK_CAPTURE(per_message, batch_metered, mode::metered, false)->UseRealTime();
BENCHMARK_CAPTURE(per_message, batch_metered_cpu_every_64, mode::metered_sampled, false)
  ->UseRealTime();
// Round trips: one message per resume, so the per-resume thread-CPU clock reads show in full.
BENCHMARK_CAPTURE(per_message, roundtrip_plain, mode::plain, true)->UseRealTime();
BENCHMARK_CAPTURE(per_message, roundtrip_metered, mode::metered, true)->UseRealTime();
BENCHMARK_CAPTURE(per_message, roundtrip_metered_cpu_every_64, mode::metered_sampled, true)
  ->UseRealTime();

BENCHMARK_MAIN();
