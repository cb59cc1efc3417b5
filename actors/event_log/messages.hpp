// Messages of the event_log actor: events to write and the runtime level control. Besides
// these it handles the supervision library's report events (supervision/messages.hpp).
#pragma once

#include <string>

#include <caf/meta/type_name.hpp>
#include <spdlog/common.h>

#include "actors/event_log/format.hpp"

namespace ferry::actors {

/// One event to write: `component` names the emitting part (e.g. `listener`), `what` the event
/// (e.g. `session_opened`), `fields` its details. Dropped below the current level.
struct log_event {
  spdlog::level::level_enum level = spdlog::level::info;
  std::string component;
  std::string what;
  event_fields fields;
};

/// Sets the level by name (see `parse_level`). Replies `caf::ok_atom`, or a
/// `sec::invalid_argument` error for an unknown name (the level stays as it was).
struct set_log_level {
  std::string level;
};

/// Replies the current level's name as a `std::string`.
struct get_log_level {};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, log_event& x) {
  return f(caf::meta::type_name("log_event"), x.level, x.component, x.what, x.fields);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, set_log_level& x) {
  return f(caf::meta::type_name("set_log_level"), x.level);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, get_log_level&) {
  return f(caf::meta::type_name("get_log_level"));
}

}  // namespace ferry::actors
