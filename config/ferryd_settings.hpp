// ferryd's settings as plain data, every default in one place (here, or in the policy struct a table
// embeds), the check shared by the file loader and the command line, and the TOML loader.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "actors/listener/accept_policy.hpp"
#include "actors/router/deadline_budget.hpp"
#include "actors/router/server_health.hpp"
#include "actors/session/shm_limits.hpp"
#include "config/store_settings.hpp"  // settings_error, split_host_port

namespace ferry::config {

/// [daemon]: where applications reach ferryd.
struct daemon_settings {
  std::string socket = "/run/ferry/ferryd.sock";  // UNIX socket path (at most 107 bytes)
  std::uint32_t socket_mode = 0660;               // permission bits, 0..0777 ("0660" in TOML)
  std::string socket_owner;                       // user name to chown the socket to; "" = ferryd's own
  std::string socket_group;                       // group name; "" = ferryd's own
  std::string listen_tcp;                         // HOST:PORT of the optional TCP listener; "" = none
  std::vector<std::uint32_t> allow_uids;          // UNIX peers (SO_PEERCRED) admitted by uid ...
  std::vector<std::uint32_t> allow_gids;          // ... or by gid; both empty = everyone the mode lets in
  friend bool operator==(const daemon_settings&, const daemon_settings&) = default;
};

/// [stores]: the data servers and how data is spread over them.
struct stores_settings {
  std::vector<std::string> servers;  // "HOST:PORT" each, no duplicates; may be empty in a file (--store)
  unsigned replicas = 2;             // R; the router uses min(R, servers) at run time
  unsigned write_quorum = 2;         // W acks before a write is OK; 1 <= W <= R
  unsigned connections = 2;          // K persistent connections per store, 1..64
  friend bool operator==(const stores_settings&, const stores_settings&) = default;
};

/// [limits]: what keeps ferryd's memory and accept load bounded.
struct limits_settings {
  listener::accept_limits accept;                          // max_sessions, accept_rate, accept_burst
  std::uint32_t session_max_inflight_calls = 128;          // a session stops reading past this many calls ...
  std::uint64_t session_max_inflight_bytes = 32ull << 20;  // ... or bytes, and resumes below them
  std::uint64_t memory_budget_bytes = 1ull << 30;          // all sessions together; beyond: OVERLOADED replies
  std::uint32_t max_record_bytes = (16u << 20) + (64u << 10);  // largest client record: 16 MiB value + room
  friend bool operator==(const limits_settings&, const limits_settings&) = default;
};

/// [runtime]: threads.
struct runtime_settings {
  std::string scheduler = "sharing";  // CAF scheduler policy, "sharing" or "stealing" (DESIGN.md §9)
  unsigned scheduler_threads = 0;     // CAF worker threads, 0..256; 0 = one a core (not CAF's max(cores, 4))
  unsigned asio_threads = 1;          // threads running the Asio I/O context, 1..256
  bool meters = true;                 // per-actor meters (actors/metering); off only to measure their cost
  friend bool operator==(const runtime_settings&, const runtime_settings&) = default;
};

/// [log]: the event log.
struct log_settings {
  std::string level = "info";  // trace, debug, info, warn, error, critical, off
  std::string file;            // "" = no log file
  bool to_stderr = true;       // TOML key "stderr"
  friend bool operator==(const log_settings&, const log_settings&) = default;
};

/// [admin]: the admin actor published through CAF's middleman (ferryctl talks to it).
struct admin_settings {
  std::uint16_t port = 0;         // 0 = not published
  std::string bind = "127.0.0.1";  // off loopback only with TLS: CAF's protocol has no authentication
  std::string tls_cert;           // PEM paths for caf::openssl; cert and key both or neither
  std::string tls_key;
  std::string tls_ca;             // CA to verify ferryctl's certificate; needs cert and key
  std::string metrics;            // HOST:PORT of the Prometheus endpoint (GET /metrics); "" = none
  bool publish = false;           // publish even with port 0 (any free port): set by --admin HOST:0
  friend bool operator==(const admin_settings&, const admin_settings&) = default;
};

// The router's settings structs have no operator==; these compare them member by member.
bool operator==(const router::deadline_settings& a, const router::deadline_settings& b) noexcept;
bool operator==(const router::health_settings& a, const router::health_settings& b) noexcept;

/// Everything ferryd reads from its config file, one member a TOML table.
struct ferryd_settings {
  daemon_settings daemon;
  stores_settings stores;
  limits_settings limits;
  session::shm::shm_limits shm;         // [shm]: the shared-memory bulk path, defaults in shm_limits.hpp
  router::deadline_settings deadlines;  // [deadlines], durations as *_ms integers
  router::health_settings health;       // [health], durations as *_ms, outlier_min_latency_us
  runtime_settings runtime;
  log_settings log;
  admin_settings admin;
  friend bool operator==(const ferryd_settings&, const ferryd_settings&) = default;
};

/// What check() found wrong, named by dotted TOML key ("limits.max_sessions", "stores.servers[1]").
/// A rule between two keys (W <= R) also words the fault from the other key's side, so a loader can
/// point at whichever of the two the file sets.
struct settings_problem {
  std::string key;
  std::string message;
  std::string other_key;      // "" for a rule on one key
  std::string other_message;
};

/// The first problem with `s`, in file order ([daemon] first), or empty when ferryd can run with it.
/// Zero stores pass: a file may leave them to --store flags. ferryd itself refuses to start (and a reload
/// is refused) with none; see has_stores().
std::optional<settings_problem> check(const ferryd_settings& s);

/// "key: message", for problems found after command-line flags were applied.
std::string describe(const settings_problem& p);

/// False when there is no data server to route to: ferryd refuses to start or reload so.
inline bool has_stores(const ferryd_settings& s) noexcept { return !s.stores.servers.empty(); }

/// Every dotted key a file may set ("daemon.socket", ...), sorted: for docs, help texts and tests.
std::vector<std::string> ferryd_setting_keys();

/// Overlays the keys found in a TOML file on `base` and checks the result. Errors read
/// "file:line: key: message" (line of the offending key: for a rule between two keys, the one the file
/// sets, preferring the first); a problem with no key in the file (an invalid `base`) reads
/// "file: key: message". Unknown tables and keys, wrong types and out-of-range values are errors.
/// Tables and keys: see config/ferryd.example.toml.
std::variant<ferryd_settings, settings_error> load_ferryd_settings(const std::string& path,
                                                                   ferryd_settings base = {});

}  // namespace ferry::config
