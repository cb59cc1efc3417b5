// A running ferry-store for integration tests: started on 127.0.0.1 (port 0 = any free port), its port
// read from its "ferry-store listening on HOST:PORT" line. child_process kills and reaps it in any case.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "child_process.hpp"

namespace ferry::test {

struct store_process {
  std::unique_ptr<child_process> proc;
  std::uint16_t port = 0;

  /// "127.0.0.1:PORT"
  std::string address() const { return "127.0.0.1:" + std::to_string(port); }
};

/// Starts `binary --listen 127.0.0.1:<port> --log-level warn <args...>` and waits at most 20 s for its
/// announcement. Throws std::runtime_error naming what it got instead (the process is reaped first).
store_process start_store(const std::string& binary, const std::vector<std::string>& args = {"--memory"},
                          std::uint16_t port = 0);

}  // namespace ferry::test
