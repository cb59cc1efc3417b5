// A running ferryd for integration tests: started with the caller's flags, its UNIX socket and (with
// --listen-tcp) TCP port read from its "ferryd ready on SOCKET[ tcp HOST:PORT]" line. child_process kills
// and reaps it in any case; a test that wants its exit status signals and waits on `proc` itself.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "child_process.hpp"

namespace ferry::test {

struct ferryd_process {
  std::unique_ptr<child_process> proc;
  std::string socket;         ///< the path applications connect to, as announced
  std::uint16_t tcp_port = 0; ///< the bound TCP port, 0 without --listen-tcp
  std::uint16_t admin_port = 0;    ///< the admin actor's port, 0 without --admin
  std::uint16_t metrics_port = 0;  ///< the /metrics port, 0 without --metrics
};

/// The fields of a ready line, or nullopt when `line` is anything else.
struct ready_line {
  std::string socket;
  std::uint16_t tcp_port = 0;
  std::uint16_t admin_port = 0;
  std::uint16_t metrics_port = 0;
};
std::optional<ready_line> parse_ready_line(const std::string& line);

/// Starts `binary args...` without waiting. A non-empty `stderr_path` sends its stderr (the event log and
/// start-up errors) to that file instead of the test's stderr, so a test can read what ferryd said.
std::unique_ptr<child_process> spawn_ferryd(const std::string& binary, const std::vector<std::string>& args,
                                            const std::string& stderr_path = {});

/// spawn_ferryd, then waits at most 20 s for the ready line. Throws std::runtime_error naming what it got
/// instead (the process is killed and reaped first).
ferryd_process start_ferryd(const std::string& binary, const std::vector<std::string>& args,
                            const std::string& stderr_path = {});

}  // namespace ferry::test
