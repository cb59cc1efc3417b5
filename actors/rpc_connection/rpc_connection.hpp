// rpc_connection: one persistent ONC RPC connection to one data server, as a CAF actor. Pipelines calls
// (XID mux/demux in any order), batches them into gather writes, enforces per-call deadlines, and
// reconnects with exponential backoff and jitter. Messages: actors/rpc_connection/messages.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>
#include <caf/message.hpp>

#include "actors/rpc_connection/backoff.hpp"
#include "actors/rpc_connection/link.hpp"
#include "actors/rpc_connection/messages.hpp"

namespace ferry::metering {
class meter_registry;
}

namespace ferry::actors {

struct rpc_connection_config {
  std::string server;                       ///< "host:port", for events and logs only
  std::uint32_t program = 0;                ///< ONC RPC program and version of every call
  std::uint32_t version = 0;
  /// Credential sent with every call: flavor + encoded body (e.g. xdr::rpc::encode_auth_sys output,
  /// at most 400 bytes). The default is AUTH_NONE; NFS servers want AUTH_SYS (actors/nfs3).
  std::uint32_t cred_flavor = 0;
  std::vector<xdr::byte> cred_body;
  std::size_t max_in_flight = 4096;         ///< more calls in flight are answered overloaded
  std::size_t max_batch_calls = 256;        ///< a batch is handed to the link at this many calls
  caf::timespan connect_timeout = std::chrono::seconds(3);  ///< per connection attempt
  reconnect_backoff backoff = {};
  std::uint64_t seed = 0;                   ///< seeds the backoff jitter; 0: from std::random_device
  caf::actor listener = {};                 ///< receives connection_state_changed; may be null
  metering::meter_registry* meters = nullptr;  ///< meters the connection when set (outlives it)
};

/// Spawns the actor (not linked to anything): it opens its link at once.
caf::actor spawn_rpc_connection(caf::actor_system& sys, rpc_connection_config cfg, link_factory make_link);

/// Spawns the actor from `parent` (a supervisor), which links or monitors it itself.
caf::actor spawn_rpc_connection(caf::local_actor* parent, rpc_connection_config cfg, link_factory make_link);

/// A start function with the signature of supervision::start_fn, for a child_spec.
std::function<caf::expected<caf::actor>(caf::local_actor*, const caf::message&)>
rpc_connection_starter(rpc_connection_config cfg, link_factory make_link);

}  // namespace ferry::actors
