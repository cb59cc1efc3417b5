// Token bucket and session cap for accepted connections, in exact integer units.
#include "actors/listener/accept_policy.hpp"

#include <cmath>
#include <stdexcept>

namespace ferry::listener {
namespace {

constexpr std::uint64_t units_per_token = 1'000'000'000'000;  // ns × milli-tokens/s: 10^-12 token a unit

void require_valid(const accept_limits& limits) {
  if (check(limits)) throw std::invalid_argument("accept_policy: invalid accept_limits");
}

}  // namespace

std::optional<accept_limits_error> check(const accept_limits& limits) noexcept {
  if (!(limits.rate >= min_rate && limits.rate <= max_rate)) return accept_limits_error::bad_rate;
  if (limits.burst < 1 || limits.burst > max_burst) return accept_limits_error::bad_burst;
  if (limits.max_sessions == 0) return accept_limits_error::zero_sessions;
  return std::nullopt;
}

accept_policy::accept_policy(accept_limits limits, time_point now) : last_(now) {
  reconfigure(limits, now);
  level_ = capacity_;
}

admission accept_policy::admit(time_point now, std::uint64_t open_sessions) {
  refill(now);
  if (open_sessions >= limits_.max_sessions) return admission::refused_sessions;
  if (level_ < units_per_token) return admission::refused_rate;
  level_ -= units_per_token;
  return admission::admitted;
}

void accept_policy::reconfigure(accept_limits limits, time_point now) {
  require_valid(limits);
  refill(now);  // the time so far earned tokens at the old rate (nothing on the first call: capacity_ 0)
  limits_ = limits;
  refill_per_ns_ = static_cast<std::uint64_t>(std::llround(limits.rate * 1000.0));
  capacity_ = limits.burst * units_per_token;
  if (level_ > capacity_) level_ = capacity_;
}

std::uint64_t accept_policy::tokens(time_point now) const noexcept { return level_at(now) / units_per_token; }

std::chrono::nanoseconds accept_policy::next_token_in(time_point now) const noexcept {
  const std::uint64_t level = level_at(now);
  if (level >= units_per_token) return std::chrono::nanoseconds{0};
  const std::uint64_t missing = units_per_token - level;
  return std::chrono::nanoseconds{
      static_cast<std::int64_t>((missing + refill_per_ns_ - 1) / refill_per_ns_)};
}

std::uint64_t accept_policy::level_at(time_point now) const noexcept {
  const std::int64_t elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(now - last_).count();
  if (elapsed <= 0 || level_ >= capacity_) return level_;
  const std::uint64_t room = capacity_ - level_;
  const std::uint64_t to_fill_ns = (room + refill_per_ns_ - 1) / refill_per_ns_;
  const auto dt = static_cast<std::uint64_t>(elapsed);
  if (dt >= to_fill_ns) return capacity_;
  return level_ + dt * refill_per_ns_;  // dt < room / rate + 1: no overflow below capacity + rate
}

void accept_policy::refill(time_point now) noexcept {
  if (now <= last_) return;
  level_ = level_at(now);
  last_ = now;
}

}  // namespace ferry::listener
