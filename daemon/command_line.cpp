#include "daemon/command_line.hpp"

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>
#include <optional>
#include <vector>

namespace ferry::daemon {

namespace {

// Values of the flags given; an unset optional leaves the file's (or the default) value alone.
struct flag_values {
  std::optional<std::string> socket, listen_tcp, log_level, log_file, scheduler, admin, metrics;
  std::vector<std::string> stores;
  std::vector<std::uint32_t> allow_uids, allow_gids;
  std::optional<unsigned> replicas, write_quorum, connections, scheduler_threads, asio_threads;
  std::optional<std::uint64_t> max_sessions, memory_budget;
  std::optional<std::uint32_t> small_op_ms;
  bool quiet = false;
  bool no_meters = false;

  void apply(config::ferryd_settings& s) const {
    if (socket) s.daemon.socket = *socket;
    if (listen_tcp) s.daemon.listen_tcp = *listen_tcp;
    if (admin) {  // checked as HOST:PORT by the option's validator
      config::split_host_port(*admin, s.admin.bind, s.admin.port);
      s.admin.publish = true;
    }
    if (metrics) s.admin.metrics = *metrics;
    if (!stores.empty()) s.stores.servers = stores;
    if (!allow_uids.empty()) s.daemon.allow_uids = allow_uids;
    if (!allow_gids.empty()) s.daemon.allow_gids = allow_gids;
    if (replicas) s.stores.replicas = *replicas;
    if (write_quorum) s.stores.write_quorum = *write_quorum;
    if (connections) s.stores.connections = *connections;
    if (max_sessions) s.limits.accept.max_sessions = *max_sessions;
    if (memory_budget) s.limits.memory_budget_bytes = *memory_budget;
    if (small_op_ms) s.deadlines.small_op = std::chrono::milliseconds(*small_op_ms);
    if (scheduler) s.runtime.scheduler = *scheduler;
    if (scheduler_threads) s.runtime.scheduler_threads = *scheduler_threads;
    if (asio_threads) s.runtime.asio_threads = *asio_threads;
    if (log_level) s.log.level = *log_level;
    if (log_file) s.log.file = *log_file;
    if (no_meters) s.runtime.meters = false;
    if (quiet) {
      s.log.to_stderr = false;
      if (s.log.file.empty()) s.log.level = "off";  // nowhere to write: say so, as the config check asks
    }
  }
};

}  // namespace

std::variant<command_line, int> parse_command_line(int argc, char** argv) {
  CLI::App app{"ferryd: the ferry client daemon. Applications hand it data requests over a UNIX socket\n"
               "(libferry); it routes them to replicated ferry-store servers over persistent ONC RPC connections."};
  app.footer(
      "Every flag overrides the config file key named in its description; --store flags alone are enough.\n"
      "Signals: SIGHUP re-reads --config (stores added/removed, limits, log level) and keeps the running\n"
      "settings if the file has an error; SIGTERM/SIGINT drain (stop accepting, finish in-flight calls within\n"
      "--drain-grace-ms) and exit 0. stdout gets one line, \"ferryd ready on SOCKET ...\", once serving.");
  auto flags = std::make_shared<flag_values>();  // each option fills its optional only when given
  auto& f = *flags;
  command_line cl;
  std::uint64_t drain_ms = 10000;
  app.add_option("--config", cl.config_file, "TOML config file (every key: config/ferryd.example.toml)");
  app.add_option("--socket", f.socket, "UNIX socket path for applications [daemon.socket]");
  app.add_option("--store", f.stores, "a ferry-store as HOST:PORT, or an NFSv3 export as nfs3://HOST/EXPORT[?nfsport=N&mountport=M&uid=U&gid=G]; repeat for each [stores.servers]");
  app.add_option("--allow-uid", f.allow_uids, "admit UNIX peers of this uid; repeat for each [daemon.allow_uids]");
  app.add_option("--allow-gid", f.allow_gids, "admit UNIX peers of this gid; repeat for each [daemon.allow_gids]");
  app.add_option("--listen-tcp", f.listen_tcp, "extra TCP listener HOST:PORT [daemon.listen_tcp]");
  auto host_port = CLI::Validator(
      [](std::string& v) {
        std::string host;
        std::uint16_t port = 0;
        return config::split_host_port(v, host, port) ? std::string() : "expected HOST:PORT, got '" + v + "'";
      },
      "HOST:PORT");
  app.add_option("--admin", f.admin, "publish the admin actor for ferryctl on HOST:PORT, port 0 = any [admin.bind, admin.port]")
      ->check(host_port);
  app.add_option("--metrics", f.metrics, "Prometheus endpoint HOST:PORT (GET /metrics), port 0 = any [admin.metrics]")
      ->check(host_port);
  app.add_option("--replicas", f.replicas, "R, copies of each key [stores.replicas]");
  app.add_option("--write-quorum", f.write_quorum, "W, replica acks per write [stores.write_quorum]");
  app.add_option("--connections", f.connections, "K, connections per store [stores.connections]");
  app.add_option("--max-sessions", f.max_sessions, "open client sessions [limits.max_sessions]");
  app.add_option("--memory-budget", f.memory_budget, "bytes all requests may hold [limits.memory_budget_bytes]");
  app.add_option("--deadline-ms", f.small_op_ms, "default deadline of small calls [deadlines.small_op_ms]");
  app.add_option("--scheduler", f.scheduler, "CAF scheduler: sharing or stealing [runtime.scheduler]");
  app.add_option("--scheduler-threads", f.scheduler_threads, "CAF worker threads, 0 = one a core [runtime.scheduler_threads]");
  app.add_option("--asio-threads", f.asio_threads, "socket I/O threads [runtime.asio_threads]");
  app.add_option("--log-level", f.log_level, "trace, debug, info, warn, error, critical, off [log.level]");
  app.add_option("--log-file", f.log_file, "event log file [log.file]");
  app.add_flag("--no-meters", f.no_meters, "spawn actors unmetered, to measure what the meters cost [runtime.meters = false]");
  app.add_flag("--quiet", f.quiet, "no event log on stderr [log.stderr = false]; without --log-file: no event log");
  app.add_option("--drain-grace-ms", drain_ms, "SIGTERM: time in-flight calls get to finish (default 10000)");
  app.add_option("--writer-id", cl.writer_id, "HLC writer id, unique per ferryd of a cluster (default: random)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints help (0) or CLI11's message; its codes vary by error kind
    return code == 0 ? 0 : 2;      // a usage error is 2, as documented
  }
  cl.drain_grace = std::chrono::milliseconds(drain_ms);
  cl.apply_flags = [flags](config::ferryd_settings& s) { flags->apply(s); };
  return cl;
}

std::variant<config::ferryd_settings, std::string> resolve_settings(const command_line& cl) {
  config::ferryd_settings s;
  if (!cl.config_file.empty()) {
    auto loaded = config::load_ferryd_settings(cl.config_file);
    if (auto* err = std::get_if<config::settings_error>(&loaded)) return "ferryd: " + err->message;
    s = std::get<config::ferryd_settings>(loaded);
  }
  if (cl.apply_flags) cl.apply_flags(s);
  if (auto problem = config::check(s)) return "ferryd: " + config::describe(*problem) + " (after command-line flags)";
  if (!config::has_stores(s))
    return "ferryd: no data server to route to: give --store HOST:PORT (repeatable) or stores.servers in --config";
  return s;
}

}  // namespace ferry::daemon
