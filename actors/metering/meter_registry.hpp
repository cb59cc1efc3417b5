// actors/metering/meter_registry.hpp: where metered actors enrol their counters and where a
// monitor takes snapshots. Owned by the daemon and passed to spawn_metered (no global).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "actors/metering/actor_meters.hpp"
#include "actors/metering/snapshot.hpp"

namespace ferry::metering {

struct registry_options {
  /// Read the thread CPU clock on every Nth resume of an actor and charge N times what it
  /// measured. 1 = exact. The clock read is a syscall (README: cost), paid twice per sample.
  std::uint32_t cpu_sample_period = 1;
};

class meter_registry {
public:
  explicit meter_registry(registry_options opts = {});
  meter_registry(const meter_registry&) = delete;
  meter_registry& operator=(const meter_registry&) = delete;

  /// Counters for a new actor instance; called once, from its constructor (takes the lock).
  std::shared_ptr<actor_meters> enroll(std::string name, std::uint64_t id);

  /// Supervisor hook: one more restart of the actor called `name`.
  void add_restart(std::string_view name);

  /// Copies every counter. Terminated instances are folded into their name's totals here and
  /// their per-instance row is dropped, so per-name counters never go backwards.
  meter_snapshot snapshot();

  /// The process CPU split alone (what snapshot().cpu says), without copying any actor's counters.
  process_cpu_split cpu_split();

  std::uint32_t cpu_sample_period() const noexcept { return opts_.cpu_sample_period; }

  /// Instances whose meters are held individually (live ones, and terminated ones not yet folded).
  std::size_t tracked() {
    std::lock_guard<std::mutex> guard{mtx_};
    return live_.size();
  }

private:
  struct name_totals {
    std::uint64_t messages = 0, cpu_ns = 0, wall_ns = 0, mailbox_depth_max = 0, restarts = 0;
    std::map<std::string, message_type_meters, std::less<>> types;
  };
  void fold(const actor_meters& m, name_totals& into);
  void prune_retired();  // with mtx_ held: folds terminated instances into their name's totals

  registry_options opts_;
  std::mutex mtx_;
  std::vector<std::shared_ptr<actor_meters>> live_;
  std::atomic<std::size_t> retirements_{0};  // instances in live_ that have ended (counted by retire())
  std::map<std::string, name_totals, std::less<>> retired_;  // also holds restarts
};

}  // namespace ferry::metering
