// Messages a supervisor sends to itself: timers for shutdown timeouts and
// delayed restarts. Tokens let a late timer recognise that it is stale.
#pragma once

#include <cstdint>

#include <caf/meta/type_name.hpp>

namespace supervision::detail {

/// Sent to itself on spawn: start the initial children. Done as a message so
/// that a start failure quits from a handler, not from the behaviour factory.
struct start_children {};

/// The shutdown timeout of the stop step `token` expired: kill the child.
struct shutdown_timeout { std::uint64_t token; };

/// The backoff delay of restart group `token` is over: start its children.
struct restart_due { std::uint64_t token; };

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, start_children&) {
  return f(caf::meta::type_name("sup_start_children"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shutdown_timeout& x) {
  return f(caf::meta::type_name("sup_shutdown_timeout"), x.token);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, restart_due& x) {
  return f(caf::meta::type_name("sup_restart_due"), x.token);
}

} // namespace supervision::detail
