#include "daemon/metrics.hpp"

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>

#include <fmt/format.h>

#include "actors/admin/admin_actor.hpp"
#include "actors/metering/prometheus.hpp"

namespace ferry::daemon {

std::string render_metrics(caf::actor_system& sys, runtime& rt) {
  std::string out = metering::render_prometheus(rt.meters().snapshot());
  caf::scoped_actor self{sys};
  const auto& ctx = *rt.admin;
  auto st = admin::gather_status(self.ptr(), ctx);
  auto gauge = [&](const char* name, const char* help, std::uint64_t v) {
    metering::append_family_header(out, name, "gauge", help);
    out += fmt::format("{} {}\n", name, v);
  };
  auto counter = [&](const char* name, const char* help, std::uint64_t v) {
    metering::append_family_header(out, name, "counter", help);
    out += fmt::format("{} {}\n", name, v);
  };
  gauge("ferry_sessions", "open client sessions", st.sessions);
  gauge("ferry_calls_in_flight", "client calls taken and not yet answered on their socket", st.calls_in_flight);
  gauge("ferry_memory_budget_used_bytes", "request bytes held against the daemon-wide budget", st.memory_budget_used);
  gauge("ferry_memory_budget_limit_bytes", "the daemon-wide memory budget", st.memory_budget_limit);
  gauge("ferry_shm_regions", "client shared-memory regions mapped", st.shm_regions);
  gauge("ferry_shm_mapped_bytes", "size of the client shared-memory regions mapped", st.shm_mapped_bytes);
  counter("ferry_shm_calls_total", "slot calls taken on the shared-memory path", st.shm_calls);
  counter("ferry_shm_bytes_total", "payload bytes moved through shared-memory slots", st.shm_bytes);
  counter("ferry_shm_download_bytes_in_place_total", "download bytes received straight into shared-memory slots",
          st.shm_bytes_in_place);
  counter("ferry_shm_download_bytes_copied_total", "download bytes ferryd copied into shared-memory slots",
          st.shm_bytes_copied);
  gauge("ferry_draining", "1 while ferryd drains before exiting", st.draining ? 1 : 0);
  gauge("ferry_uptime_seconds", "seconds since ferryd started", st.uptime_ms / 1000);
  counter("ferry_router_requests_total", "requests the router took", st.requests);
  counter("ferry_router_timeouts_total", "requests the router answered TIMEDOUT", st.timeouts);
  gauge("ferry_router_open_uploads", "chunked uploads open", st.open_uploads);
  counter("ferry_router_read_repairs_total", "repair writes sent to replicas a read found behind the newest version",
          st.read_repairs);
  counter("ferry_router_degraded_reads_total", "reads answered with fewer replica versions than R - W + 1",
          st.degraded_reads);

  auto servers = admin::gather_servers(self.ptr(), ctx);
  auto per_server = [&](const char* name, const char* type, const char* help, auto value) {
    metering::append_family_header(out, name, type, help);
    for (const auto& s : servers.servers) out += fmt::format("{}{{server=\"{}\"}} {}\n", name, metering::escape_label_value(s.server), value(s));
  };
  using row = admin::server_row;
  per_server("ferry_server_up", "gauge", "1 when at least one connection is up and the server is not ejected",
             [](const row& s) { return s.state == "up" ? 1 : 0; });
  per_server("ferry_server_ejected", "gauge", "1 while the router ejects the server", [](const row& s) { return s.state == "ejected" ? 1 : 0; });
  per_server("ferry_server_connections_up", "gauge", "connections up", [](const row& s) { return s.connections_up; });
  per_server("ferry_server_in_flight", "gauge", "calls sent and not yet answered", [](const row& s) { return s.in_flight; });
  per_server("ferry_server_calls_total", "counter", "calls answered (replies and errors)", [](const row& s) { return s.calls; });
  per_server("ferry_server_errors_total", "counter", "calls failed: unavailable, timed out, overloaded, protocol errors",
             [](const row& s) { return s.errors; });
  per_server("ferry_server_reconnects_total", "counter", "connections opened again after the first",
             [](const row& s) { return s.reconnects; });
  per_server("ferry_server_write_stalls_total", "counter",
             "connections closed because the server took none of a call's bytes within its timeout",
             [](const row& s) { return s.write_stalls; });
  per_server("ferry_server_ejections_total", "counter", "times the router ejected the server", [](const row& s) { return s.ejections; });
  metering::append_family_header(out, "ferry_server_latency_seconds", "summary", "call latency, sent to reply, at the bucket's upper bound (<= 12.5 % above)");
  for (const auto& s : servers.servers) {
    const auto srv = metering::escape_label_value(s.server);
    const std::pair<const char*, std::uint64_t> qs[] = {{"0.5", s.p50_us}, {"0.9", s.p90_us}, {"0.99", s.p99_us}, {"0.999", s.p999_us}};
    for (const auto& [q, us] : qs)
      out += fmt::format("ferry_server_latency_seconds{{server=\"{}\",quantile=\"{}\"}} {:.6f}\n", srv, q, static_cast<double>(us) / 1e6);
    out += fmt::format("ferry_server_latency_seconds_sum{{server=\"{}\"}} {:.6f}\n", srv, static_cast<double>(s.latency_sum_us) / 1e6);
    out += fmt::format("ferry_server_latency_seconds_count{{server=\"{}\"}} {}\n", srv, s.latency_count);
  }
  return out;
}

}  // namespace ferry::daemon
