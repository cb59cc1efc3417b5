// ferry-bench: a load generator for ferryd (FERRY_CLIENT over UNIX or TCP) and ferry-store (FERRY_STORE,
// directly or through a TCP relay). Closed or open loop, bounded by --ops and --seconds; see bench/README.md.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <variant>

#include "idle.hpp"
#include "load.hpp"
#include "options.hpp"
#include "report.hpp"

using namespace ferry::bench;

int main(int argc, char** argv) {
  options o;
  std::string where, protocol = "client", mode = "closed", sizes = "100", pids;
  bool csv = false, json = false;
  CLI::App app{"ferry-bench: load generator for ferryd (FERRY_CLIENT) and ferry-store (FERRY_STORE)"};
  app.add_option("--target", where, "unix:PATH | tcp:HOST:PORT")->required();
  app.add_option("--protocol", protocol, "client (ferryd) | store (ferry-store, or a relay to it)")
      ->check(CLI::IsMember({"client", "store"}));
  app.add_option("--mode", mode, "closed (depth calls in flight) | open (--rate, latency from intended time)")
      ->check(CLI::IsMember({"closed", "open"}));
  app.add_option("--connections,-c", o.connections, "connections, one thread each")->check(CLI::Range(1u, 4096u));
  app.add_option("--depth,-d", o.depth, "calls in flight per connection (open: at most)")->check(CLI::Range(1u, 65536u));
  app.add_option("--rate", o.rate, "open loop: operations a second over all connections")->check(CLI::PositiveNumber);
  app.add_option("--get-ratio", o.get_ratio, "share of GETs (the rest PUTs)")->check(CLI::Range(0.0, 1.0));
  app.add_option("--value-size", sizes, "bytes per PUT value: 100, 1MiB, or SIZE:WEIGHT,... e.g. 100:90,4096:10");
  app.add_option("--keys", o.keys, "distinct keys over all connections")->check(CLI::PositiveNumber);
  app.add_option("--ops", o.ops, "measured operations at most");
  app.add_option("--seconds", o.seconds, "measured interval at most")->check(CLI::Range(0.001, 86400.0));
  app.add_option("--warmup-seconds", o.warmup_seconds, "untimed load before the interval")->check(CLI::Range(0.0, 3600.0));
  std::string chunk = "1MiB";
  app.add_option("--chunk-size", chunk, "values above this go as chunked WRITE_OPEN/CHUNK/COMMIT (default 1MiB)");
  app.add_option("--drain-seconds", o.drain_seconds, "after the interval: time in-flight calls get")
      ->check(CLI::Range(0.0, 600.0));
  app.add_option("--key-prefix", o.key_prefix, "key prefix (default fb/<protocol>/)");
  app.add_option("--pids", pids, "PID,... whose CPU per op to report (utime+stime from /proc)");
  app.add_option("--seed", o.seed, "random seed of key and size choices");
  app.add_option("--idle", o.idle, "instead of load: open N idle sessions, report RSS growth of --pids")
      ->check(CLI::Range(1u, 1000000u));
  app.add_option("--hold-seconds", o.hold_seconds, "--idle: keep the sessions open this long")->check(CLI::Range(0.0, 3600.0));
  app.add_flag("--shm", o.shm, "client protocol on a UNIX socket: values up to --chunk-size through a shared-memory "
                               "region (FC_PUT_SHM / FC_GET_SHM), copied in and out as libferry does");
  auto* csv_flag = app.add_flag("--csv", csv, "CSV: a header line and one row");
  app.add_flag("--json", json, "one JSON object")->excludes(csv_flag);
  CLI11_PARSE(app, argc, argv);

  if (!parse_target(where, o.where)) {
    fmt::print(stderr, "ferry-bench: --target must be unix:PATH or tcp:IPV4:PORT, not '{}'\n", where);
    return 2;
  }
  auto parsed = value_sizes::parse(sizes);
  if (auto* err = std::get_if<std::string>(&parsed)) {
    fmt::print(stderr, "ferry-bench: --value-size: {}\n", *err);
    return 2;
  }
  o.sizes = std::get<value_sizes>(parsed);
  if (!parse_byte_count(chunk, o.chunk_size) || o.chunk_size == 0 || o.chunk_size > (std::uint64_t{16} << 20)) {
    fmt::print(stderr, "ferry-bench: --chunk-size must be 1 byte .. 16MiB, not '{}'\n", chunk);
    return 2;
  }
  o.protocol = protocol == "client" ? wire_protocol::client : wire_protocol::store;
  if (o.shm && (o.protocol != wire_protocol::client || !o.where.is_unix)) {
    fmt::print(stderr, "ferry-bench: --shm needs --protocol client and a unix: target\n");
    return 2;
  }
  o.mode = mode == "closed" ? loop_mode::closed : loop_mode::open;
  for (std::size_t pos = 0; !pids.empty() && pos <= pids.size();) {
    auto comma = pids.find(',', pos);
    try {
      o.pids.push_back(static_cast<pid_t>(std::stol(pids.substr(pos, comma - pos))));
    } catch (...) {
      fmt::print(stderr, "ferry-bench: --pids: '{}' is not a list of process ids\n", pids);
      return 2;
    }
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  const auto format = csv ? output_format::csv : json ? output_format::json : output_format::text;
  if (o.idle > 0) return run_idle(o, format);

  const auto result = run_load(o);
  fmt::print("{}", format_report(o, result, format));
  std::fflush(stdout);
  return result.error_count() == 0 && result.ok > 0 ? 0 : 1;
}
