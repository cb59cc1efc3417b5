// actors/admin/admin_actor.hpp: the actor ferryd publishes for ferryctl (admin_protocol.hpp), and the blocking
// gathering functions behind it, which the Prometheus endpoint reuses. The admin actor never blocks: each
// request that must ask other actors is delegated to a short-lived detached worker that asks them with a
// bounded timeout and answers the requester directly.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <caf/atom.hpp>
#include <caf/fwd.hpp>
#include <caf/timespan.hpp>

#include "actors/admin/admin_protocol.hpp"
#include "supervision/spec.hpp"

namespace ferry::metering {
class meter_registry;
}

namespace ferry::admin {

/// What the admin actor reads and where it finds the tree. Every function may be called from any thread.
struct admin_context {
  caf::atom_value root_name = caf::atom("ferryd");  ///< registry names of the actors it asks
  caf::atom_value router_name = caf::atom("router");
  caf::atom_value sessions_name = caf::atom("sessions");
  caf::atom_value event_log_name = caf::atom("event_log");
  metering::meter_registry* meters = nullptr;  ///< null: top answers with empty rows
  /// The daemon's own figures (socket, budget, draining, pid, version, uptime); router figures are added.
  std::function<node_status()> local_status;
  /// Run by the daemon's main thread (they block the worker until done, bounded by the daemon).
  std::function<drain_reply()> drain;
  std::function<reload_reply()> reload;
  caf::timespan ask_timeout = std::chrono::seconds(2);  ///< per request to another actor
};

// -- gathering (blocking: call from a blocking actor or a scoped_actor, never from an event-based one) --------

node_status gather_status(caf::blocking_actor* self, const admin_context& ctx);
tree_reply gather_tree(caf::blocking_actor* self, const admin_context& ctx);
servers_reply gather_servers(caf::blocking_actor* self, const admin_context& ctx);
sessions_reply gather_sessions(caf::blocking_actor* self, const admin_context& ctx);
restart_reply restart_child(caf::blocking_actor* self, const admin_context& ctx, const std::string& path);
log_level_reply change_log_level(caf::blocking_actor* self, const admin_context& ctx, const std::string& level);
/// Not blocking: a copy of the meters.
top_reply take_top(const admin_context& ctx);

/// The admin actor as a supervised child (the context is shared, not copied per request).
supervision::start_fn admin_starter(std::shared_ptr<const admin_context> ctx);

/// The same, spawned directly (tests).
admin_actor spawn_admin(caf::actor_system& sys, std::shared_ptr<const admin_context> ctx);

}  // namespace ferry::admin
