// How a request's deadline is set and spent: per-operation defaults when the client gives none, and the
// share of what is left that one attempt (one replica, one retry) may use before the router moves on.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "actors/router/vocabulary.hpp"

namespace ferry::router {

using std::chrono::milliseconds;

/// Every default in one place; config/ fills this from ferryd's [deadlines] table.
struct deadline_settings {
  milliseconds small_op{2000};        // PUT/GET/DELETE/STAT/LIST/WRITE_OPEN/COMMIT without a client deadline
  milliseconds bulk_base{2000};       // a bulk chunk's default: this fixed part ...
  milliseconds bulk_per_mib{250};     // ... plus this per MiB of payload (about 4 MiB/s worst case) ...
  milliseconds bulk_cap{60000};       // ... never more than this
  milliseconds max_deadline{600000};  // any deadline, the client's included, is cut to this so state is freed
  milliseconds attempt_floor{10};     // an attempt offered less than this is not started: it could not finish
};

enum class deadline_error {
  nonpositive,          // a duration is zero or negative (bulk_per_mib may be zero)
  cap_below_base,       // bulk_cap < bulk_base
  max_below_defaults,   // max_deadline < small_op or < bulk_cap: a default would be cut
  floor_above_default,  // attempt_floor > small_op: no small op would ever start
};

/// Empty when the settings are coherent.
std::optional<deadline_error> check(const deadline_settings& s) noexcept;

enum class op_kind {
  small,       // one round trip with a small body
  bulk_chunk,  // WRITE_CHUNK / READ: scaled by payload size
};

/// The timeout an operation gets when the client sends deadline 0.
milliseconds default_timeout(const deadline_settings& s, op_kind kind, std::uint64_t payload_bytes) noexcept;

/// The absolute deadline of a request arriving at `now`: the client's relative milliseconds when
/// non-zero, the per-operation default otherwise, either one capped at max_deadline.
time_point request_deadline(const deadline_settings& s, time_point now, std::uint32_t client_ms, op_kind kind,
                            std::uint64_t payload_bytes) noexcept;

/// True while enough time is left for one more attempt to be worth starting.
bool may_start_attempt(const deadline_settings& s, time_point deadline, time_point now) noexcept;

/// How long the next attempt may take when `attempts_left` attempts (this one included) may still be
/// needed: an equal share of the remaining time, at least attempt_floor, never past the deadline. Empty
/// when the attempt should not start. attempts_left 0 is read as 1: the last attempt gets all of it.
std::optional<duration> attempt_budget(const deadline_settings& s, time_point deadline, time_point now,
                                       std::size_t attempts_left) noexcept;

}  // namespace ferry::router
