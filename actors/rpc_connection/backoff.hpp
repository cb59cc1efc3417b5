// Reconnect delays: exponential backoff with jitter, as a pure function of the attempt number and a
// uniform draw, so tests can predict the schedule and siblings do not reconnect in lock-step.
#pragma once

#include <chrono>

#include <caf/timespan.hpp>

namespace ferry::actors {

struct reconnect_backoff {
  caf::timespan initial = std::chrono::milliseconds(50);
  caf::timespan max = std::chrono::seconds(5);
  double jitter = 0.2;  ///< in [0, 1): a delay is shortened by up to this fraction
};

/// The delay before reconnect attempt `attempt` (0 = the first after a failure or loss):
/// min(max, initial * 2^attempt) * (1 - jitter * u), with u uniform in [0, 1).
caf::timespan reconnect_delay(const reconnect_backoff& policy, unsigned attempt, double u) noexcept;

}  // namespace ferry::actors
