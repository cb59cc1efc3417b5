// Whether a listener takes one more connection: a token bucket on the accept rate and a cap on open
// sessions, so over-limit clients are answered OVERLOADED with the reason before the socket closes.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace ferry::listener {

/// Monotonic time, passed in by the caller: the policy never reads a clock (tests drive it by hand).
using clock = std::chrono::steady_clock;
using time_point = clock::time_point;

/// Every default in one place; config/ fills this from ferryd's [limits] table.
struct accept_limits {
  double rate = 1000.0;              // tokens refilled per second; granularity 0.001/s (rounded to it)
  std::uint32_t burst = 1000;        // bucket size: accepts allowed back to back after a quiet spell
  std::uint64_t max_sessions = 4096; // open sessions beyond which new connections are refused

  friend bool operator==(const accept_limits&, const accept_limits&) = default;
};

inline constexpr double min_rate = 0.001;
inline constexpr double max_rate = 1e6;
inline constexpr std::uint32_t max_burst = 1'000'000;

enum class accept_limits_error {
  bad_rate,       // rate not in [min_rate, max_rate] (or not a number)
  bad_burst,      // burst not in [1, max_burst]
  zero_sessions,  // max_sessions = 0 would refuse everyone: stop the listener instead
};

/// Empty when the limits are usable.
std::optional<accept_limits_error> check(const accept_limits& limits) noexcept;

enum class admission {
  admitted,          // spawn the session
  refused_rate,      // OVERLOADED: connections arrive faster than the configured rate
  refused_sessions,  // OVERLOADED: max_sessions are open
};

/// One listener's admission state. Tokens are counted exactly in integers (1 token = 10^12 units, refilled
/// at rate × 1000 units per nanosecond), so the k-th token after a drain is back at exactly k / rate
/// seconds, with no drift however long the listener runs.
class accept_policy {
 public:
  /// Starts with a full bucket. `limits` must pass check(); an invalid one is a programmer error
  /// (std::invalid_argument).
  accept_policy(accept_limits limits, time_point now);

  /// Decides on one accepted connection while `open_sessions` sessions are open. The session cap is
  /// looked at first and a refusal for it spends no token: a full daemon says so (the client should go
  /// elsewhere or wait for sessions to end) and its rate budget is intact when a session closes. Only an
  /// admission spends a token. Time going backwards is read as no time passing.
  admission admit(time_point now, std::uint64_t open_sessions);

  /// Applies reloaded limits without resetting the bucket either way: the time up to `now` is first
  /// credited at the old rate, then the tokens held are kept, cut down to the new burst if it is smaller;
  /// a larger burst fills at the new rate, not at once (a reload never opens the floodgates, nor punishes
  /// clients by emptying the bucket). A lower max_sessions refuses new connections only; open sessions
  /// are the listener's to keep. `limits` must pass check() (std::invalid_argument otherwise).
  void reconfigure(accept_limits limits, time_point now);

  /// Whole tokens available at `now` (no state change).
  std::uint64_t tokens(time_point now) const noexcept;

  /// How long after `now` the next token is available (zero when one is): a retry hint for OVERLOADED.
  std::chrono::nanoseconds next_token_in(time_point now) const noexcept;

  const accept_limits& limits() const noexcept { return limits_; }

 private:
  /// Units in the bucket at `now` (at most capacity).
  std::uint64_t level_at(time_point now) const noexcept;
  void refill(time_point now) noexcept;

  accept_limits limits_;
  std::uint64_t refill_per_ns_ = 0;  // units per nanosecond: rate in milli-tokens per second
  std::uint64_t capacity_ = 0;       // burst in units
  std::uint64_t level_ = 0;          // units held as of last_
  time_point last_;
};

}  // namespace ferry::listener
