// event_log: ferryd's structured event log, an actor writing one logfmt line per significant
// event (format.hpp) to a file and/or stderr through spdlog. Messages: messages.hpp.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>
#include <caf/message.hpp>
#include <spdlog/common.h>
#include <spdlog/sinks/sink.h>

#include "actors/event_log/format.hpp"
#include "actors/event_log/messages.hpp"

namespace ferry::metering {
class meter_registry;
}

namespace ferry::actors {

struct event_log_config {
  std::string level = "info";                     ///< initial level, a `parse_level` name
  std::string file;                               ///< appended to; empty: no file
  bool to_stderr = true;
  std::shared_ptr<spdlog::sinks::sink> extra_sink;  ///< tests: captures the lines
  metering::meter_registry* meters = nullptr;       ///< meters the event log when set (outlives it)
};

/// Spawns the actor (not linked to anything). A bad config (unknown level, unopenable file)
/// spawns an actor that ends at once with that error; use `event_log_starter` to get it as a value.
caf::actor spawn_event_log(caf::actor_system& sys, event_log_config cfg);

/// Spawns the actor from `parent` (a supervisor), which links or monitors it itself. A bad
/// config behaves as above.
caf::actor spawn_event_log(caf::local_actor* parent, event_log_config cfg);

/// A start function with the signature of supervision::start_fn, for a child_spec. Opens the
/// sinks on every (re)start and returns the error when the config is bad, e.g.
/// `sec::runtime_error` "event log: cannot open FILE: why".
std::function<caf::expected<caf::actor>(caf::local_actor*, const caf::message&)>
event_log_starter(event_log_config cfg);

/// Sends `log_event{...}` to `event_log` without a sender; does nothing when the handle is null.
void log(const caf::actor& event_log, spdlog::level::level_enum level, std::string component,
         std::string what, event_fields fields = {});

}  // namespace ferry::actors
