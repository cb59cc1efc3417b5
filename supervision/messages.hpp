// Typed messages of the supervisor protocol: requests (introspection and
// dynamic children), their replies, and the report events sent to the sink.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/error.hpp>
#include <caf/message.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/timespan.hpp>

#include "supervision/spec.hpp"

namespace supervision {

// -- requests (send with request(); replies noted per type) ---------------------------------

/// Replies `std::vector<child_info>`, in start order.
struct which_children {};
/// Replies `child_counts`.
struct count_children {};
/// Starts a stopped static child again. Replies the new `caf::actor`.
struct restart_child { std::string id; };
/// Stops a child within its shutdown policy, keeping its spec (temporary and
/// dynamic children are dropped). `id` names a static child; `child` a
/// simple_one_for_one child. Replies `caf::ok_atom`.
struct terminate_child {
  std::string id;
  caf::actor child;
};
/// Removes the spec of a stopped static child. Replies `caf::ok_atom`.
struct delete_child { std::string id; };
/// Adds and starts a static child. Local only: the spec holds a function.
/// Replies the new `caf::actor`.
struct start_child { child_spec spec; };
/// simple_one_for_one: starts a child from the template with `args`.
/// Replies the new `caf::actor`.
struct start_child_with { caf::message args; };
/// Replies `caf::ok_atom` once every initial child has started, or the start
/// error. A parent uses it to start child supervisors in order, as OTP does.
struct await_started {};

// -- replies -------------------------------------------------------------------------------

enum class child_status : unsigned char {
  running,
  restarting, ///< ended and waiting for its (delayed) restart
  stopped,    ///< ended and not to be restarted, or terminated on request
};

struct child_info {
  std::string id;
  caf::actor actor; ///< null unless running
  child_type type;
  restart_type restart;
  child_status status;
  std::uint64_t restarts = 0; ///< times started again after its first start (any cause)
};

/// Replies `supervisor_description`: how this supervisor is configured (for a live tree view).
struct describe_supervisor {};
struct supervisor_description {
  std::string name;
  restart_strategy strategy = restart_strategy::one_for_one;
  int intensity = 0;
  caf::timespan period{};
};

/// Same fields as OTP's count_children.
struct child_counts {
  std::size_t specs = 0;
  std::size_t active = 0;
  std::size_t supervisors = 0;
  std::size_t workers = 0;
};

// -- report events (sent to supervisor_flags::report_sink) --------------------------------

struct child_started {
  std::string supervisor;
  caf::actor_id supervisor_id;
  std::string child_id;
  caf::actor_addr child;
};

struct child_exited {
  std::string supervisor;
  caf::actor_id supervisor_id;
  std::string child_id;
  caf::actor_addr child;
  caf::error reason;
  bool ordered; ///< stopped by its supervisor rather than ending on its own
};

struct child_restarting {
  std::string supervisor;
  caf::actor_id supervisor_id;
  std::string child_id;
  caf::timespan delay; ///< zero unless backoff is configured
  unsigned attempt;    ///< consecutive restarts of this child, 0 for the first
};

struct child_start_failed {
  std::string supervisor;
  caf::actor_id supervisor_id;
  std::string child_id;
  caf::error reason;
};

/// The supervisor gave up: it stops its children and exits with `reason`.
struct supervisor_escalated {
  std::string supervisor;
  caf::actor_id supervisor_id;
  caf::error reason;
  int intensity;
  caf::timespan period;
};

std::string to_string(child_status);
std::string to_string(child_type);
std::string to_string(restart_type);
std::string to_string(restart_strategy);

// -- inspection ----------------------------------------------------------------------------

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, which_children&) {
  return f(caf::meta::type_name("which_children"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, count_children&) {
  return f(caf::meta::type_name("count_children"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, restart_child& x) {
  return f(caf::meta::type_name("restart_child"), x.id);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, terminate_child& x) {
  return f(caf::meta::type_name("terminate_child"), x.id, x.child);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, delete_child& x) {
  return f(caf::meta::type_name("delete_child"), x.id);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, start_child_with& x) {
  return f(caf::meta::type_name("start_child_with"), x.args);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, await_started&) {
  return f(caf::meta::type_name("await_started"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, child_info& x) {
  return f(caf::meta::type_name("child_info"), x.id, x.actor, x.type, x.restart, x.status,
           x.restarts);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, describe_supervisor&) {
  return f(caf::meta::type_name("describe_supervisor"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, supervisor_description& x) {
  return f(caf::meta::type_name("supervisor_description"), x.name, x.strategy, x.intensity,
           x.period);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, child_counts& x) {
  return f(caf::meta::type_name("child_counts"), x.specs, x.active, x.supervisors, x.workers);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, child_started& x) {
  return f(caf::meta::type_name("child_started"), x.supervisor, x.supervisor_id, x.child_id,
           x.child);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, child_exited& x) {
  return f(caf::meta::type_name("child_exited"), x.supervisor, x.supervisor_id, x.child_id,
           x.child, x.reason, x.ordered);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, child_restarting& x) {
  return f(caf::meta::type_name("child_restarting"), x.supervisor, x.supervisor_id, x.child_id,
           x.delay, x.attempt);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, child_start_failed& x) {
  return f(caf::meta::type_name("child_start_failed"), x.supervisor, x.supervisor_id,
           x.child_id, x.reason);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, supervisor_escalated& x) {
  return f(caf::meta::type_name("supervisor_escalated"), x.supervisor, x.supervisor_id,
           x.reason, x.intensity, x.period);
}

} // namespace supervision

// A child spec carries its start function, which no inspector can serialize.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(supervision::start_child)
