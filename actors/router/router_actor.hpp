// router: ferryd's actor between sessions and data servers. Places keys on R replicas, writes with a W
// quorum, reads from the healthiest replica with failover, merges LIST across servers, spends deadlines.
// Messages: actors/router/router_messages.hpp; behaviour and semantics: actors/router/ROUTER.md.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/fwd.hpp>

#include "actors/router/deadline_budget.hpp"
#include "actors/router/quorum.hpp"
#include "actors/router/router_messages.hpp"
#include "actors/router/server_health.hpp"

namespace ferry::metering {
class meter_registry;
}

namespace ferry::actors {

struct router_config {
  std::uint64_t writer = 1;                     ///< HLC writer id, unique per ferryd in the cluster
  router::quorum_size quorum{1, 1};             ///< R replicas, W write acks; must pass router::check
  router::deadline_settings deadlines = {};
  router::health_settings health = {};
  std::uint32_t default_list_limit = 1000;      ///< LIST limit 0 means this; capped at proto::max_list
  std::size_t max_uploads = 1024;               ///< open chunked uploads (and opens in flight); beyond: OVERLOADED
  router::duration upload_idle_timeout = std::chrono::seconds(60);  ///< no chunk/commit for this long: aborted
  router::duration read_repair_timeout = std::chrono::seconds(2);  ///< each background read-repair call
  std::vector<server_entry> servers;            ///< the initial server set (set_servers replaces it)
  /// Wall-clock milliseconds since the Unix epoch for the HLC's physical part; null: system_clock.
  std::function<std::uint64_t()> wall_clock_ms;
  metering::meter_registry* meters = nullptr;  ///< meters the router when set (outlives it)
};

/// Spawns the router (not linked). Invalid quorum/deadline/health settings are a programmer error
/// (std::invalid_argument, thrown here, before anything is spawned).
caf::actor spawn_router(caf::actor_system& sys, router_config cfg);

/// Spawns the router from `parent` (a supervisor), which links or monitors it itself.
caf::actor spawn_router(caf::local_actor* parent, router_config cfg);

}  // namespace ferry::actors
