// The typed interface of an rpc_connection actor: calls in, replies or typed errors out, state events to
// an optional listener, counters on request. Local-only types (shared buffers) are allowed unsafe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor_addr.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/timespan.hpp>

#include "actors/metering/latency_histogram.hpp"
#include "actors/rpc_connection/call_args.hpp"

namespace ferry::actors {

class reply_sink;

/// Reference-counted immutable bytes (a reply record, shared by whoever reads it).
using shared_bytes = std::shared_ptr<const std::vector<xdr::byte>>;

/// Request: one ONC RPC call of the connection's program/version. Answered exactly once, with an
/// rpc_reply or a caf::error of category rpc_errc, at the latest `timeout` after the actor took it.
/// Send it with `request(conn, caf::infinite, rpc_call{...})`: the actor enforces the deadline itself
/// (a requester may add a larger safety timeout of its own).
struct rpc_call {
  std::uint32_t proc = 0;
  call_args_ptr args;            ///< encoded arguments, shared and immutable; null = no arguments
  caf::timespan timeout{};       ///< relative deadline; <= 0 is answered timedout at once
  /// Optional: where the reply's bulk opaque (a GET's value, a READ's chunk) may be received instead of
  /// into the record (see reply_sink.hpp, rpc_reply::diverted).
  std::shared_ptr<reply_sink> sink = nullptr;
};

/// Reply to an rpc_call: the server answered MSG_ACCEPTED/SUCCESS. The whole reply record is kept
/// (one copy out of the socket's read buffer); results() is the procedure's undecoded results in it.
struct rpc_reply {
  shared_bytes record;
  std::uint32_t results_offset = 0;
  /// Non-zero: the results' bulk opaque had this many bytes and they are in the call's sink; the record
  /// holds it with length 0.
  std::uint32_t diverted = 0;

  xdr::bytes_view results() const noexcept {
    return record ? xdr::bytes_view{*record}.subspan(results_offset) : xdr::bytes_view{};
  }
};

/// Why a call got no rpc_reply. CAF error category `rpc_errc_category`.
enum class rpc_errc : std::uint8_t {
  unavailable = 1,  ///< not connected, or the connection was lost with the call in flight
  timedout,         ///< no reply within the call's timeout (a reply arriving later is dropped)
  protocol_error,   ///< the reply was malformed, or the server refused the call (PROC_UNAVAIL...)
  overloaded,       ///< too many calls in flight on this connection (config.max_in_flight)
};
inline constexpr caf::atom_value rpc_errc_category = caf::atom("rpc_conn");
const char* to_string(rpc_errc x) noexcept;
caf::error make_error(rpc_errc x);
caf::error make_error(rpc_errc x, std::string context);
/// Registers the category so that actor_system::render names rpc_errc values.
void add_rpc_error_category(caf::actor_system_config& cfg);

/// Sent to config.listener on every transition (from the connection actor, so `source` is it too).
struct connection_state_changed {
  caf::actor_addr source;
  std::string server;
  bool connected = false;
  std::string reason;  ///< why it went down (empty when it came up)
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, connection_state_changed& x) {
  return f(caf::meta::type_name("ferry.connection_state_changed"), x.source, x.server, x.connected,
           x.reason);
}

/// Counters, the reply to `caf::get_atom` (monotonic since spawn unless noted).
struct rpc_connection_stats {
  bool connected = false;
  std::uint64_t in_flight = 0;        ///< now
  std::uint64_t calls = 0;            ///< rpc_calls taken
  std::uint64_t replies = 0;          ///< answered with an rpc_reply
  std::uint64_t errors = 0;           ///< answered with an error (the four below, summed)
  std::uint64_t unavailable = 0;
  std::uint64_t timeouts = 0;
  std::uint64_t overloaded = 0;
  std::uint64_t protocol_errors = 0;  ///< calls answered protocol_error (+ unattributable bad replies)
  std::uint64_t late_replies = 0;     ///< replies for no call in flight (timed out before), dropped
  std::uint64_t connects = 0;         ///< connections opened
  std::uint64_t connect_failures = 0; ///< attempts that failed or timed out before opening
  std::uint64_t disconnects = 0;      ///< open connections lost
  std::uint64_t batches = 0;          ///< batches handed to the link (one gather write each, at most)
  std::uint64_t write_stalls = 0;     ///< connections closed because a call's bytes could not be written in its time
  metering::latency_histogram latency;  ///< call taken -> reply received, every reply from the server
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, rpc_connection_stats& x) {
  return f(caf::meta::type_name("ferry.rpc_connection_stats"), x.connected, x.in_flight, x.calls,
           x.replies, x.errors, x.unavailable, x.timeouts, x.overloaded, x.protocol_errors,
           x.late_replies, x.connects, x.connect_failures, x.disconnects, x.batches, x.write_stalls, x.latency);
}

/// Request for the counters: `request(conn, t, rpc_stats_atom::value)` -> rpc_connection_stats.
using rpc_stats_atom = caf::atom_constant<caf::atom("rpc_stats")>;

}  // namespace ferry::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ferry::actors::rpc_call)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ferry::actors::rpc_reply)
