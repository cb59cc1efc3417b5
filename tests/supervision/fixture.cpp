// Implementation of the shared supervision test fixture.
// Probe workers register and deregister themselves so tests can count them.
#include "fixture.hpp"

namespace sup_test {

caf::behavior probe_worker(caf::event_based_actor* self, bool stubborn) {
  if (stubborn)
    self->set_exit_handler([](caf::exit_msg&) {}); // ignores shutdown; only kill works
  return {
    [self](quit_with& x) { self->quit(x.reason); },
    [](caf::get_atom) { return caf::ok_atom::value; },
  };
}

caf::behavior report_sink(caf::event_based_actor* self, probe* p) {
  auto keep = [self, p](auto& ev) { p->reports.push_back({self->clock().now(), ev}); };
  return {
    [keep](sv::child_started& e) { keep(e); },
    [keep](sv::child_exited& e) { keep(e); },
    [keep](sv::child_restarting& e) { keep(e); },
    [keep](sv::child_start_failed& e) { keep(e); },
    [keep](sv::supervisor_escalated& e) { keep(e); },
  };
}

namespace {

caf::actor spawn_logged(caf::local_actor* parent, probe* p, const std::string& id,
                        bool stubborn) {
  auto a = parent->spawn(probe_worker, stubborn);
  p->log.push_back("start:" + id);
  p->live[id] = a;
  ++p->alive[id];
  a->attach_functor([p, id] {
    p->log.push_back("stop:" + id);
    --p->alive[id];
  });
  return a;
}

} // namespace

sv::child_spec worker(probe* p, std::string id, sv::restart_type r, bool stubborn) {
  auto start = [p, id, stubborn](caf::local_actor* parent,
                                 const caf::message&) -> caf::expected<caf::actor> {
    return spawn_logged(parent, p, id, stubborn);
  };
  return {id, start, r, std::nullopt, sv::child_type::worker};
}

sv::child_spec flaky_worker(probe* p, std::string id) {
  auto start = [p, id](caf::local_actor* parent,
                       const caf::message&) -> caf::expected<caf::actor> {
    if (p->failing_starts > 0) {
      --p->failing_starts;
      p->log.push_back("fail:" + id);
      return caf::make_error(caf::sec::runtime_error, "flaky start");
    }
    return spawn_logged(parent, p, id, false);
  };
  return {id, start, sv::restart_type::permanent, std::nullopt, sv::child_type::worker};
}

fixture::fixture()
  : sys(init(cfg)),
    sched(dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler())),
    self(sys, true) {
  baseline_running = sys.registry().running();
  sink = sys.spawn<caf::hidden>(report_sink, &p);
  sched.run();
}

fixture::~fixture() {
  // ~actor_system waits for every actor: end whatever a test left running.
  for (auto& [id, a] : p.live)
    caf::anon_send_exit(a, caf::exit_reason::kill);
  caf::anon_send_exit(sink, caf::exit_reason::kill);
  settle();
  while (sched.trigger_timeouts() > 0)
    sched.run();
}

caf::actor fixture::start(sv::supervisor_spec spec) {
  spec.flags.report_sink = sink;
  auto sup = sv::start_supervisor(sys, std::move(spec));
  REQUIRE(sup);
  settle();
  return *sup;
}

void fixture::settle() {
  while (sched.run() > 0) {
  }
}

caf::error fixture::exit_reason_of(const caf::actor& a) {
  self->monitor(a);
  settle();
  caf::error reason = caf::make_error(caf::sec::bad_function_call); // "still alive"
  self->receive([&](caf::down_msg& dm) { reason = dm.reason; }, caf::after(0s) >> [] {});
  return reason;
}

std::vector<std::string> fixture::children_of(const caf::actor& sup) {
  std::vector<std::string> result;
  auto xs = ask<std::vector<sv::child_info>>(sup, sv::which_children{});
  REQUIRE(xs);
  for (auto& x : *xs)
    result.push_back(x.id + ":" + sv::to_string(x.status));
  return result;
}

void fixture::crash(const std::string& id, caf::error reason) {
  auto a = p.live.at(id);
  if (reason == caf::exit_reason::kill)
    caf::anon_send_exit(a, caf::exit_reason::kill);
  else
    caf::anon_send(a, quit_with{std::move(reason)});
  settle();
}

std::vector<std::string> fixture::take_log() {
  auto result = std::move(p.log);
  p.log.clear();
  return result;
}

} // namespace sup_test
