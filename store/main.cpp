// ferry-store: the FERRY_STORE data server. Parses flags (and an optional TOML file), opens and recovers
// the engine, serves until SIGTERM/SIGINT, then drains: in-flight calls finish, replies are written, exit 0.
#include <CLI/CLI.hpp>
#include <rpc/pmap_clnt.h>
#include <rpc/rpc.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/asio.hpp>

#include <csignal>
#include <cstdio>
#include <iostream>

#include "config/store_settings.hpp"
#include "store/engine.hpp"
#include "store/server/server.hpp"
#include "xdr/protocol/store.hpp"

namespace {

using ferry::config::store_settings;

int run(const store_settings& s) {
  std::string host;
  std::uint16_t port = 0;
  if (!ferry::config::split_host_port(s.listen, host, port)) {
    std::fprintf(stderr, "ferry-store: --listen: expected HOST:PORT, got '%s'\n", s.listen.c_str());
    return 2;
  }
  if (!s.memory && s.data_dir.empty()) {
    std::fprintf(stderr, "ferry-store: --data DIR is required (or --memory for a RAM-only store)\n");
    return 2;
  }
  ferry::store::engine_config ec;
  ec.dir = s.data_dir;
  ec.memory = s.memory;
  ec.fsync = s.fsync;
  ec.max_value = s.max_value;
  ec.chunk_size = s.chunk_size;
  ec.tombstone_retention = std::chrono::seconds(s.tombstone_retention_s);
  ec.node_name = s.node_name;
  auto opened = ferry::store::open_engine(ec);
  if (auto* err = std::get_if<std::string>(&opened)) {
    std::fprintf(stderr, "ferry-store: %s\n", err->c_str());
    return 1;
  }
  auto engine = std::move(std::get<0>(opened));
  auto recovered = engine->recovery();
  spdlog::info("event=recovered objects={} tombstones={} leftovers_removed={} quarantined={}", recovered.objects,
               recovered.tombstones, recovered.leftovers_removed, recovered.quarantined.size());
  for (const auto& q : recovered.quarantined) spdlog::warn("event=quarantined file=\"{}\"", q);

  boost::asio::io_context io;
  ferry::store::server_config sc;
  sc.host = host;
  sc.port = port;
  sc.workers = s.workers;
  sc.max_connections = s.max_connections;
  ferry::store::server srv(io, *engine, sc);
  if (auto err = srv.start(); !err.empty()) {
    std::fprintf(stderr, "ferry-store: %s\n", err.c_str());
    return 1;
  }

  bool registered = false;
  if (s.register_rpcbind) {
    // A store killed earlier may have left its registration behind (rpcbind -w even restores it);
    // ours replaces it, as rpcgen's generated servers do.
    pmap_unset(ferry::proto::store::program, ferry::proto::store::version);
    registered = pmap_set(ferry::proto::store::program, ferry::proto::store::version, IPPROTO_TCP, srv.port());
    if (registered)
      spdlog::info("event=rpcbind_registered program={} port={}", ferry::proto::store::program, srv.port());
    else
      spdlog::warn("event=rpcbind_failed reason=\"rpcbind refused the registration or is not running\"");
  }

  // Purge expired tombstones and idle uploads once a minute, on the engine's own thread of work.
  boost::asio::steady_timer gc(io);
  std::function<void()> arm_gc = [&] {
    gc.expires_after(std::chrono::seconds(60));
    gc.async_wait([&](const boost::system::error_code& e) {
      if (e) return;
      if (auto n = engine->collect_garbage(); n > 0) spdlog::info("event=garbage_collected removed={}", n);
      arm_gc();
    });
  };
  arm_gc();

  boost::asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code& e, int sig) {
    if (e) return;
    spdlog::info("event=signal signal={}", sig);
    gc.cancel();
    srv.drain(std::chrono::seconds(10), [&] { io.stop(); });
  });
  // Only now, with signals handled and the registration done, is the store ready: the first line on
  // stdout says so and names the bound port (scripts and tests start us with port 0 and read it).
  std::printf("ferry-store listening on %s:%u\n", host.c_str(), srv.port());
  std::fflush(stdout);
  spdlog::info("event=started listen={}:{} mode={} workers={} fsync={}", host, srv.port(),
               s.memory ? "memory" : "disk", s.workers, s.fsync);
  io.run();
  if (registered) pmap_unset(ferry::proto::store::program, ferry::proto::store::version);
  spdlog::info("event=stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"ferry-store: durable FERRY_STORE (ONC RPC) data server"};
  store_settings s;
  std::string config_file;
  app.add_option("--config", config_file, "TOML file with defaults for every flag (see config/ferry-store.example.toml)");
  auto* listen = app.add_option("--listen", s.listen, "HOST:PORT to listen on (port 0: any free port)");
  auto* data = app.add_option("--data", s.data_dir, "data directory (created if missing)");
  auto* memory = app.add_flag("--memory", s.memory, "keep objects in RAM only; nothing survives a restart");
  auto* workers = app.add_option("--workers", s.workers, "disk worker threads (0: serve on the network thread)");
  bool no_fsync = false;
  app.add_flag("--no-fsync", no_fsync, "acknowledge writes without fsync (benchmarks only: not durable)");
  auto* max_value = app.add_option("--max-value", s.max_value, "largest single PUT value in bytes");
  auto* retention = app.add_option("--tombstone-retention", s.tombstone_retention_s, "seconds deleted keys keep their tombstone");
  auto* node = app.add_option("--node", s.node_name, "node name reported by HEALTH");
  auto* reg = app.add_flag("--register", s.register_rpcbind, "register FERRY_STORE with rpcbind if it runs");
  auto* level = app.add_option("--log-level", s.log_level, "trace, debug, info, warn, error");
  CLI11_PARSE(app, argc, argv);

  if (!config_file.empty()) {
    // The file gives defaults; flags given on the command line win.
    auto flags = s;
    auto loaded = ferry::config::load_store_settings(config_file, store_settings{});
    if (auto* err = std::get_if<ferry::config::settings_error>(&loaded)) {
      std::fprintf(stderr, "ferry-store: %s\n", err->message.c_str());
      return 2;
    }
    s = std::get<store_settings>(loaded);
    if (listen->count()) s.listen = flags.listen;
    if (data->count()) s.data_dir = flags.data_dir;
    if (memory->count()) s.memory = flags.memory;
    if (workers->count()) s.workers = flags.workers;
    if (max_value->count()) s.max_value = flags.max_value;
    if (retention->count()) s.tombstone_retention_s = flags.tombstone_retention_s;
    if (node->count()) s.node_name = flags.node_name;
    if (reg->count()) s.register_rpcbind = flags.register_rpcbind;
    if (level->count()) s.log_level = flags.log_level;
  } else if (s.memory && !workers->count()) {
    s.workers = 0;  // nothing in memory mode blocks: serve inline
  }
  if (no_fsync) s.fsync = false;

  auto logger = spdlog::stderr_color_mt("ferry-store");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %l %v");
  auto lvl = spdlog::level::from_str(s.log_level);
  if (lvl == spdlog::level::off && s.log_level != "off") {
    std::fprintf(stderr, "ferry-store: --log-level: unknown level '%s'\n", s.log_level.c_str());
    return 2;
  }
  spdlog::set_level(lvl);
  return run(s);
}
