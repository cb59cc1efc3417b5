// ferryd's supervision tree (DESIGN.md §4) declared as data, and what its start functions share: the io
// threads, the memory budget, and the settings new sessions are started with (replaced on reload).
//
//   ferryd (rest_for_one)
//   ├── event_log     permanent  spdlog lines; every supervisor's report sink (by registered name)
//   ├── router        permanent  placement, quorum, failover, deadlines
//   ├── backend_sup   permanent  one_for_one
//   │   └── "store HOST:PORT"  one_for_all: K rpc_connection, each enrolling with the router
//   ├── session_sup   permanent  simple_one_for_one, temporary sessions
//   ├── listener_sup  permanent  one_for_one: uds (and tcp) listener
//   └── admin         permanent  the admin actor (ferryctl), published through CAF's middleman when asked
//
// Every actor, supervisors included, is spawned metered (actors/metering) into the runtime's registry;
// a child started again counts one restart under its actor name.
//
// The router comes before backend_sup (DESIGN.md lists it after): connections enroll with the router
// when they start, so a router restart must restart them too (rest_for_one), and they re-enroll.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <caf/atom.hpp>

#include "actors/admin/admin_actor.hpp"
#include "actors/metering/meter_registry.hpp"
#include "actors/session/flow_gate.hpp"
#include "actors/session/memory_budget.hpp"
#include "actors/session/shm_region.hpp"
#include "config/ferryd_settings.hpp"
#include "supervision/spec.hpp"
#include "transport/io_thread.hpp"
#include "xdr/record.hpp"

namespace ferry::daemon {

/// Registered names (the actor system's registry) of the tree's long-lived actors.
inline constexpr caf::atom_value event_log_name = caf::atom("event_log");
inline constexpr caf::atom_value router_name = caf::atom("router");
inline constexpr caf::atom_value sessions_name = caf::atom("sessions");
inline constexpr caf::atom_value listeners_name = caf::atom("listeners");
inline constexpr caf::atom_value backend_name = caf::atom("backend");
inline constexpr caf::atom_value root_name = caf::atom("ferryd");
inline constexpr caf::atom_value admin_name = caf::atom("admin");
/// Child ids in the root supervisor.
inline const std::string backend_id = "backend_sup";
inline const std::string sessions_id = "session_sup";
inline const std::string listeners_id = "listener_sup";

/// What a new session is started with; a reload replaces it (running sessions keep theirs).
struct session_defaults {
  router::deadline_settings deadlines;
  session::flow_limits flow;
  xdr::record_limits record;
  session::shm::shm_limits shm;
};

/// State shared by the tree's start functions; owned by main, outlives the actor system.
class runtime {
 public:
  explicit runtime(const config::ferryd_settings& s);

  /// The io context for the next connection or session (round-robin over the io threads).
  boost::asio::io_context& next_io();
  boost::asio::io_context& first_io() { return io_.front()->context(); }
  void stop_io();

  std::shared_ptr<session::memory_budget> budget() const { return budget_; }

  session_defaults sessions() const;
  void set_sessions(session_defaults d);

  std::uint64_t writer_id = 0;

  metering::meter_registry& meters() { return meters_; }
  /// The registry actors are spawned into: null when runtime.meters is off (restarts are still counted).
  metering::meter_registry* actor_meters() { return meters_on_ ? &meters_ : nullptr; }

  /// What the admin actor reads (filled by main before the tree starts).
  std::shared_ptr<admin::admin_context> admin = std::make_shared<admin::admin_context>();

  /// The admin actor's published address ("HOST:PORT"), "" when not published; set by its start function.
  std::string admin_address() const;
  void set_admin_published(std::string address, std::uint16_t port, caf::actor_addr who);
  /// The port and actor of the last publication (a restarted admin actor takes the same port).
  std::pair<std::uint16_t, caf::actor_addr> admin_published() const;

 private:
  std::vector<std::unique_ptr<transport::io_thread>> io_;
  std::atomic<std::size_t> next_{0};   // round-robin cursor; start functions run on CAF worker threads
  mutable std::mutex sessions_mutex_;  // guards sessions_ (replaced by reloads on the main thread)
  session_defaults sessions_;
  std::shared_ptr<session::memory_budget> budget_;
  /// Thread CPU is read on every 16th resume of an actor and charged 16 times: the clock is a syscall
  /// (about 0.65 µs here, two a sample) and ferryd's actors mostly handle one message a resume.
  static constexpr std::uint32_t meter_cpu_sample_period = 16;
  metering::meter_registry meters_{metering::registry_options{meter_cpu_sample_period}};
  bool meters_on_ = true;
  mutable std::mutex admin_mutex_;
  std::string admin_address_;
  std::uint16_t admin_port_ = 0;
  caf::actor_addr admin_actor_;
};

session_defaults session_defaults_of(const config::ferryd_settings& s);

/// CAF worker threads for runtime.scheduler_threads on a machine with `hardware` cores: the setting, or
/// for 0 one a core (at least 1). Not CAF's own default, max(cores, 4): measured on 2 cores with
/// bench/run-threads, 4 workers cost 20-30 % of small-op throughput against 2 (bench/README.md).
unsigned caf_worker_threads(unsigned configured, unsigned hardware) noexcept;

/// The whole tree for `s`.
supervision::supervisor_spec root_spec(const config::ferryd_settings& s, runtime& rt);

/// backend_sup's child for one store: a one_for_all supervisor of K rpc_connection actors.
supervision::child_spec store_child(const std::string& server, const config::ferryd_settings& s, runtime& rt);

/// The id of store_child(server): "store HOST:PORT".
std::string store_child_id(const std::string& server);

}  // namespace ferry::daemon
