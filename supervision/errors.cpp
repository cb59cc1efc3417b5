// Error values and exit-reason classification; the restart decision per
// restart type lives here so that every strategy shares one definition.
#include "supervision/errors.hpp"

#include <caf/atom.hpp>
#include <caf/exit_reason.hpp>
#include <caf/message.hpp>

#include "supervision/spec.hpp"

namespace supervision {

namespace {
constexpr caf::atom_value category = caf::atom("supervisor");
} // namespace

caf::error make_error(sup_errc x) {
  return {static_cast<uint8_t>(x), category};
}

caf::error make_error(sup_errc x, std::string context) {
  return {static_cast<uint8_t>(x), category, caf::make_message(std::move(context))};
}

const char* to_string(sup_errc x) {
  switch (x) {
    case sup_errc::reached_max_intensity: return "reached_max_intensity";
    case sup_errc::unknown_child: return "unknown_child";
    case sup_errc::already_running: return "already_running";
    case sup_errc::already_present: return "already_present";
    case sup_errc::wrong_strategy: return "wrong_strategy";
    case sup_errc::invalid_spec: return "invalid_spec";
    case sup_errc::shutting_down: return "shutting_down";
  }
  return "unknown";
}

bool is_normal(const caf::error& reason) {
  return !reason || reason == caf::exit_reason::normal;
}

bool is_shutdown(const caf::error& reason) {
  return reason == caf::exit_reason::user_shutdown
         || (reason && reason.category() == category
             && reason.code() == static_cast<uint8_t>(sup_errc::reached_max_intensity));
}

bool should_restart(restart_type t, const caf::error& reason) {
  switch (t) {
    case restart_type::permanent: return true;
    case restart_type::transient: return !is_normal(reason) && !is_shutdown(reason);
    case restart_type::temporary: return false;
  }
  return false;
}

} // namespace supervision
