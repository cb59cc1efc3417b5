// Attribution on a real (threaded) scheduler: an actor that burns a known amount of CPU and sleeps a known
// wall time is charged that CPU and that wall time (within 10 %), and the process CPU splits into what the
// actors account for and the rest. The ground truth is measured inside the handler itself, so the check does
// not depend on how busy the machine is.
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include <caf/all.hpp>

#include "actors/metering/metered.hpp"

namespace {

using namespace std::chrono_literals;
using namespace ferry::metering;
using work_atom = caf::atom_constant<caf::atom("work")>;

struct truth {
  std::uint64_t cpu_ns = 0;
  std::uint64_t wall_ns = 0;
};

std::uint64_t now_ns() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
}

caf::behavior worker(caf::event_based_actor*, truth* t) {
  return {[t](work_atom, std::uint64_t burn_ns, std::uint64_t sleep_ms) {
    auto w0 = now_ns();
    auto c0 = thread_cpu_ns();
    volatile std::uint64_t sink = 0;
    while (thread_cpu_ns() - c0 < burn_ns)
      for (int i = 0; i < 1000; ++i) sink = sink + static_cast<std::uint64_t>(i);
    std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms));
    t->cpu_ns += thread_cpu_ns() - c0;
    t->wall_ns += now_ns() - w0;
    return true;
  }};
}

}  // namespace

TEST_CASE("an actor burning known CPU and sleeping known wall time is charged both within 10 % — process CPU splits",
          "[metering][attribution]") {
  meter_registry reg;  // outlives the actor system
  truth t;
  {
    caf::actor_system_config cfg;
    cfg.set("scheduler.policy", caf::atom("sharing"));
    cfg.set("scheduler.max-threads", std::size_t{2});
    caf::actor_system sys{cfg};
    auto a = spawn_metered(sys, reg, "worker", worker, &t);
    caf::scoped_actor self{sys};
    const auto before = reg.snapshot();
    for (int i = 0; i < 4; ++i)  // 4 × (60 ms CPU + 40 ms asleep)
      self->request(a, caf::infinite, work_atom::value, std::uint64_t{60'000'000}, std::uint64_t{40})
          .receive([](bool) {}, [](caf::error&) { FAIL("worker failed"); });
    auto row = [](const meter_snapshot& s) {
      for (const auto& r : s.actors)
        if (r.actor == "worker") return r;
      return actor_name_meters{};
    };
    // A resume's CPU is added when the resume ends, just after the reply left: wait (bounded) until the last
    // one has been charged, i.e. until the metered CPU stops short of the truth by less than 10 %.
    auto after = reg.snapshot();
    for (int i = 0; i < 500 && static_cast<double>(row(after).cpu_ns - row(before).cpu_ns) < 0.9 * static_cast<double>(t.cpu_ns); ++i) {
      std::this_thread::sleep_for(10ms);
      after = reg.snapshot();
    }
    const auto cpu = row(after).cpu_ns - row(before).cpu_ns;
    const auto wall = row(after).wall_ns - row(before).wall_ns;
    INFO("truth cpu " << t.cpu_ns << " ns, wall " << t.wall_ns << " ns; metered cpu " << cpu << " ns, wall " << wall
                      << " ns");
    CHECK(t.cpu_ns >= 240'000'000);
    CHECK(static_cast<double>(cpu) >= 0.9 * static_cast<double>(t.cpu_ns));
    CHECK(static_cast<double>(cpu) <= 1.1 * static_cast<double>(t.cpu_ns));
    CHECK(static_cast<double>(wall) >= 0.9 * static_cast<double>(t.wall_ns));
    CHECK(static_cast<double>(wall) <= 1.1 * static_cast<double>(t.wall_ns));
    // The rest of the process (idle scheduler, this thread waiting) used little: the actors account for the
    // bulk of the process CPU spent meanwhile, and attributed + runtime is the process figure.
    const auto process = after.cpu.process_ns - before.cpu.process_ns;
    const auto attributed = after.cpu.attributed_ns - before.cpu.attributed_ns;
    INFO("process cpu " << process << " ns, attributed " << attributed << " ns");
    CHECK(after.cpu.attributed_ns + after.cpu.runtime_ns == after.cpu.process_ns);
    CHECK(static_cast<double>(attributed) >= 0.9 * static_cast<double>(process));
    CHECK(attributed <= process + process / 20);  // thread and process clocks tick differently: 5 %
    self->send_exit(a, caf::exit_reason::user_shutdown);
  }
}
