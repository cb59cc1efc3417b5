// listener: ferryd's actor for one listening socket (UNIX or TCP). Its acceptor accepts asynchronously
// on the socket's io thread and sends each accepted connection here as a message (never a blocking
// accept in the actor); the actor admits it (token bucket, session cap: actors/listener/accept_policy)
// and asks the session supervisor to start a session owning the socket, or answers the client
// OVERLOADED and closes.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>
#include <caf/message.hpp>
#include <caf/meta/type_name.hpp>

#include "actors/listener/accept_policy.hpp"
#include "actors/listener/endpoints.hpp"
#include "actors/listener/peer_allow_list.hpp"
#include "actors/session/memory_budget.hpp"

namespace ferry::metering {
class meter_registry;
}

namespace ferry::actors {

struct listener_config {
  std::string name = "uds";                  ///< for stats and logs: "uds" or "tcp"
  std::string unix_path;                     ///< a UNIX listener when set, else TCP on tcp_host:tcp_port
  listener::unix_endpoint_options unix_options;  ///< used when unix_path is set (path taken from it)
  std::string tcp_host;                      ///< name or address, without IPv6 brackets
  std::uint16_t tcp_port = 0;                ///< 0: any free port (stats name the bound one)
  listener::accept_limits limits;
  /// UNIX peers whose SO_PEERCRED uid/gid is not on it get their first call answered OVERLOADED with
  /// "uid N not allowed ..." and are closed (never a session). Empty: everyone. Not applied to TCP.
  listener::peer_allow_list allow;
  caf::actor session_sup;                    ///< a simple_one_for_one supervisor of sessions
  std::shared_ptr<session::memory_budget> budget;  ///< counts open sessions
  boost::asio::io_context* io = nullptr;     ///< where the acceptor runs
  /// The io context for each accepted socket (its session's io thread); null: `io`.
  std::function<boost::asio::io_context&()> session_io;
  /// Called (on the actor's thread) with one line per notable event: refusals, accept errors.
  std::function<void(const std::string&)> on_event;
  metering::meter_registry* meters = nullptr;  ///< meters the listener actor when set (outlives it)
};

/// Counters, the reply to `request(listener, t, listener_stats_atom::value)`.
struct listener_stats {
  std::string name;
  std::string address;            ///< the bound path or "host:port" (port resolved when 0 was asked)
  std::uint64_t accepted = 0;     ///< connections handed to a new session
  std::uint64_t refused_rate = 0;
  std::uint64_t refused_sessions = 0;
  std::uint64_t spawn_failures = 0;
  std::uint64_t accept_errors = 0;
  std::uint64_t refused_peer = 0;  ///< UNIX peers not on the allow-list
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, listener_stats& x) {
  return f(caf::meta::type_name("ferry.listener_stats"), x.name, x.address, x.accepted, x.refused_rate,
           x.refused_sessions, x.spawn_failures, x.accept_errors, x.refused_peer);
}
using listener_stats_atom = caf::atom_constant<caf::atom("lsn_stats")>;

/// New accept limits (a reload). No reply.
struct set_accept_limits {
  listener::accept_limits limits;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, set_accept_limits& x) {
  return f(caf::meta::type_name("ferry.set_accept_limits"), x.limits.rate, x.limits.burst, x.limits.max_sessions);
}

/// Opens the socket now (errors come back here, before anything is spawned) and spawns the listener
/// from `parent`. For a supervisor's child_spec.
std::function<caf::expected<caf::actor>(caf::local_actor*, const caf::message&)> listener_starter(listener_config cfg);

}  // namespace ferry::actors
