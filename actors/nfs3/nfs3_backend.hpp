// nfs3_backend: an NFSv3 server as a ferry data server. To the router it is an rpc_connection: it takes
// rpc_call{FERRY_STORE proc, encoded FERRY_STORE args} and answers rpc_reply (a synthesized FERRY_STORE
// result, results_offset 0) or an rpc_errc error; it performs each call as MOUNT/NFSv3 calls over
// rpc_connection children of its own. Object mapping and semantics: actors/nfs3/README.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/atom.hpp>
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

struct nfs3_backend_config {
  std::string server;               ///< the store's name in ferryd ("nfs3://HOST/EXPORT..."), for events
  std::string export_path;          ///< MOUNT path, e.g. "/export"
  std::uint16_t nfs_port = 0;       ///< 0: ask rpcbind (port 111) for 100003 v3 tcp
  std::uint16_t mount_port = 0;     ///< 0: ask rpcbind for 100005 v3 tcp
  std::uint32_t uid = 0;            ///< AUTH_SYS credential of every call
  std::uint32_t gid = 0;
  std::uint32_t chunk_size = 1u << 20;  ///< upload chunk size told to the router
  std::size_t max_uploads = 1024;       ///< open uploads; more are refused OVERLOADED
  caf::timespan upload_idle = std::chrono::minutes(10);  ///< an upload untouched this long is aborted
  std::size_t max_in_flight = 4096;     ///< FERRY_STORE calls in flight; more are answered overloaded
  caf::timespan setup_timeout = std::chrono::seconds(3);  ///< per discovery/MNT/FSINFO call
  caf::timespan connect_timeout = std::chrono::seconds(3);
  /// At a user_shutdown exit the export is unmounted (MOUNTPROC3_UMNT), best effort, within this time.
  caf::timespan umount_timeout = std::chrono::milliseconds(500);
  reconnect_backoff backoff = {};
  caf::actor listener = {};          ///< receives connection_state_changed (source = this actor)
  metering::meter_registry* meters = nullptr;
  /// The registered name of the event_log actor (write-verifier changes are logged there); none: not logged.
  caf::atom_value event_log_name = caf::atom("event_log");
  /// Makes the link to HOST:port (HOST is fixed by the caller); port 111 for rpcbind.
  std::function<link_factory(std::uint16_t port)> links;
};

caf::actor spawn_nfs3_backend(caf::actor_system& sys, nfs3_backend_config cfg);
caf::actor spawn_nfs3_backend(caf::local_actor* parent, nfs3_backend_config cfg);

/// A start function with the signature of supervision::start_fn.
std::function<caf::expected<caf::actor>(caf::local_actor*, const caf::message&)>
nfs3_backend_starter(nfs3_backend_config cfg);

}  // namespace ferry::actors
