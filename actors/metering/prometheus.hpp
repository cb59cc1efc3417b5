// actors/metering/prometheus.hpp: a snapshot rendered in the Prometheus text exposition format
// (0.0.4). Pure: the HTTP endpoint lives elsewhere. Names are documented in README.md.
#pragma once

#include <string>

#include "actors/metering/snapshot.hpp"

namespace ferry::metering {

/// Every metric of `s`, HELP and TYPE first, series sorted as in the snapshot.
std::string render_prometheus(const meter_snapshot& s);

}  // namespace ferry::metering
