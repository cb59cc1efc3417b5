// The OTP matrix: restart type x exit reason x strategy, asserting exactly
// which children were stopped and started and in which order; and simple_one_for_one.
#include "fixture.hpp"

using namespace sup_test;
using sv::restart_type;
using sv::restart_strategy;

namespace {

enum class reason_kind { normal, shutdown, error, kill };

caf::error make_reason(reason_kind r) {
  switch (r) {
    case reason_kind::normal: return caf::exit_reason::normal;
    case reason_kind::shutdown: return caf::exit_reason::user_shutdown;
    case reason_kind::error: return caf::make_error(caf::sec::runtime_error);
    case reason_kind::kill: return caf::exit_reason::kill;
  }
  return {};
}

const char* name_of(reason_kind r) {
  switch (r) {
    case reason_kind::normal: return "normal";
    case reason_kind::shutdown: return "shutdown";
    case reason_kind::error: return "error";
    case reason_kind::kill: return "kill";
  }
  return "?";
}

const char* name_of(restart_strategy s) {
  switch (s) {
    case restart_strategy::one_for_one: return "one_for_one";
    case restart_strategy::one_for_all: return "one_for_all";
    case restart_strategy::rest_for_one: return "rest_for_one";
    case restart_strategy::simple_one_for_one: return "simple_one_for_one";
  }
  return "?";
}

// OTP's table, written out rather than computed: is B restarted?
bool restarted(restart_type t, reason_kind r) {
  switch (t) {
    case restart_type::permanent: return true;
    case restart_type::transient: return r == reason_kind::error || r == reason_kind::kill;
    case restart_type::temporary: return false;
  }
  return false;
}

// What follows B's own stop when B is restarted (siblings A and C are permanent).
std::vector<std::string> restart_sequence(restart_strategy s) {
  switch (s) {
    case restart_strategy::one_for_all:
      return {"stop:B", "stop:C", "stop:A", "start:A", "start:B", "start:C"};
    case restart_strategy::rest_for_one: return {"stop:B", "stop:C", "start:B", "start:C"};
    default: return {"stop:B", "start:B"};
  }
}

} // namespace

TEST_CASE_METHOD(fixture, "each restart type, exit reason and strategy restarts exactly OTP's "
                          "children in OTP's order",
                 "[supervision][matrix]") {
  auto type = GENERATE(restart_type::permanent, restart_type::transient,
                       restart_type::temporary);
  auto reason = GENERATE(reason_kind::normal, reason_kind::shutdown, reason_kind::error,
                         reason_kind::kill);
  auto strategy = GENERATE(restart_strategy::one_for_one, restart_strategy::one_for_all,
                           restart_strategy::rest_for_one);
  CAPTURE(sv::to_string(type), name_of(reason), name_of(strategy));
  sv::supervisor_spec spec;
  spec.flags.strategy = strategy;
  spec.flags.intensity = 10;
  spec.children = {worker(&p, "A"), worker(&p, "B", type), worker(&p, "C")};
  auto sup = start(spec);
  REQUIRE(take_log() == std::vector<std::string>{"start:A", "start:B", "start:C"});
  crash("B", make_reason(reason));
  auto log = take_log();
  if (restarted(type, reason)) {
    CHECK(log == restart_sequence(strategy));
    CHECK(children_of(sup)
          == std::vector<std::string>{"A:running", "B:running", "C:running"});
    CHECK(reports_of<sv::child_restarting>().size() == 1);
  } else {
    CHECK(log == std::vector<std::string>{"stop:B"});
    auto expected = type == restart_type::temporary
                      ? std::vector<std::string>{"A:running", "C:running"}
                      : std::vector<std::string>{"A:running", "B:stopped", "C:running"};
    CHECK(children_of(sup) == expected);
    CHECK(reports_of<sv::child_restarting>().empty());
  }
  auto exits = reports_of<sv::child_exited>();
  REQUIRE_FALSE(exits.empty());
  CHECK(exits.front().child_id == "B");
  CHECK_FALSE(exits.front().ordered);
  CHECK(sv::is_normal(exits.front().reason) == (reason == reason_kind::normal));
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  settle();
}

TEST_CASE_METHOD(fixture, "a normal exit of a transient child is not counted against intensity",
                 "[supervision][matrix]") {
  sv::supervisor_spec spec;
  spec.flags.intensity = 0; // any counted restart would escalate
  spec.children = {worker(&p, "A", restart_type::transient),
                   worker(&p, "B", restart_type::temporary)};
  auto sup = start(spec);
  crash("A", caf::exit_reason::normal);
  crash("B", caf::make_error(caf::sec::runtime_error));
  CHECK(reports_of<sv::supervisor_escalated>().empty());
  CHECK(children_of(sup) == std::vector<std::string>{"A:stopped"});
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  CHECK(exit_reason_of(sup) == caf::exit_reason::user_shutdown);
}

namespace {

// A simple_one_for_one template whose start argument becomes part of the id.
sv::child_spec session_template(probe* p, restart_type r) {
  auto start = [p](caf::local_actor* parent,
                   const caf::message& args) -> caf::expected<caf::actor> {
    auto n = args.get_as<int>(0);
    auto id = "s" + std::to_string(n);
    auto a = parent->spawn(probe_worker, false);
    p->log.push_back("start:" + id);
    p->live[id] = a;
    a->attach_functor([p, id] { p->log.push_back("stop:" + id); });
    return a;
  };
  return {"session", start, r, std::nullopt, sv::child_type::worker};
}

} // namespace

TEST_CASE_METHOD(fixture, "simple_one_for_one starts dynamic children from its template with "
                          "the given arguments",
                 "[supervision][simple]") {
  sv::supervisor_spec spec;
  spec.flags.strategy = restart_strategy::simple_one_for_one;
  spec.flags.intensity = 5;
  spec.children = {session_template(&p, restart_type::permanent)};
  auto sup = start(spec);
  CHECK(take_log().empty()); // the template starts nothing by itself
  for (int n : {1, 2, 3}) {
    auto a = ask<caf::actor>(sup, sv::start_child_with{caf::make_message(n)});
    REQUIRE(a);
    CHECK(*a == p.live.at("s" + std::to_string(n)));
  }
  CHECK(take_log() == std::vector<std::string>{"start:s1", "start:s2", "start:s3"});
  auto counts = ask<sv::child_counts>(sup, sv::count_children{});
  REQUIRE(counts);
  CHECK(counts->specs == 1);
  CHECK(counts->active == 3);
  CHECK(counts->workers == 3);
  SECTION("a crashed dynamic child is restarted with its own arguments") {
    crash("s2", caf::make_error(caf::sec::runtime_error));
    CHECK(take_log() == std::vector<std::string>{"stop:s2", "start:s2"});
  }
  SECTION("terminate_child by handle stops and forgets the child") {
    auto ok = ask<caf::ok_atom>(sup, sv::terminate_child{{}, p.live.at("s1")});
    CHECK(ok);
    CHECK(take_log() == std::vector<std::string>{"stop:s1"});
    CHECK(ask<sv::child_counts>(sup, sv::count_children{})->active == 2);
    CHECK(children_of(sup).size() == 2);
  }
  SECTION("static-child requests are refused with wrong_strategy") {
    auto r = ask<caf::actor>(sup, sv::restart_child{"session"});
    REQUIRE_FALSE(r);
    CHECK(r.error() == sv::make_error(sv::sup_errc::wrong_strategy, "session"));
  }
  take_log();
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  CHECK(exit_reason_of(sup) == caf::exit_reason::user_shutdown);
  auto log = take_log(); // dynamic children stop newest first, too
  REQUIRE_FALSE(log.empty());
  CHECK(std::is_sorted(log.rbegin(), log.rend()));
  for (const auto& entry : log)
    CHECK(entry.rfind("stop:", 0) == 0);
}
