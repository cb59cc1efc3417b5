// Per data server health as the router sees it: latency EWMA, consecutive errors, and ejection with
// re-admission, so reads go to the healthiest replica and a sick or slow server is left alone a while.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "actors/router/vocabulary.hpp"

namespace ferry::router {

using latency = std::chrono::duration<double, std::micro>;

/// Every default in one place; config/ fills this from ferryd's [health] table.
struct health_settings {
  double latency_weight = 0.2;                    // EWMA weight of the newest sample, in (0, 1]
  unsigned eject_after_errors = 5;                // this many consecutive errors eject a server
  double outlier_factor = 3.0;                    // EWMA above factor × median of the peers' is an outlier
  std::uint64_t outlier_min_samples = 20;         // samples a server, and each peer in the median, needs
  latency outlier_min_latency{1000};              // below 1 ms nobody is an outlier: 3 × 40 µs is noise
  duration base_ejection = std::chrono::seconds{10};   // first ejection; doubles on each repeated one
  duration max_ejection = std::chrono::seconds{300};   // the doubling stops here
  duration forgive_after = std::chrono::seconds{300};  // healthy this long since re-admission: back to base
  double max_ejected_fraction = 0.5;              // at most floor(fraction × servers) ejected at once
};

enum class health_error {
  bad_latency_weight,  // not in (0, 1]
  zero_error_limit,    // eject_after_errors = 0 would eject on success
  bad_outlier_factor,  // not above 1
  bad_ejection_period, // base_ejection <= 0 or max_ejection < base_ejection
  bad_fraction,        // max_ejected_fraction not in [0, 1]
};

/// Empty when the settings are coherent.
std::optional<health_error> check(const health_settings& s) noexcept;

/// One server's record. Plain data: the board below updates it.
struct server_health {
  latency latency_ewma{0};
  std::uint64_t samples = 0;            // latency samples since admission
  unsigned consecutive_errors = 0;
  std::optional<time_point> ejected_until;  // set while ejected (or until re-admission is noticed)
  unsigned ejections = 0;               // repeated ejections not yet forgiven: sets the next period
  std::optional<time_point> admitted_at;    // last re-admission, for forgiveness
};

/// What a recorded outcome did to its server, for the event log.
enum class health_event {
  none,
  ejected_for_errors,
  ejected_as_outlier,
  ejection_refused,  // would have been ejected, but too many servers already are
};

/// The period of the n-th repeated ejection (n >= 1): base × 2^(n-1), capped at max_ejection.
duration ejection_period(const health_settings& s, unsigned n) noexcept;

/// The median of a non-empty set of latencies (mean of the middle two for an even count).
latency median(std::vector<latency> values);

/// The health of every configured server. Deterministic: time only enters through `now`.
class health_board {
 public:
  /// `settings` must pass check(); an invalid one is a programmer error (std::invalid_argument).
  explicit health_board(health_settings settings = {});

  /// Replaces the server set (start, reload): known servers keep their record, new ones start healthy,
  /// removed ones are forgotten.
  void set_servers(std::span<const server_id> servers);

  health_event record_success(const server_id& server, latency took, time_point now);
  health_event record_error(const server_id& server, time_point now);

  /// Servers whose ejection is over, re-admitted now with fresh statistics. Other calls re-admit lazily
  /// too; this one exists so the router can log each re-admission once.
  std::vector<server_id> readmit_due(time_point now);

  bool is_ejected(const server_id& server, time_point now) const;
  std::size_t ejected_count(time_point now) const;

  /// The replicas in the order to try a read: healthy servers without recent errors first, then healthy
  /// ones with errors, then ejected ones (soonest back first); within a tier by latency EWMA (a server
  /// with no sample counts as fastest, so it gets measured), ties in the given (placement) order.
  std::vector<server_id> read_order(std::span<const server_id> replicas, time_point now) const;

  /// Unknown servers (removed by a reload while a reply was in flight) have no record.
  const server_health* find(const server_id& server) const;

 private:
  void settle(const server_id& id, server_health& h, time_point now, std::vector<server_id>* readmitted);
  health_event try_eject(server_health& h, time_point now, health_event reason);
  bool is_outlier(const server_id& id, const server_health& h, time_point now) const;

  health_settings settings_;
  std::map<server_id, server_health> servers_;
};

}  // namespace ferry::router
