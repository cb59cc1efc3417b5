// Exponential backoff arithmetic; overflow-safe because the doubling stops at
// the cap instead of computing 2^attempt.
#include "supervision/backoff.hpp"

#include <algorithm>

#include "supervision/spec.hpp"

namespace supervision {

caf::timespan nominal_backoff(const backoff_policy& policy, unsigned attempt) {
  auto delay = policy.initial;
  for (unsigned i = 0; i < attempt && delay < policy.max; ++i)
    delay = delay > policy.max / 2 ? policy.max : delay * 2;
  return std::min(delay, policy.max);
}

caf::timespan backoff_delay(const backoff_policy& policy, unsigned attempt, double u) {
  auto nominal = nominal_backoff(policy, attempt);
  u = std::clamp(u, 0.0, 1.0);
  auto factor = 1.0 - policy.jitter * u;
  auto ns = static_cast<caf::timespan::rep>(static_cast<double>(nominal.count()) * factor);
  return caf::timespan{std::max<caf::timespan::rep>(ns, 0)};
}

} // namespace supervision
