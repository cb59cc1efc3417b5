// daemon/metrics.hpp: the Prometheus text ferryd serves on GET /metrics (--metrics HOST:PORT): the actor
// meters (actors/metering/README.md) plus the daemon, router and per-server series listed in daemon/README.md.
#pragma once

#include <string>

#include <caf/fwd.hpp>

#include "daemon/tree.hpp"

namespace ferry::daemon {

/// Renders every series; asks the router and the connections with bounded requests (admin_context's
/// ask_timeout), so call it from a thread that may block (the metrics endpoint's own io thread).
std::string render_metrics(caf::actor_system& sys, runtime& rt);

}  // namespace ferry::daemon
