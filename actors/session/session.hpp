// session: ferryd's actor for one client connection. Speaks FERRY_CLIENT (ONC RPC over record marking):
// decodes each call, hands it to the router with its deadline, and answers every call exactly once, in
// completion order (pipelined). The socket belongs to its session_io; the actor never touches it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>
#include <caf/message.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/timespan.hpp>

#include "actors/router/deadline_budget.hpp"
#include "actors/session/session_io.hpp"

namespace ferry::metering {
class meter_registry;
}

namespace ferry::actors {

struct session_config {
  caf::actor router;                      ///< where calls go; null: every call is answered UNAVAILABLE
  router::deadline_settings deadlines{};  ///< defaults for calls that carry deadline_ms = 0
  peer_info peer;                         ///< for stats and the event log
  /// Grace past a call's deadline after which the session answers it TIMEDOUT itself should the
  /// router not have answered (the router answers at the deadline; this only guards against its loss).
  caf::timespan router_grace = std::chrono::seconds(1);
  /// Test-only fault injection: called with each decoded call's procedure and argument bytes before
  /// dispatch; may throw (the session then dies, alone). Null in production.
  std::function<void(std::uint32_t proc, xdr::bytes_view args)> fault_hook;
  metering::meter_registry* meters = nullptr;  ///< meters the session when set (outlives it)
};

/// Counters, the reply to `request(session, t, session_stats_atom::value)`.
struct session_stats {
  std::string peer;
  std::uint64_t calls = 0;      ///< records taken
  std::uint64_t replies = 0;    ///< answers sent (calls == replies + in_flight)
  std::uint64_t in_flight = 0;  ///< calls at the router, not yet answered
  std::uint64_t rejected = 0;   ///< answered by the session itself: bad program/version/procedure/args
  std::uint64_t timeouts = 0;   ///< answered TIMEDOUT by the session (router silent past the grace)
  std::uint64_t bytes_in = 0;   ///< request record bytes taken
  std::uint64_t bytes_out = 0;  ///< reply record bytes handed to the io
  std::int64_t pid = -1, uid = -1, gid = -1;  ///< the peer's credentials (UNIX sockets), -1 unknown
  caf::timespan started{};      ///< the actor clock's time since its epoch when the session started
  std::uint64_t shm_region_bytes = 0;      ///< the attached shared region's size (0: none)
  std::uint64_t shm_calls = 0;             ///< FC_PUT_SHM / FC_GET_SHM calls whose slot was taken
  std::uint64_t payload_bytes_copied = 0;  ///< value bytes the session itself copied (downloads into slots)
  /// Download bytes the store connection received straight into this session's slots (no copy in ferryd).
  std::uint64_t payload_bytes_in_place = 0;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, session_stats& x) {
  return f(caf::meta::type_name("ferry.session_stats"), x.peer, x.calls, x.replies, x.in_flight, x.rejected,
           x.timeouts, x.bytes_in, x.bytes_out, x.pid, x.uid, x.gid, x.started, x.shm_region_bytes, x.shm_calls,
           x.payload_bytes_copied, x.payload_bytes_in_place);
}
using session_stats_atom = caf::atom_constant<caf::atom("ses_stats")>;

/// Spawns the session; it makes its io with `make_io(self)` and starts reading at once.
caf::actor spawn_session(caf::actor_system& sys, session_config cfg, session_io_factory make_io);
caf::actor spawn_session(caf::local_actor* parent, session_config cfg, session_io_factory make_io);

}  // namespace ferry::actors
