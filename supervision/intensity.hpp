// Restart intensity (OTP's add_restart): a pure function of the recent restart
// times, now, the allowed count and the period, so it is testable without actors.
#pragma once

#include <vector>

#include <caf/actor_clock.hpp>
#include <caf/timespan.hpp>

namespace supervision {

using time_point = caf::actor_clock::time_point;

struct intensity_verdict {
  /// Restarts still inside the window, `now` included, oldest first.
  std::vector<time_point> restarts;
  /// True when this restart is one too many: the supervisor must escalate.
  bool exceeded = false;
};

/// Records a restart at `now`. Restarts at or after `now - period` stay in the
/// window (OTP keeps the edge too); more than `intensity` of them is too many.
[[nodiscard]] intensity_verdict add_restart(std::vector<time_point> restarts, time_point now,
                                            int intensity, caf::timespan period);

} // namespace supervision
