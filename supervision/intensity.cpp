// Sliding-window restart counting; kept free of actor state on purpose.
// The window edge is inclusive, as in OTP's supervisor.erl.
#include "supervision/intensity.hpp"

#include <algorithm>

namespace supervision {

intensity_verdict add_restart(std::vector<time_point> restarts, time_point now, int intensity,
                              caf::timespan period) {
  auto threshold = now - period;
  auto first_kept = std::find_if(restarts.begin(), restarts.end(),
                                 [&](time_point t) { return t >= threshold; });
  restarts.erase(restarts.begin(), first_kept);
  restarts.push_back(now);
  bool exceeded = static_cast<long long>(restarts.size()) > static_cast<long long>(intensity);
  return {std::move(restarts), exceeded};
}

} // namespace supervision
