// Exponential reconnect backoff with jitter.
#include "actors/rpc_connection/backoff.hpp"

#include <algorithm>

namespace ferry::actors {

caf::timespan reconnect_delay(const reconnect_backoff& policy, unsigned attempt, double u) noexcept {
  auto nominal = policy.initial;
  for (unsigned i = 0; i < attempt && nominal < policy.max; ++i) nominal *= 2;  // no overflow: stops at max
  nominal = std::min(nominal, policy.max);
  auto jitter = std::clamp(policy.jitter, 0.0, 1.0) * std::clamp(u, 0.0, 1.0);
  return std::chrono::duration_cast<caf::timespan>(nominal * (1.0 - jitter));
}

}  // namespace ferry::actors
