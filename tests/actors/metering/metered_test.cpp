// Meters of metered actors under CAF's test_coordinator: exact counts per actor and per message
// type, CPU ordering, mailbox depth, and what a snapshot keeps after actors terminate.
#include <catch2/catch.hpp>

#include <caf/all.hpp>

#include "actors/metering/metered.hpp"

namespace {

using namespace std::chrono_literals;
using namespace ferry::metering;
using ping_atom = caf::atom_constant<caf::atom("ping")>;
using burn_atom = caf::atom_constant<caf::atom("burn")>;
using swap_atom = caf::atom_constant<caf::atom("swap")>;

struct fixture {
  meter_registry reg;  // outlives the actor system
  caf::actor_system_config cfg;
  caf::actor_system sys;
  caf::scheduler::test_coordinator& sched;
  caf::scoped_actor self;
  static caf::actor_system_config& init(caf::actor_system_config& c) {
    c.set("scheduler.policy", caf::atom("testing"));
    return c;
  }
  fixture()
      : sys(init(cfg)),
        sched(dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler())),
        self(sys, true) {}
  ~fixture() {
    sched.run();
  }
  const actor_name_meters& row(const meter_snapshot& s, const std::string& name) {
    for (const auto& a : s.actors)
      if (a.actor == name)
        return a;
    FAIL("no row for " << name);
    throw std::logic_error{"unreachable"};
  }
  std::uint64_t type_count(const actor_name_meters& a, const std::string& type) {
    for (const auto& t : a.types)
      if (t.type == type)
        return t.messages;
    return 0;
  }
};

caf::behavior echo_then_double(caf::event_based_actor* self) {
  return {
    [](ping_atom) {},
    [](int x) { return x; },
    [self](swap_atom) {
      self->become([](double) {}, [](int x) { return 2 * x; });
    },
  };
}

struct counter_state {
  int n = 0;
};

caf::behavior counter(caf::stateful_actor<counter_state>* self, int step) {
  return {
    [self, step](ping_atom) { return self->state.n += step; },
    [self](swap_atom) {
      self->become([self](ping_atom) { return self->state.n *= 10; });
    },
  };
}

caf::behavior asker(caf::event_based_actor* self, caf::actor target, int* last) {
  return {[self, target, last](ping_atom) {
    self->request(target, caf::infinite, ping_atom::value).then([last](int n) { *last = n; });
  }};
}

void burn_cpu(std::uint64_t ns) {
  auto t0 = thread_cpu_ns();
  volatile std::uint64_t sink = 0;
  while (thread_cpu_ns() - t0 < ns)
    for (int i = 0; i < 1000; ++i)
      sink = sink + static_cast<std::uint64_t>(i);
}

}  // namespace

TEST_CASE_METHOD(fixture,
                 "a function-based actor is counted exactly per message type, after become() too",
                 "[metering]") {
  auto a = spawn_metered(sys, reg, "echo", echo_then_double);
  self->send(a, ping_atom::value);
  self->send(a, 1);
  self->send(a, 2);
  self->send(a, swap_atom::value);
  self->send(a, 3.0);
  self->send(a, 4);
  sched.run();
  auto s = reg.snapshot();
  const auto& r = row(s, "echo");
  CHECK(r.instances == 1);
  CHECK(r.messages == 6);
  CHECK(type_count(r, "atom:ping") == 1);
  CHECK(type_count(r, "@i32") == 3);
  CHECK(type_count(r, "atom:swap") == 1);
  CHECK(type_count(r, "double") == 1);
  CHECK(r.types.size() == 4);
  REQUIRE(s.instances.size() == 1);
  CHECK(s.instances[0].id == a.id());
  CHECK(s.instances[0].messages == 6);
  self->send_exit(a, caf::exit_reason::user_shutdown);
}

TEST_CASE_METHOD(fixture,
                 "a stateful actor is metered like a function-based one, replies included",
                 "[metering]") {
  auto c = spawn_metered(sys, reg, "counter", counter, 2);
  int last = 0;
  auto q = spawn_metered(sys, reg, "asker", asker, c, &last);
  sched.run();
  self->send(q, ping_atom::value);  // asker -> request -> counter -> reply -> asker
  sched.run();
  CHECK(last == 2);
  self->send(c, swap_atom::value);
  self->send(q, ping_atom::value);
  sched.run();
  CHECK(last == 20);
  auto s = reg.snapshot();
  const auto& rc = row(s, "counter");
  CHECK(rc.messages == 3);
  CHECK(type_count(rc, "atom:ping") == 2);
  CHECK(type_count(rc, "atom:swap") == 1);
  const auto& ra = row(s, "asker");
  CHECK(ra.messages == 4);
  CHECK(type_count(ra, "atom:ping") == 2);
  CHECK(type_count(ra, "response:@i32") == 2);
  self->send_exit(q, caf::exit_reason::user_shutdown);
  self->send_exit(c, caf::exit_reason::user_shutdown);
}

TEST_CASE_METHOD(fixture, "CPU is attributed to the actor that burns it, more than to an idle one",
                 "[metering]") {
  auto body = [](caf::event_based_actor*) -> caf::behavior {
    return {[](burn_atom) { burn_cpu(3'000'000); }, [](ping_atom) {}};
  };
  auto burner = spawn_metered(sys, reg, "burner", body);
  auto idler = spawn_metered(sys, reg, "idler", body);
  sched.run();
  self->send(burner, burn_atom::value);
  self->send(idler, ping_atom::value);
  sched.run();
  auto s = reg.snapshot();
  const auto& b = row(s, "burner");
  const auto& i = row(s, "idler");
  CHECK(b.cpu_ns > 0);
  CHECK(b.cpu_ns > i.cpu_ns);
  CHECK(b.wall_ns > i.wall_ns);
  REQUIRE(b.types.size() == 1);
  CHECK(b.types[0].cpu_ns > 0);
  CHECK(b.types[0].cpu_ns <= b.cpu_ns);
  CHECK(s.cpu.attributed_ns >= b.cpu_ns + i.cpu_ns);
  CHECK(s.cpu.process_ns >= s.cpu.attributed_ns);
  CHECK(s.cpu.runtime_ns == s.cpu.process_ns - s.cpu.attributed_ns);
  self->send_exit(burner, caf::exit_reason::user_shutdown);
  self->send_exit(idler, caf::exit_reason::user_shutdown);
}

TEST_CASE_METHOD(fixture, "mailbox depth max reflects N messages queued before the scheduler runs",
                 "[metering]") {
  auto a = spawn_metered(sys, reg, "echo", echo_then_double);
  sched.run();
  constexpr int n = 17;
  for (int k = 0; k < n; ++k)
    self->send(a, ping_atom::value);
  sched.run();
  auto s = reg.snapshot();
  CHECK(row(s, "echo").mailbox_depth_max == n);
  CHECK(row(s, "echo").messages == n);
  // The test coordinator hands the actor one message per resume, so the last sample is 1.
  CHECK(row(s, "echo").mailbox_depth == 1);
  self->send_exit(a, caf::exit_reason::user_shutdown);
}

TEST_CASE_METHOD(fixture,
                 "terminated actors drop their instance row and keep their counts in the name "
                 "totals",
                 "[metering]") {
  auto a = spawn_metered(sys, reg, "session", echo_then_double);
  auto b = spawn_metered(sys, reg, "session", echo_then_double);
  self->send(a, ping_atom::value);
  self->send(b, ping_atom::value);
  self->send(b, 7);
  sched.run();
  auto before = reg.snapshot();
  CHECK(row(before, "session").instances == 2);
  CHECK(row(before, "session").messages == 3);
  CHECK(before.instances.size() == 2);
  self->send_exit(a, caf::exit_reason::user_shutdown);
  sched.run();
  auto after = reg.snapshot();
  const auto& r = row(after, "session");
  CHECK(r.instances == 1);
  CHECK(r.messages == 4);  // the exit_msg is a message too
  CHECK(type_count(r, "@exit") == 1);
  CHECK(type_count(r, "atom:ping") == 2);
  REQUIRE(after.instances.size() == 1);
  CHECK(after.instances[0].id == b.id());
  CHECK(reg.snapshot().actors == after.actors);  // folding happens once
  self->send_exit(b, caf::exit_reason::user_shutdown);
}

TEST_CASE_METHOD(fixture, "restarts counted by the supervisor appear under the actor's name",
                 "[metering]") {
  auto a = spawn_metered(sys, reg, "worker", echo_then_double);
  sched.run();
  reg.add_restart("worker");
  reg.add_restart("worker");
  reg.add_restart("gone");
  auto s = reg.snapshot();
  CHECK(row(s, "worker").restarts == 2);
  CHECK(row(s, "worker").instances == 1);
  CHECK(row(s, "gone").restarts == 1);
  CHECK(row(s, "gone").instances == 0);
  self->send_exit(a, caf::exit_reason::user_shutdown);
}

TEST_CASE_METHOD(fixture, "spawning from a parent with monitor meters the child too",
                 "[metering]") {
  caf::actor child;
  auto parent = spawn_metered(sys, reg, "parent", [&](caf::event_based_actor* p) -> caf::behavior {
    child = spawn_metered<caf::monitored>(p, reg, "child", echo_then_double);
    return {[](caf::down_msg&) {}};
  });
  sched.run();
  REQUIRE(child);
  self->send_exit(child, caf::exit_reason::user_shutdown);
  sched.run();
  auto s = reg.snapshot();
  CHECK(type_count(row(s, "parent"), "@down") == 1);
  CHECK(row(s, "child").instances == 0);
  self->send_exit(parent, caf::exit_reason::user_shutdown);
}

TEST_CASE("terminated instances are folded even when nobody takes snapshots, keeping their counts",
          "[metering][leak]") {
  meter_registry reg;
  for (std::uint64_t i = 0; i < 10'000; ++i) {
    auto m = reg.enroll("session", i + 1);
    auto slot = m->slot_for(message_key{}, [] { return std::string("<empty>"); });
    m->count_message(slot, 5);
    m->retire();  // what a metered actor does when it terminates
  }
  CHECK(reg.tracked() < 200);  // pruned as enrolments go, not one entry per session ever seen
  auto s = reg.snapshot();
  REQUIRE(s.actors.size() == 1);
  CHECK(s.actors[0].messages == 10'000);
  CHECK(s.actors[0].wall_ns == 50'000);
  CHECK(s.actors[0].instances == 0);
  CHECK(reg.tracked() == 0);
}

TEST_CASE("cpu_split says what a snapshot says about the process CPU split", "[metering]") {
  meter_registry reg;
  auto live = reg.enroll("a", 1);
  live->add_cpu(7'000);
  auto ended = reg.enroll("b", 2);
  ended->add_cpu(5'000);
  ended->retire();
  auto split = reg.cpu_split();
  auto snap = reg.snapshot();
  CHECK(split.attributed_ns == 12'000);
  CHECK(split.attributed_ns == snap.cpu.attributed_ns);
  CHECK(split.attributed_ns + split.runtime_ns == std::max(split.process_ns, split.attributed_ns));
}
