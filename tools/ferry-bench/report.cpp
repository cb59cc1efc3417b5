// Text, CSV and JSON renderings of one run.
#include "report.hpp"

#include <fmt/format.h>

namespace ferry::bench {
namespace {

std::string protocol_name(wire_protocol p) { return p == wire_protocol::client ? "client" : "store"; }
std::string mode_name(loop_mode m) { return m == loop_mode::closed ? "closed" : "open"; }

std::string json_escape(std::string_view s) {
  std::string out;
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    if (static_cast<unsigned char>(ch) < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(ch));
      continue;
    }
    out += ch;
  }
  return out;
}

// "NAME:COUNT;NAME:COUNT" with characters that would break CSV or key=value parsing replaced.
std::string errors_compact(const load_result& r) {
  std::string out;
  for (const auto& [name, count] : r.errors) {
    std::string clean = name;
    for (char& ch : clean)
      if (ch == ',' || ch == ';' || ch == ' ' || ch == '"' || ch == '=') ch = '_';
    out += fmt::format("{}{}:{}", out.empty() ? "" : ";", clean, count);
  }
  return out.empty() ? "none" : out;
}

double per_op_us(double seconds, std::uint64_t ops) { return ops == 0 ? 0 : seconds * 1e6 / static_cast<double>(ops); }

std::string pid_cpu_compact(const load_result& r, std::uint64_t ops) {
  std::string out;
  for (const auto& [pid, cpu] : r.pid_cpu_seconds)
    out += fmt::format("{}{}:{}", out.empty() ? "" : ";", pid, cpu ? fmt::format("{:.2f}", per_op_us(*cpu, ops)) : "na");
  return out.empty() ? "none" : out;
}

}  // namespace

std::string describe_sizes(const value_sizes& s) {
  if (s.choices().size() == 1) return std::to_string(s.choices().front().bytes);
  std::string out;
  for (const auto& c : s.choices()) out += fmt::format("{}{}:{}", out.empty() ? "" : ";", c.bytes, c.weight);
  return out;
}

summary summarize(const load_result& r) {
  summary s;
  s.ops = r.ok;
  s.errors = r.error_count();
  s.seconds = r.elapsed_seconds;
  const auto done = r.latency.count();
  s.ops_per_s = s.seconds > 0 ? static_cast<double>(r.ok) / s.seconds : 0;
  s.bytes_per_s = s.seconds > 0 ? static_cast<double>(r.bytes) / s.seconds : 0;
  auto us = [](std::uint64_t ns) { return static_cast<double>(ns) / 1000.0; };
  s.p50_us = us(r.latency.quantile(0.50));
  s.p90_us = us(r.latency.quantile(0.90));
  s.p99_us = us(r.latency.quantile(0.99));
  s.p999_us = us(r.latency.quantile(0.999));
  s.max_us = us(r.latency.max());
  s.client_cpu_us_per_op = per_op_us(r.client_cpu_seconds, done);
  return s;
}

std::string format_report(const options& o, const load_result& r, output_format f) {
  const auto s = summarize(r);
  const auto done = r.latency.count();
  const auto sizes = describe_sizes(o.sizes);
  switch (f) {
    case output_format::text: {
      std::string out = fmt::format(
          "target={} protocol={} mode={} c={} d={} rate={:.0f} get_ratio={:.2f} value_size={} ops={} errors={} "
          "seconds={:.3f} ops_per_s={:.0f} bytes_per_s={:.0f} p50_us={:.1f} p90_us={:.1f} p99_us={:.1f} "
          "p999_us={:.1f} max_us={:.1f} client_cpu_us_per_op={:.2f} pid_cpu_us_per_op={}\n",
          o.where.text, protocol_name(o.protocol), mode_name(o.mode), o.connections, o.depth,
          o.mode == loop_mode::open ? o.rate : 0.0, o.get_ratio, sizes, s.ops, s.errors, s.seconds, s.ops_per_s,
          s.bytes_per_s, s.p50_us, s.p90_us, s.p99_us, s.p999_us, s.max_us, s.client_cpu_us_per_op,
          pid_cpu_compact(r, done));
      for (const auto& [name, count] : r.errors) out += fmt::format("error status=\"{}\" count={}\n", name, count);
      return out;
    }
    case output_format::csv:
      return fmt::format(
          "target,protocol,mode,connections,depth,rate,get_ratio,value_size,ops,errors,seconds,ops_per_s,"
          "bytes_per_s,p50_us,p90_us,p99_us,p999_us,max_us,client_cpu_us_per_op,pid_cpu_us_per_op,"
          "errors_by_status\n"
          "{},{},{},{},{},{:.0f},{:.2f},{},{},{},{:.3f},{:.0f},{:.0f},{:.1f},{:.1f},{:.1f},{:.1f},{:.1f},{:.2f},{},{}\n",
          o.where.text, protocol_name(o.protocol), mode_name(o.mode), o.connections, o.depth,
          o.mode == loop_mode::open ? o.rate : 0.0, o.get_ratio, sizes, s.ops, s.errors, s.seconds, s.ops_per_s,
          s.bytes_per_s, s.p50_us, s.p90_us, s.p99_us, s.p999_us, s.max_us, s.client_cpu_us_per_op,
          pid_cpu_compact(r, done), errors_compact(r));
    case output_format::json: {
      std::string errors, pids;
      for (const auto& [name, count] : r.errors)
        errors += fmt::format("{}\"{}\": {}", errors.empty() ? "" : ", ", json_escape(name), count);
      for (const auto& [pid, cpu] : r.pid_cpu_seconds)
        pids += fmt::format("{}\"{}\": {}", pids.empty() ? "" : ", ", pid,
                            cpu ? fmt::format("{:.2f}", per_op_us(*cpu, done)) : "null");
      return fmt::format(
          "{{\"target\": \"{}\", \"protocol\": \"{}\", \"mode\": \"{}\", \"connections\": {}, \"depth\": {}, "
          "\"rate\": {:.0f}, \"get_ratio\": {:.2f}, \"value_size\": \"{}\", \"ops\": {}, \"errors\": {}, "
          "\"seconds\": {:.3f}, \"ops_per_s\": {:.0f}, \"bytes_per_s\": {:.0f}, \"p50_us\": {:.1f}, "
          "\"p90_us\": {:.1f}, \"p99_us\": {:.1f}, \"p999_us\": {:.1f}, \"max_us\": {:.1f}, "
          "\"client_cpu_us_per_op\": {:.2f}, \"pid_cpu_us_per_op\": {{{}}}, \"errors_by_status\": {{{}}}}}\n",
          json_escape(o.where.text), protocol_name(o.protocol), mode_name(o.mode), o.connections, o.depth,
          o.mode == loop_mode::open ? o.rate : 0.0, o.get_ratio, sizes, s.ops, s.errors, s.seconds, s.ops_per_s,
          s.bytes_per_s, s.p50_us, s.p90_us, s.p99_us, s.p999_us, s.max_us, s.client_cpu_us_per_op, pids, errors);
    }
  }
  return {};
}

}  // namespace ferry::bench
