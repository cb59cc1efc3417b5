// HLC update rules on the packed representation: because logical sits below physical in one integer,
// "same millisecond, counter + 1" and "counter full, next millisecond" are both just `+ 1`.
#include "actors/router/hlc.hpp"

#include <algorithm>
#include <limits>

namespace ferry::router {

namespace {

std::uint64_t wall(std::uint64_t physical_now_ms) noexcept {
  return make_hlc(std::min(physical_now_ms, hlc_max_physical_ms), 0);
}

// Saturates at the top of the range (year 10889) rather than wrapping to zero and going back in time.
std::uint64_t step_past(std::uint64_t hlc) noexcept {
  return hlc == std::numeric_limits<std::uint64_t>::max() ? hlc : hlc + 1;
}

}  // namespace

std::uint64_t hlc_tick(std::uint64_t last, std::uint64_t physical_now_ms) noexcept {
  const std::uint64_t now = wall(physical_now_ms);
  return now > last ? now : step_past(last);
}

std::uint64_t hlc_observe(std::uint64_t last, std::uint64_t remote, std::uint64_t physical_now_ms) noexcept {
  const std::uint64_t known = std::max(last, remote);
  const std::uint64_t now = wall(physical_now_ms);
  return now > known ? now : step_past(known);
}

}  // namespace ferry::router
