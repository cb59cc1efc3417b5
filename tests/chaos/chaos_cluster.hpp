// A cluster the chaos driver may break: durable ferry-stores (one data dir each, restarted on the same
// port and dir) and a ferryd restarted on the same socket. Not thread-safe: one thread (the driver)
// changes it; workers only use the socket path, which never changes.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "daemon_fixture.hpp"

namespace ferry::chaos {

using namespace std::chrono_literals;

class durable_cluster {
 public:
  /// `n` stores with data dirs under a temp dir, ferryd with R = replicas, W = quorum over them; returns
  /// once ferryd routes writes.
  durable_cluster(std::size_t n, unsigned replicas, unsigned quorum);

  const std::string& socket() const noexcept { return socket_; }
  std::size_t size() const noexcept { return stores_.size(); }
  const std::vector<test::store_process>& stores() const noexcept { return stores_; }

  void kill_store(std::size_t i);     ///< SIGKILL and reap
  void restart_store(std::size_t i);  ///< same port, same data dir; throws when it does not come up
  void pause_store(std::size_t i);    ///< SIGSTOP
  void resume_store(std::size_t i);   ///< SIGCONT
  void kill_ferryd();                 ///< SIGKILL and reap
  void restart_ferryd();              ///< same socket; returns once it routes, throws otherwise

  /// Makes everything run again whatever state a failed driver left: dead stores restarted, paused ones
  /// continued, ferryd restarted if it is down.
  void heal();

  /// Writes probe keys through ferryd until one lands on every store (each asked directly): ferryd is
  /// connected to all of them again. False when that does not happen within `limit`.
  bool serves_from_every_store(std::chrono::milliseconds limit);

  /// Lines of every ferryd run's log (its stderr) that report a sanitizer error or a crash; empty when clean.
  std::vector<std::string> ferryd_error_reports() const;

 private:
  daemon_test::temp_dir dir_;
  std::vector<std::string> data_dirs_;
  std::vector<std::uint16_t> ports_;
  std::vector<test::store_process> stores_;
  std::vector<bool> paused_;
  std::vector<std::string> ferryd_flags_;
  std::string socket_;
  std::optional<test::ferryd_process> ferryd_;
  unsigned ferryd_starts_ = 0;
  unsigned probes_ = 0;
};

}  // namespace ferry::chaos
