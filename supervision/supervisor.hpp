// Public entry points: spawn a supervisor from a checked spec, or declare one
// as the child of another. The protocol lives in messages.hpp.
#pragma once

#include <string>

#include <caf/actor.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>

#include "supervision/errors.hpp"
#include "supervision/messages.hpp"
#include "supervision/spec.hpp"

namespace supervision {

/// Checks `spec` and spawns its supervisor, which then starts the children in
/// order. A check failure comes back as `sup_errc::invalid_spec` with the
/// spec_errc name and child id as context; a start failure makes the
/// supervisor exit with that error (ask `await_started` to wait for either).
caf::expected<caf::actor> start_supervisor(caf::actor_system& sys, supervisor_spec spec);

/// A child spec that runs a nested supervisor for `spec` (type supervisor,
/// shutdown infinity by default, as OTP).
child_spec supervisor_child(std::string id, supervisor_spec spec,
                            restart_type restart = restart_type::permanent);

} // namespace supervision
