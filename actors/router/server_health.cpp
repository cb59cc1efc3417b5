// The health board: outcomes update a server's record, ejections are bounded by a cluster-wide limit,
// and re-admission happens the first time anyone looks after the period ended.
#include "actors/router/server_health.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <tuple>

namespace ferry::router {

namespace {

bool ejected_at(const server_health& h, time_point now) { return h.ejected_until && now < *h.ejected_until; }

}  // namespace

std::optional<health_error> check(const health_settings& s) noexcept {
  if (!(s.latency_weight > 0.0 && s.latency_weight <= 1.0)) return health_error::bad_latency_weight;
  if (s.eject_after_errors == 0) return health_error::zero_error_limit;
  if (!(s.outlier_factor > 1.0)) return health_error::bad_outlier_factor;
  if (s.base_ejection <= duration::zero() || s.max_ejection < s.base_ejection)
    return health_error::bad_ejection_period;
  if (!(s.max_ejected_fraction >= 0.0 && s.max_ejected_fraction <= 1.0)) return health_error::bad_fraction;
  return std::nullopt;
}

duration ejection_period(const health_settings& s, unsigned n) noexcept {
  duration period = s.base_ejection;
  for (unsigned i = 1; i < n; ++i) {
    if (period > s.max_ejection / 2) return s.max_ejection;  // doubling would pass the cap (or overflow)
    period *= 2;
  }
  return std::min(period, s.max_ejection);
}

latency median(std::vector<latency> values) {
  const auto mid = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
  std::nth_element(values.begin(), mid, values.end());
  if (values.size() % 2 == 1) return *mid;
  const latency upper = *mid;
  const latency lower = *std::max_element(values.begin(), mid);
  return (lower + upper) / 2.0;
}

health_board::health_board(health_settings settings) : settings_(settings) {
  if (check(settings_)) throw std::invalid_argument("health_board: incoherent health_settings");
}

void health_board::set_servers(std::span<const server_id> servers) {
  std::map<server_id, server_health> next;
  for (const auto& id : servers) {
    auto it = servers_.find(id);
    next.emplace(id, it != servers_.end() ? it->second : server_health{});
  }
  servers_ = std::move(next);
}

void health_board::settle(const server_id& id, server_health& h, time_point now,
                          std::vector<server_id>* readmitted) {
  if (!h.ejected_until || now < *h.ejected_until) return;
  // Fresh statistics: the old EWMA is what got the server ejected and would eject it again at once.
  h.latency_ewma = latency{0};
  h.samples = 0;
  h.consecutive_errors = 0;
  h.ejected_until.reset();
  h.admitted_at = now;
  if (readmitted) readmitted->push_back(id);
}

health_event health_board::try_eject(server_health& h, time_point now, health_event reason) {
  // The epsilon keeps 0.29 × 100 at 29 servers, not the 28.999… that doubles compute.
  const double share = settings_.max_ejected_fraction * static_cast<double>(servers_.size());
  const auto allowed = static_cast<std::size_t>(std::floor(share + 1e-9));
  if (ejected_count(now) >= allowed) return health_event::ejection_refused;
  if (h.admitted_at && now - *h.admitted_at >= settings_.forgive_after) h.ejections = 0;
  ++h.ejections;
  h.ejected_until = now + ejection_period(settings_, h.ejections);
  return reason;
}

bool health_board::is_outlier(const server_id& id, const server_health& h, time_point now) const {
  if (h.samples < settings_.outlier_min_samples || h.latency_ewma <= settings_.outlier_min_latency) return false;
  std::vector<latency> peers;
  for (const auto& [other, rec] : servers_)
    if (other != id && !ejected_at(rec, now) && rec.samples >= settings_.outlier_min_samples)
      peers.push_back(rec.latency_ewma);
  if (peers.empty()) return false;
  return h.latency_ewma > settings_.outlier_factor * median(std::move(peers));
}

health_event health_board::record_success(const server_id& server, latency took, time_point now) {
  auto it = servers_.find(server);
  if (it == servers_.end()) return health_event::none;
  server_health& h = it->second;
  settle(server, h, now, nullptr);
  h.consecutive_errors = 0;
  const double w = settings_.latency_weight;
  h.latency_ewma = h.samples == 0 ? took : w * took + (1.0 - w) * h.latency_ewma;
  ++h.samples;
  if (ejected_at(h, now) || !is_outlier(server, h, now)) return health_event::none;
  return try_eject(h, now, health_event::ejected_as_outlier);
}

health_event health_board::record_error(const server_id& server, time_point now) {
  auto it = servers_.find(server);
  if (it == servers_.end()) return health_event::none;
  server_health& h = it->second;
  settle(server, h, now, nullptr);
  ++h.consecutive_errors;
  if (ejected_at(h, now) || h.consecutive_errors < settings_.eject_after_errors) return health_event::none;
  return try_eject(h, now, health_event::ejected_for_errors);
}

std::vector<server_id> health_board::readmit_due(time_point now) {
  std::vector<server_id> readmitted;
  for (auto& [id, h] : servers_) settle(id, h, now, &readmitted);
  return readmitted;
}

bool health_board::is_ejected(const server_id& server, time_point now) const {
  const auto* h = find(server);
  return h && ejected_at(*h, now);
}

std::size_t health_board::ejected_count(time_point now) const {
  return static_cast<std::size_t>(
      std::count_if(servers_.begin(), servers_.end(), [&](const auto& entry) { return ejected_at(entry.second, now); }));
}

std::vector<server_id> health_board::read_order(std::span<const server_id> replicas, time_point now) const {
  // (tier, back-in-service time, EWMA): tier 0 healthy, 1 healthy with errors, 2 ejected.
  using rank = std::tuple<int, time_point, double>;
  auto rank_of = [&](const server_id& id) -> rank {
    const auto* h = find(id);
    if (!h) return {0, time_point{}, 0.0};
    if (ejected_at(*h, now)) return {2, *h->ejected_until, h->latency_ewma.count()};
    // A server whose ejection has run out is re-admitted with fresh statistics on its next update.
    if (h->ejected_until) return {0, time_point{}, 0.0};
    return {h->consecutive_errors > 0 ? 1 : 0, time_point{}, h->latency_ewma.count()};
  };
  std::vector<std::pair<rank, const server_id*>> ranked;
  ranked.reserve(replicas.size());
  for (const auto& id : replicas) ranked.emplace_back(rank_of(id), &id);
  std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<server_id> out;
  out.reserve(ranked.size());
  for (const auto& entry : ranked) out.push_back(*entry.second);
  return out;
}

const server_health* health_board::find(const server_id& server) const {
  auto it = servers_.find(server);
  return it == servers_.end() ? nullptr : &it->second;
}

}  // namespace ferry::router
