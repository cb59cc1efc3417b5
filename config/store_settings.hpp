// ferry-store's settings as plain data, every default in one place, and the TOML loader that fills them
// from a config file: errors name the file, line and key; unknown keys are errors.
#pragma once

#include <cstdint>
#include <string>
#include <variant>

namespace ferry::config {

struct store_settings {
  std::string listen = "127.0.0.1:7340";  // HOST:PORT to accept ferryd connections on
  std::string data_dir;                   // required unless memory
  bool memory = false;                    // keep objects in RAM only (tests, demo)
  bool fsync = true;                      // fsync before acknowledging writes
  unsigned workers = 4;                   // disk worker threads (0 in memory mode: inline)
  std::uint64_t max_value = 16u << 20;    // largest single PUT value, bytes
  std::uint32_t chunk_size = 1u << 20;    // preferred upload chunk, bytes
  std::uint64_t tombstone_retention_s = 86400;
  std::uint64_t max_connections = 4096;
  std::string node_name = "ferry-store";
  bool register_rpcbind = false;
  std::string log_level = "info";
};

/// "file:line: key: message"
struct settings_error {
  std::string message;
};

/// Overlays the keys found in a TOML file on `base`. Keys: listen, data_dir, memory, fsync, workers,
/// max_value, chunk_size, tombstone_retention_s, max_connections, node_name, register_rpcbind, log_level.
std::variant<store_settings, settings_error> load_store_settings(const std::string& path, store_settings base);

/// Splits "HOST:PORT" ("[v6]:PORT" too); false when malformed.
bool split_host_port(const std::string& text, std::string& host, std::uint16_t& port);

}  // namespace ferry::config
