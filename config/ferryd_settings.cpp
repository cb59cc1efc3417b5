// ferryd's TOML keys, the coherence rules every source of settings goes through, and the loader that
// points each problem at the line of its key.
#include "config/ferryd_settings.hpp"

#include <arpa/inet.h>
#include <sys/un.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <map>

#include "actors/router/quorum.hpp"
#include "config/detail/toml_fields.hpp"
#include "config/nfs3_url.hpp"

namespace ferry::config {
namespace {

using std::to_string;

std::string ms(std::chrono::nanoseconds d) {
  return to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

std::string octal(std::uint32_t mode) {
  std::array<char, 16> text{};
  std::snprintf(text.data(), text.size(), "0%03o", static_cast<unsigned>(mode));
  return text.data();
}

std::string quoted(const std::string& s) { return "'" + s + "'"; }

settings_problem one(std::string key, std::string message) { return {std::move(key), std::move(message), {}, {}}; }

/// A rule between two keys, worded from both sides: "KEY: VALUE RELATION OTHER (OTHER_VALUE)".
settings_problem pair(const std::string& key, const std::string& value, const std::string& relation,
                      const std::string& other, const std::string& other_value, const std::string& inverse) {
  return {key, value + " " + relation + " " + other + " (" + other_value + ")", other,
          other_value + " " + inverse + " " + key + " (" + value + ")"};
}

/// An array of uids or gids: integers in 0..2^32-1 (duplicates allowed, they change nothing).
detail::field_setter id_list(std::vector<std::uint32_t>& out) {
  return [&out](const toml::node& n) -> std::string {
    const auto* array = n.as_array();
    if (array == nullptr) return "expected an array of integers";
    std::vector<std::uint32_t> values;
    for (const auto& element : *array) {
      auto v = element.value_exact<std::int64_t>();
      if (!v) return "expected an array of integers";
      if (*v < 0 || *v > 0xFFFFFFFFll) return "out of range: ids are 0..4294967295";
      values.push_back(static_cast<std::uint32_t>(*v));
    }
    out = std::move(values);
    return {};
  };
}

/// The key table of the file, each entry writing into `s`.
detail::field_map fields_of(ferryd_settings& s) {
  using detail::flag, detail::milliseconds, detail::number, detail::real, detail::text;
  constexpr auto exact = detail::typing::exact;  // `replicas = 2.0` and `stderr = 1` are mistakes here
  auto micros = [](router::latency& out) -> detail::field_setter {
    return [&out](const toml::node& n) -> std::string {
      double v = 0;
      auto err = real(v)(n);
      if (err.empty()) out = router::latency{v};
      return err;
    };
  };
  return {
      {"daemon.socket", text(s.daemon.socket)},
      {"daemon.socket_mode", detail::octal_mode(s.daemon.socket_mode)},
      {"daemon.socket_owner", text(s.daemon.socket_owner)},
      {"daemon.socket_group", text(s.daemon.socket_group)},
      {"daemon.listen_tcp", text(s.daemon.listen_tcp)},
      {"daemon.allow_uids", id_list(s.daemon.allow_uids)},
      {"daemon.allow_gids", id_list(s.daemon.allow_gids)},

      {"stores.servers", detail::text_list(s.stores.servers)},
      {"stores.replicas", number(s.stores.replicas, exact)},
      {"stores.write_quorum", number(s.stores.write_quorum, exact)},
      {"stores.connections", number(s.stores.connections, exact)},

      {"limits.max_sessions", number(s.limits.accept.max_sessions, exact)},
      {"limits.accept_rate", real(s.limits.accept.rate)},
      {"limits.accept_burst", number(s.limits.accept.burst, exact)},
      {"limits.session_max_inflight_calls", number(s.limits.session_max_inflight_calls, exact)},
      {"limits.session_max_inflight_bytes", number(s.limits.session_max_inflight_bytes, exact)},
      {"limits.memory_budget_bytes", number(s.limits.memory_budget_bytes, exact)},
      {"limits.max_record_bytes", number(s.limits.max_record_bytes, exact)},

      {"shm.enabled", flag(s.shm.enabled, exact)},
      {"shm.max_region_bytes", number(s.shm.max_region_bytes, exact)},
      {"shm.max_total_bytes", number(s.shm.max_total_bytes, exact)},
      {"shm.max_slots_in_flight", number(s.shm.max_slots_in_flight, exact)},

      {"deadlines.small_op_ms", milliseconds(s.deadlines.small_op, exact)},
      {"deadlines.bulk_base_ms", milliseconds(s.deadlines.bulk_base, exact)},
      {"deadlines.bulk_per_mib_ms", milliseconds(s.deadlines.bulk_per_mib, exact)},
      {"deadlines.bulk_cap_ms", milliseconds(s.deadlines.bulk_cap, exact)},
      {"deadlines.max_deadline_ms", milliseconds(s.deadlines.max_deadline, exact)},
      {"deadlines.attempt_floor_ms", milliseconds(s.deadlines.attempt_floor, exact)},

      {"health.latency_weight", real(s.health.latency_weight)},
      {"health.eject_after_errors", number(s.health.eject_after_errors, exact)},
      {"health.outlier_factor", real(s.health.outlier_factor)},
      {"health.outlier_min_samples", number(s.health.outlier_min_samples, exact)},
      {"health.outlier_min_latency_us", micros(s.health.outlier_min_latency)},
      {"health.base_ejection_ms", milliseconds(s.health.base_ejection, exact)},
      {"health.max_ejection_ms", milliseconds(s.health.max_ejection, exact)},
      {"health.forgive_after_ms", milliseconds(s.health.forgive_after, exact)},
      {"health.max_ejected_fraction", real(s.health.max_ejected_fraction)},

      {"runtime.scheduler", text(s.runtime.scheduler)},
      {"runtime.scheduler_threads", number(s.runtime.scheduler_threads, exact)},
      {"runtime.asio_threads", number(s.runtime.asio_threads, exact)},
      {"runtime.meters", flag(s.runtime.meters, exact)},

      {"log.level", text(s.log.level)},
      {"log.file", text(s.log.file)},
      {"log.stderr", flag(s.log.to_stderr, exact)},

      {"admin.port", number(s.admin.port, exact)},
      {"admin.bind", text(s.admin.bind)},
      {"admin.tls_cert", text(s.admin.tls_cert)},
      {"admin.tls_key", text(s.admin.tls_key)},
      {"admin.tls_ca", text(s.admin.tls_ca)},
      {"admin.metrics", text(s.admin.metrics)},
  };
}

bool valid_host_port(const std::string& text) {
  std::string host;
  std::uint16_t port = 0;
  return split_host_port(text, host, port);
}

bool is_loopback(const std::string& host) {
  if (host == "localhost") return true;
  std::array<unsigned char, 16> addr{};
  if (inet_pton(AF_INET, host.c_str(), addr.data()) == 1) return addr[0] == 127;
  const std::string bare = host.size() > 2 && host.front() == '[' && host.back() == ']'
                               ? host.substr(1, host.size() - 2)
                               : host;
  if (inet_pton(AF_INET6, bare.c_str(), addr.data()) == 1) {
    const std::array<unsigned char, 16> one{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    return addr == one;
  }
  return false;
}

std::optional<settings_problem> check_daemon(const daemon_settings& d) {
  constexpr std::size_t max_path = sizeof(sockaddr_un::sun_path) - 1;
  if (d.socket.empty()) return one("daemon.socket", "must not be empty");
  if (d.socket.size() > max_path)
    return one("daemon.socket", "is " + to_string(d.socket.size()) + " bytes long; a UNIX socket path holds " +
                                    to_string(max_path));
  if (d.socket_mode > 0777)
    return one("daemon.socket_mode", octal(d.socket_mode) + " is beyond 0777: permission bits only");
  if (!d.listen_tcp.empty() && !valid_host_port(d.listen_tcp))
    return one("daemon.listen_tcp", "expected HOST:PORT, got " + quoted(d.listen_tcp));
  return std::nullopt;
}

std::optional<settings_problem> check_stores(const stores_settings& st) {
  std::map<std::string, std::size_t> seen;
  for (std::size_t i = 0; i < st.servers.size(); ++i) {
    const std::string key = "stores.servers[" + to_string(i) + "]";
    if (is_nfs3_url(st.servers[i])) {
      auto url = parse_nfs3_url(st.servers[i]);
      if (auto* why = std::get_if<std::string>(&url)) return one(key, *why);
    } else if (!valid_host_port(st.servers[i])) {
      return one(key, "expected HOST:PORT, got " + quoted(st.servers[i]));
    }
    auto [it, fresh] = seen.emplace(st.servers[i], i);
    if (!fresh)
      return one(key, quoted(st.servers[i]) + " is listed twice (also stores.servers[" + to_string(it->second) +
                          "])");
  }
  if (auto e = router::check(router::quorum_size{st.replicas, st.write_quorum})) {
    switch (*e) {
      case router::quorum_error::no_replicas:
        return one("stores.replicas", "must be at least 1");
      case router::quorum_error::zero_quorum:
        return one("stores.write_quorum", "must be at least 1");
      case router::quorum_error::quorum_above_replicas:
        return pair("stores.write_quorum", to_string(st.write_quorum), "is above", "stores.replicas",
                    to_string(st.replicas), "is below");
    }
  }
  if (st.connections < 1 || st.connections > 64) return one("stores.connections", "must be in 1..64");
  return std::nullopt;
}

std::optional<settings_problem> check_limits(const limits_settings& l) {
  if (auto e = listener::check(l.accept)) {
    switch (*e) {
      case listener::accept_limits_error::bad_rate:
        return one("limits.accept_rate", "must be in 0.001..1000000 (connections per second)");
      case listener::accept_limits_error::bad_burst:
        return one("limits.accept_burst", "must be in 1..1000000");
      case listener::accept_limits_error::zero_sessions:
        return one("limits.max_sessions", "must be at least 1");
    }
  }
  if (l.session_max_inflight_calls < 1) return one("limits.session_max_inflight_calls", "must be at least 1");
  if (l.max_record_bytes < 4096 || l.max_record_bytes > (1u << 30))
    return one("limits.max_record_bytes", "must be in 4096..1073741824");
  if (l.session_max_inflight_bytes < l.max_record_bytes)
    return pair("limits.session_max_inflight_bytes", to_string(l.session_max_inflight_bytes), "is below",
                "limits.max_record_bytes", to_string(l.max_record_bytes), "is above");
  if (l.memory_budget_bytes < l.session_max_inflight_bytes)
    return pair("limits.memory_budget_bytes", to_string(l.memory_budget_bytes), "is below",
                "limits.session_max_inflight_bytes", to_string(l.session_max_inflight_bytes), "is above");
  return std::nullopt;
}

std::optional<settings_problem> check_shm(const session::shm::shm_limits& m) {
  if (m.max_region_bytes < 4096 || m.max_region_bytes > (1ull << 40))
    return one("shm.max_region_bytes", "must be in 4096..1099511627776");
  if (m.max_total_bytes < m.max_region_bytes)
    return pair("shm.max_total_bytes", to_string(m.max_total_bytes), "is below", "shm.max_region_bytes",
                to_string(m.max_region_bytes), "is above");
  if (m.max_slots_in_flight < 1 || m.max_slots_in_flight > 65536)
    return one("shm.max_slots_in_flight", "must be in 1..65536");
  return std::nullopt;
}

std::optional<settings_problem> check_deadlines(const router::deadline_settings& d) {
  auto e = router::check(d);
  if (!e) return std::nullopt;
  switch (*e) {
    case router::deadline_error::nonpositive: {
      const std::pair<const char*, std::chrono::milliseconds> positive[] = {
          {"deadlines.small_op_ms", d.small_op},         {"deadlines.bulk_base_ms", d.bulk_base},
          {"deadlines.bulk_cap_ms", d.bulk_cap},         {"deadlines.max_deadline_ms", d.max_deadline},
          {"deadlines.attempt_floor_ms", d.attempt_floor}};
      for (const auto& [key, value] : positive)
        if (value.count() <= 0) return one(key, "must be positive");
      return one("deadlines.bulk_per_mib_ms", "must not be negative");
    }
    case router::deadline_error::cap_below_base:
      return pair("deadlines.bulk_cap_ms", ms(d.bulk_cap), "is below", "deadlines.bulk_base_ms", ms(d.bulk_base),
                  "is above");
    case router::deadline_error::max_below_defaults:
      if (d.max_deadline < d.small_op)
        return pair("deadlines.max_deadline_ms", ms(d.max_deadline), "is below", "deadlines.small_op_ms",
                    ms(d.small_op), "is above");
      return pair("deadlines.max_deadline_ms", ms(d.max_deadline), "is below", "deadlines.bulk_cap_ms",
                  ms(d.bulk_cap), "is above");
    case router::deadline_error::floor_above_default:
      return pair("deadlines.attempt_floor_ms", ms(d.attempt_floor), "is above", "deadlines.small_op_ms",
                  ms(d.small_op), "is below");
  }
  return std::nullopt;
}

std::optional<settings_problem> check_health(const router::health_settings& h) {
  auto e = router::check(h);
  if (!e) return std::nullopt;
  switch (*e) {
    case router::health_error::bad_latency_weight:
      return one("health.latency_weight", "must be in (0, 1]");
    case router::health_error::zero_error_limit:
      return one("health.eject_after_errors", "must be at least 1");
    case router::health_error::bad_outlier_factor:
      return one("health.outlier_factor", "must be above 1");
    case router::health_error::bad_ejection_period:
      if (h.base_ejection <= router::duration::zero()) return one("health.base_ejection_ms", "must be positive");
      return pair("health.max_ejection_ms", ms(h.max_ejection), "is below", "health.base_ejection_ms",
                  ms(h.base_ejection), "is above");
    case router::health_error::bad_fraction:
      return one("health.max_ejected_fraction", "must be in [0, 1]");
  }
  return std::nullopt;
}

std::optional<settings_problem> check_runtime(const runtime_settings& r) {
  if (r.scheduler != "sharing" && r.scheduler != "stealing")
    return one("runtime.scheduler", "expected \"sharing\" or \"stealing\", got " + quoted(r.scheduler));
  if (r.scheduler_threads > 256) return one("runtime.scheduler_threads", "must be in 0..256 (0: one a core)");
  if (r.asio_threads < 1 || r.asio_threads > 256) return one("runtime.asio_threads", "must be in 1..256");
  return std::nullopt;
}

std::optional<settings_problem> check_log(const log_settings& l) {
  static const std::array<std::string_view, 7> levels = {"trace", "debug", "info",    "warn",
                                                          "error", "critical", "off"};
  if (std::find(levels.begin(), levels.end(), l.level) == levels.end())
    return one("log.level",
               "expected one of trace, debug, info, warn, error, critical, off; got " + quoted(l.level));
  if (!l.to_stderr && l.file.empty() && l.level != "off")
    return settings_problem{"log.stderr",
                            "false with no log.file sends the event log nowhere (level \"off\" says so)",
                            "log.file", "empty with log.stderr false sends the event log nowhere"};
  return std::nullopt;
}

std::optional<settings_problem> check_admin(const admin_settings& a) {
  if (a.bind.empty()) return one("admin.bind", "must not be empty");
  if (!a.metrics.empty() && !valid_host_port(a.metrics))
    return one("admin.metrics", "expected HOST:PORT, got " + quoted(a.metrics));
  if (!a.tls_cert.empty() && a.tls_key.empty()) return one("admin.tls_cert", "set without admin.tls_key");
  if (a.tls_cert.empty() && !a.tls_key.empty()) return one("admin.tls_key", "set without admin.tls_cert");
  const bool tls = !a.tls_cert.empty();
  if (!a.tls_ca.empty() && !tls) return one("admin.tls_ca", "set without admin.tls_cert and admin.tls_key");
  if ((a.port != 0 || a.publish) && !tls && !is_loopback(a.bind))
    return settings_problem{
        "admin.bind", quoted(a.bind) + " is off loopback: set admin.tls_cert and admin.tls_key", "admin.port",
        "publishes on " + quoted(a.bind) + ", off loopback: set admin.tls_cert and admin.tls_key"};
  return std::nullopt;
}

/// The problem as "path:line: key: message", at the line of whichever of its keys the file sets.
settings_error blame(const std::string& path, const toml::table& table, const settings_problem& p) {
  if (auto n = table.at_path(p.key); n.node() != nullptr)
    return settings_error{detail::where(path, *n.node(), p.key) + p.message};
  if (!p.other_key.empty())
    if (auto n = table.at_path(p.other_key); n.node() != nullptr)
      return settings_error{detail::where(path, *n.node(), p.other_key) + p.other_message};
  return settings_error{path + ": " + describe(p)};
}

}  // namespace

bool operator==(const router::deadline_settings& a, const router::deadline_settings& b) noexcept {
  return a.small_op == b.small_op && a.bulk_base == b.bulk_base && a.bulk_per_mib == b.bulk_per_mib &&
         a.bulk_cap == b.bulk_cap && a.max_deadline == b.max_deadline && a.attempt_floor == b.attempt_floor;
}

bool operator==(const router::health_settings& a, const router::health_settings& b) noexcept {
  return a.latency_weight == b.latency_weight && a.eject_after_errors == b.eject_after_errors &&
         a.outlier_factor == b.outlier_factor && a.outlier_min_samples == b.outlier_min_samples &&
         a.outlier_min_latency == b.outlier_min_latency && a.base_ejection == b.base_ejection &&
         a.max_ejection == b.max_ejection && a.forgive_after == b.forgive_after &&
         a.max_ejected_fraction == b.max_ejected_fraction;
}

std::optional<settings_problem> check(const ferryd_settings& s) {
  if (auto p = check_daemon(s.daemon)) return p;
  if (auto p = check_stores(s.stores)) return p;
  if (auto p = check_limits(s.limits)) return p;
  if (auto p = check_shm(s.shm)) return p;
  if (auto p = check_deadlines(s.deadlines)) return p;
  if (auto p = check_health(s.health)) return p;
  if (auto p = check_runtime(s.runtime)) return p;
  if (auto p = check_log(s.log)) return p;
  return check_admin(s.admin);
}

std::vector<std::string> ferryd_setting_keys() {
  ferryd_settings scratch;
  std::vector<std::string> keys;
  for (const auto& field : fields_of(scratch)) keys.push_back(field.first);
  return keys;
}

std::string describe(const settings_problem& p) { return p.key + ": " + p.message; }

std::variant<ferryd_settings, settings_error> load_ferryd_settings(const std::string& path, ferryd_settings s) {
  auto parsed = detail::parse_toml_file(path);
  if (auto* err = std::get_if<settings_error>(&parsed)) return *err;
  const auto& table = std::get<toml::table>(parsed);
  if (auto err = detail::apply_fields(path, table, fields_of(s))) return *err;
  if (auto p = check(s)) return blame(path, table, *p);
  return s;
}

}  // namespace ferry::config
