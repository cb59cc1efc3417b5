// Error values of the supervision library and the exit-reason classes OTP uses
// to decide restarts: normal, shutdown-class, and abnormal.
#pragma once

#include <string>

#include <caf/error.hpp>

#include "supervision/fwd.hpp"

namespace supervision {

/// Errors a supervisor reports or exits with (CAF category "supervisor").
enum class sup_errc : unsigned char {
  /// Exit reason after too many restarts in the period: shutdown-class, so the
  /// parent sees an orderly stop and applies its own restart type and intensity.
  reached_max_intensity = 1,
  unknown_child,      ///< no child with that id or handle
  already_running,    ///< restart_child / delete_child on a running child
  already_present,    ///< start_child with an id already in use
  wrong_strategy,     ///< request not valid for this supervisor's strategy
  invalid_spec,       ///< start_child with a spec that check() rejects
  shutting_down,      ///< request arrived while the supervisor was stopping
};

caf::error make_error(sup_errc);
caf::error make_error(sup_errc, std::string context);

const char* to_string(sup_errc);

/// OTP's `shutdown` family: `user_shutdown` and our own escalation reason.
bool is_shutdown(const caf::error& reason);

/// OTP's `normal`: an empty error or `exit_reason::normal`.
bool is_normal(const caf::error& reason);

/// Whether a child of type `t` that ended with `reason` is to be restarted.
bool should_restart(restart_type t, const caf::error& reason);

} // namespace supervision
