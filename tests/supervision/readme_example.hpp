// The example from supervision/README.md, compiled by tree_test.cpp so that
// the documentation cannot drift from the API.
#pragma once

#include <string>

#include <caf/all.hpp>

#include "supervision/supervisor.hpp"

namespace readme_example {

// --8<-- [start:example]
namespace sv = supervision;
using namespace std::chrono_literals;

caf::behavior connection(caf::event_based_actor*, int index) {
  return {[index](caf::get_atom) { return index; }};
}

caf::behavior acceptor(caf::event_based_actor*) {
  return {[](caf::get_atom) { return std::string{"accepting"}; }};
}

// app (rest_for_one): if the pool's subtree fails, the acceptor that depends
// on it is restarted after it; pool (one_for_all): three connections that
// only make sense together.
caf::expected<caf::actor> start_app(caf::actor_system& sys, caf::actor report_sink) {
  sv::supervisor_spec pool;
  pool.flags.name = "pool";
  pool.flags.strategy = sv::restart_strategy::one_for_all;
  pool.flags.report_sink = report_sink;
  for (int i = 0; i < 3; ++i)
    pool.children.push_back({.id = "conn" + std::to_string(i),
                             .start = sv::spawning(connection, i)});

  sv::supervisor_spec app;
  app.flags.name = "app";
  app.flags.strategy = sv::restart_strategy::rest_for_one;
  app.flags.intensity = 3;
  app.flags.period = 10s;
  app.flags.backoff = sv::backoff_policy{50ms, 2s, 0.2, /*seed*/ 1};
  app.flags.report_sink = report_sink;
  app.children = {
    sv::supervisor_child("pool", pool),
    {.id = "acceptor",
     .start = sv::spawning(acceptor),
     .restart = sv::restart_type::permanent,
     .shutdown = sv::shutdown_policy::after(1s)},
  };
  return sv::start_supervisor(sys, std::move(app));
}
// --8<-- [end:example]

} // namespace readme_example
