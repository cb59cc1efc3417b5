// ferryd's command line (CLI11): every flag overrides the config file's key of the same meaning, and the
// flags alone (--socket, --store ...) are enough to run. SIGHUP re-reads the file and re-applies them.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <variant>

#include "config/ferryd_settings.hpp"

namespace ferry::daemon {

struct command_line {
  std::string config_file;  ///< "" = no file: embedded defaults plus flags
  /// Applies the flags that were given on top of settings loaded from the file (or the defaults).
  std::function<void(config::ferryd_settings&)> apply_flags;
  std::chrono::milliseconds drain_grace{10000};  ///< SIGTERM: how long in-flight calls may take to finish
  std::uint64_t writer_id = 0;                   ///< HLC writer id; 0 = random at start
};

/// Parses argv. An int is the exit status to leave with at once (--help printed: 0; bad flags: 2, with
/// CLI11's message on stderr).
std::variant<command_line, int> parse_command_line(int argc, char** argv);

/// The settings to run with: the file (if any) overlaid with the flags, checked, with at least one store.
/// Errors read "ferryd: FILE:LINE: key: message" or "ferryd: --flag / key: message".
std::variant<config::ferryd_settings, std::string> resolve_settings(const command_line& cl);

}  // namespace ferry::daemon
