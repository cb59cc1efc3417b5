// Deadline arithmetic: saturating where a client's or a payload's size could overflow, so a 4 GiB chunk
// or a 49-day client deadline lands on the cap instead of wrapping.
#include "actors/router/deadline_budget.hpp"

#include <algorithm>

namespace ferry::router {

namespace {

constexpr std::uint64_t mib = std::uint64_t{1} << 20;

// per_mib × bytes / MiB in milliseconds, rounded up, saturating at `cap`.
milliseconds scaled(milliseconds per_mib, std::uint64_t bytes, milliseconds cap) noexcept {
  const auto rate = static_cast<std::uint64_t>(per_mib.count());
  const auto limit = static_cast<std::uint64_t>(cap.count());
  if (rate == 0) return milliseconds{0};
  const std::uint64_t whole = bytes / mib;
  if (whole > limit / rate) return cap;  // whole × rate alone already passes the cap
  const std::uint64_t rest = bytes % mib;  // rest × rate < 2^20 × rate: fits while rate < 2^44 ms
  const std::uint64_t ms = whole * rate + (rest * rate + mib - 1) / mib;
  return milliseconds{static_cast<milliseconds::rep>(std::min(ms, limit))};
}

}  // namespace

std::optional<deadline_error> check(const deadline_settings& s) noexcept {
  const milliseconds zero{0};
  if (s.small_op <= zero || s.bulk_base <= zero || s.bulk_cap <= zero || s.max_deadline <= zero ||
      s.attempt_floor <= zero || s.bulk_per_mib < zero)
    return deadline_error::nonpositive;
  if (s.bulk_cap < s.bulk_base) return deadline_error::cap_below_base;
  if (s.max_deadline < s.small_op || s.max_deadline < s.bulk_cap) return deadline_error::max_below_defaults;
  if (s.attempt_floor > s.small_op) return deadline_error::floor_above_default;
  return std::nullopt;
}

milliseconds default_timeout(const deadline_settings& s, op_kind kind, std::uint64_t payload_bytes) noexcept {
  if (kind == op_kind::small) return s.small_op;
  const milliseconds room = s.bulk_cap - s.bulk_base;
  if (room <= milliseconds{0}) return s.bulk_cap;
  return s.bulk_base + scaled(s.bulk_per_mib, payload_bytes, room);
}

time_point request_deadline(const deadline_settings& s, time_point now, std::uint32_t client_ms, op_kind kind,
                            std::uint64_t payload_bytes) noexcept {
  const milliseconds wanted = client_ms != 0 ? milliseconds{client_ms} : default_timeout(s, kind, payload_bytes);
  return now + std::min(wanted, s.max_deadline);
}

bool may_start_attempt(const deadline_settings& s, time_point deadline, time_point now) noexcept {
  return deadline - now >= s.attempt_floor;
}

std::optional<duration> attempt_budget(const deadline_settings& s, time_point deadline, time_point now,
                                       std::size_t attempts_left) noexcept {
  if (!may_start_attempt(s, deadline, now)) return std::nullopt;
  const duration remaining = deadline - now;
  const auto k = static_cast<duration::rep>(std::max<std::size_t>(attempts_left, 1));
  const duration share = remaining / k;
  return std::clamp<duration>(share, s.attempt_floor, remaining);
}

}  // namespace ferry::router
