// Restart backoff delays: exponential, capped, with downward jitter.
// Pure so the schedule can be checked without running a supervisor.
#pragma once

#include <caf/timespan.hpp>

#include "supervision/fwd.hpp"

namespace supervision {

/// Delay before the `attempt`-th consecutive restart (0 = first) of a child:
/// nominal = min(max, initial * 2^attempt), then scaled by (1 - jitter * u)
/// with `u` in [0, 1), so the delay lies in [nominal * (1 - jitter), nominal]
/// and never exceeds `max`.
[[nodiscard]] caf::timespan backoff_delay(const backoff_policy& policy, unsigned attempt,
                                          double u);

/// The nominal (jitter-free) delay of the same schedule.
[[nodiscard]] caf::timespan nominal_backoff(const backoff_policy& policy, unsigned attempt);

} // namespace supervision
