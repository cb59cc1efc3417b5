// Whole trees: the README example, and a randomized invariant test where
// workers of a seeded random tree crash for N steps on the simulated clock.
#include <algorithm>
#include <random>

#include "fixture.hpp"
#include "readme_example.hpp"

using namespace sup_test;
using sv::restart_type;
using sv::restart_strategy;
using strings = std::vector<std::string>;

TEST_CASE_METHOD(fixture, "the README example declares a tree that starts and stops in order",
                 "[supervision][readme]") {
  auto app = readme_example::start_app(sys, sink);
  REQUIRE(app);
  settle();
  CHECK(children_of(*app) == strings{"pool:running", "acceptor:running"});
  auto kids = ask<std::vector<sv::child_info>>(*app, sv::which_children{});
  REQUIRE(kids);
  auto pool = kids->at(0).actor;
  CHECK(children_of(pool) == strings{"conn0:running", "conn1:running", "conn2:running"});
  // conn1 crashes: one_for_all in the pool, invisible to the app.
  auto conn1 = ask<std::vector<sv::child_info>>(pool, sv::which_children{})->at(1).actor;
  caf::anon_send_exit(conn1, caf::exit_reason::kill);
  settle();
  CHECK(children_of(pool) == strings{"conn0:running", "conn1:running", "conn2:running"});
  CHECK(reports_of<sv::child_restarting>().size() == 1);
  caf::anon_send_exit(*app, caf::exit_reason::user_shutdown);
  CHECK(exit_reason_of(*app) == caf::exit_reason::user_shutdown);
  CHECK(sys.registry().running() == baseline_running);
}

TEST_CASE_METHOD(fixture, "which_children counts each child's restarts — describe_supervisor names the strategy",
                 "[supervision][introspection]") {
  auto app = readme_example::start_app(sys, sink);
  REQUIRE(app);
  settle();
  auto pool = ask<std::vector<sv::child_info>>(*app, sv::which_children{})->at(0).actor;
  auto restarts = [&](const caf::actor& sup) {
    std::vector<std::uint64_t> out;
    auto kids = ask<std::vector<sv::child_info>>(sup, sv::which_children{});
    REQUIRE(kids);
    for (const auto& k : *kids)
      out.push_back(k.restarts);
    return out;
  };
  CHECK(restarts(pool) == std::vector<std::uint64_t>{0, 0, 0});
  // one_for_all: conn1's crash restarts all three, so each was started again once.
  caf::anon_send_exit(ask<std::vector<sv::child_info>>(pool, sv::which_children{})->at(1).actor,
                      caf::exit_reason::kill);
  settle();
  CHECK(restarts(pool) == std::vector<std::uint64_t>{1, 1, 1});
  sched.advance_time(6s);  // past the pool's intensity period (1 in 5 s), so the next crash is not an escalation
  settle();
  caf::anon_send_exit(ask<std::vector<sv::child_info>>(pool, sv::which_children{})->at(2).actor,
                      caf::exit_reason::kill);
  settle();
  CHECK(restarts(pool) == std::vector<std::uint64_t>{2, 2, 2});
  CHECK(restarts(*app) == std::vector<std::uint64_t>{0, 0});  // the pool itself never ended
  auto d = ask<sv::supervisor_description>(pool, sv::describe_supervisor{});
  REQUIRE(d);
  CHECK(d->name == "pool");
  CHECK(d->strategy == restart_strategy::one_for_all);
  CHECK(sv::to_string(d->strategy) == "one_for_all");
  auto a = ask<sv::supervisor_description>(*app, sv::describe_supervisor{});
  REQUIRE(a);
  CHECK(a->strategy == restart_strategy::rest_for_one);
  CHECK(a->intensity == 3);
  CHECK(a->period == caf::timespan{10s});
  caf::anon_send_exit(*app, caf::exit_reason::user_shutdown);
  CHECK(exit_reason_of(*app) == caf::exit_reason::user_shutdown);
}

TEST_CASE_METHOD(fixture, "a spawner in the flags spawns the root and nested supervisors", "[supervision][spawner]") {
  std::vector<std::string> spawned;  // the test coordinator runs everything on this thread
  sv::actor_spawner spawner = [&spawned](caf::actor_system& s, caf::local_actor* parent, std::string name,
                                         std::function<caf::behavior(caf::event_based_actor*)> init) {
    spawned.push_back(name + (parent != nullptr ? " (child)" : " (root)"));
    auto run = [](caf::event_based_actor* me, std::function<caf::behavior(caf::event_based_actor*)> f) {
      return f(me);
    };
    return parent != nullptr ? parent->spawn(run, std::move(init)) : s.spawn(run, std::move(init));
  };
  sv::supervisor_spec inner;
  inner.flags.name = "inner";
  inner.flags.report_sink = sink;
  inner.flags.spawner = spawner;
  inner.children.push_back(worker(&p, "w", restart_type::permanent));
  sv::supervisor_spec root;
  root.flags.name = "root";
  root.flags.report_sink = sink;
  root.flags.spawner = spawner;
  root.children.push_back(sv::supervisor_child("inner", inner));
  auto r = sv::start_supervisor(sys, std::move(root));
  REQUIRE(r);
  settle();
  CHECK(spawned == strings{"root (root)", "inner (child)"});
  CHECK(children_of(*r) == strings{"inner:running"});
  auto in = ask<std::vector<sv::child_info>>(*r, sv::which_children{})->at(0).actor;
  CHECK(children_of(in) == strings{"w:running"});
  caf::anon_send_exit(*r, caf::exit_reason::user_shutdown);
  CHECK(exit_reason_of(*r) == caf::exit_reason::user_shutdown);
  CHECK(sys.registry().running() == baseline_running);
}

namespace {

struct sup_limits {
  int intensity;
  caf::timespan period;
};

struct random_tree {
  sv::supervisor_spec root;
  std::map<std::string, sup_limits> limits;       // supervisor name -> limits
  std::map<std::string, restart_type> workers;    // worker id -> restart type
  std::size_t supervisors = 0;
};

random_tree make_tree(probe* p, caf::actor sink, std::mt19937& rng) {
  random_tree t;
  auto random_type = [&] {
    static constexpr restart_type types[] = {restart_type::permanent, restart_type::transient,
                                             restart_type::temporary};
    return types[rng() % 3];
  };
  auto add_workers = [&](sv::supervisor_spec& s, const std::string& prefix, int n) {
    for (int i = 0; i < n; ++i) {
      auto id = prefix + "w" + std::to_string(i);
      auto type = random_type();
      t.workers[id] = type;
      s.children.push_back(worker(p, id, type));
    }
  };
  auto flags = [&](const std::string& name, restart_strategy s, int intensity,
                   caf::timespan period) {
    sv::supervisor_flags f;
    f.name = name;
    f.strategy = s;
    f.intensity = intensity;
    f.period = period;
    f.report_sink = sink;
    t.limits[name] = {intensity, period};
    ++t.supervisors;
    return f;
  };
  sv::supervisor_spec leaf{flags("leaf", restart_strategy::one_for_one, 1, 1s), {}};
  add_workers(leaf, "leaf.", 2);
  const restart_strategy strategies[] = {restart_strategy::one_for_one,
                                         restart_strategy::one_for_all,
                                         restart_strategy::rest_for_one};
  t.root.flags = flags("root", restart_strategy::one_for_one, 100000, 1s);
  for (int m = 0; m < 3; ++m) {
    auto name = "mid" + std::to_string(m);
    sv::supervisor_spec mid{flags(name, strategies[m], 2, 1s), {}};
    if (m == 1)
      mid.flags.backoff = sv::backoff_policy{10ms, 80ms, 0.5, rng()};
    add_workers(mid, name + ".", 3);
    if (m == 0)
      mid.children.push_back(sv::supervisor_child("leaf", leaf));
    t.root.children.push_back(sv::supervisor_child(name, mid));
  }
  return t;
}

caf::error random_reason(std::mt19937& rng) {
  switch (rng() % 4) {
    case 0: return caf::exit_reason::normal;
    case 1: return caf::exit_reason::user_shutdown;
    case 2: return caf::make_error(caf::sec::runtime_error);
    default: return caf::exit_reason::kill;
  }
}

} // namespace

TEST_CASE_METHOD(fixture, "a randomly crashing tree keeps every permanent child alive exactly "
                          "once, leaks no actor and never exceeds intensity unescalated",
                 "[supervision][random]") {
  auto seed = GENERATE(1u, 2u, 3u, 4u);
  CAPTURE(seed);
  std::mt19937 rng{seed};
  auto tree = make_tree(&p, sink, rng);
  auto root = start(tree.root);
  int max_alive = 0;
  for (int step = 0; step < 300; ++step) {
    auto action = rng() % 10;
    if (action < 7) { // crash a random running worker
      strings running;
      for (auto& [id, n] : p.alive)
        if (n == 1)
          running.push_back(id);
      if (!running.empty())
        crash(running[rng() % running.size()], random_reason(rng));
    } else if (action < 8) { // kill a random mid supervisor outright
      auto kids = ask<std::vector<sv::child_info>>(root, sv::which_children{});
      REQUIRE(kids);
      auto& victim = kids->at(rng() % kids->size());
      if (victim.actor)
        caf::anon_send_exit(victim.actor, caf::exit_reason::kill);
      settle();
    } else {
      sched.advance_time(std::chrono::milliseconds(rng() % 700));
      settle();
    }
    for (auto& [id, n] : p.alive)
      max_alive = std::max(max_alive, n);
  }
  // Let pending backoff restarts happen.
  for (int i = 0; i < 5; ++i) {
    sched.advance_time(1s);
    settle();
  }
  CHECK(max_alive == 1);

  // Every permanent worker runs exactly once (its supervisors are permanent too).
  for (auto& [id, type] : tree.workers) {
    CAPTURE(id);
    if (type == restart_type::permanent)
      CHECK(p.alive[id] == 1);
    else
      CHECK(p.alive[id] <= 1);
  }

  // No actor beyond the tree: supervisors plus running workers.
  std::size_t workers = 0;
  for (auto& [id, n] : p.alive)
    workers += static_cast<std::size_t>(n);
  CHECK(sys.registry().running() == baseline_running + tree.supervisors + workers);

  // Intensity: per supervisor instance, never more than `intensity` restarts
  // within a period; an escalation only when the next one would have been.
  std::map<caf::actor_id, std::vector<sv::time_point>> restarts;
  std::set<caf::actor_id> escalated;
  int escalations = 0;
  for (const auto& r : p.reports) {
    if (auto* e = std::get_if<sv::child_restarting>(&r.event)) {
      CHECK(escalated.count(e->supervisor_id) == 0);
      auto lim = tree.limits.at(e->supervisor);
      auto& xs = restarts[e->supervisor_id];
      xs.push_back(r.at);
      auto in_window = std::count_if(xs.begin(), xs.end(),
                                     [&](sv::time_point t) { return t >= r.at - lim.period; });
      CHECK(in_window <= lim.intensity);
    } else if (auto* x = std::get_if<sv::supervisor_escalated>(&r.event)) {
      CHECK(x->supervisor != "root");
      ++escalations;
      escalated.insert(x->supervisor_id);
      auto lim = tree.limits.at(x->supervisor);
      auto& xs = restarts[x->supervisor_id];
      auto in_window = std::count_if(xs.begin(), xs.end(),
                                     [&](sv::time_point t) { return t >= r.at - lim.period; });
      CHECK(in_window == lim.intensity);
    }
  }
  CHECK(escalations > 0); // the test did exercise escalation
  CHECK(reports_of<sv::child_restarting>().size() > 50);

  caf::anon_send_exit(root, caf::exit_reason::user_shutdown);
  CHECK(exit_reason_of(root) == caf::exit_reason::user_shutdown);
  CHECK(sys.registry().running() == baseline_running);
  for (auto& [id, n] : p.alive)
    CHECK(n == 0);
}
