// Words every router policy shares: how a data server is named and which clock the policies take time from.
// Policies never read a clock; callers pass `now`, so tests drive them along a simulated time axis.
#pragma once

#include <chrono>
#include <string>

namespace ferry::router {

/// A data server as configured, "HOST:PORT" (e.g. "127.0.0.1:7340"). Placement hashes these bytes, so
/// every ferryd must spell a given server the same way.
using server_id = std::string;

/// Monotonic time for deadlines, latencies and ejection periods (CAF's actor clock is steady_clock too).
using clock = std::chrono::steady_clock;
using time_point = clock::time_point;
using duration = clock::duration;

}  // namespace ferry::router
