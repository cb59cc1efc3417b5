// The router's typed interface for sessions: one request per FERRY_CLIENT operation, carrying the decoded
// arguments (views into the record the session received, kept alive by `owner`) and an absolute deadline.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>

#include "actors/router/vocabulary.hpp"
#include "actors/rpc_connection/messages.hpp"
#include "actors/rpc_connection/reply_sink.hpp"
#include "xdr/protocol/client.hpp"

namespace ferry::actors {

// ---- requests (session -> router) ---------------------------------------------------------------------
//
// Send with `request(router, caf::infinite, put_request{...})` (or a safety timeout past `deadline`).
// `args` are the FERRY_CLIENT arguments as decoded by the session; their byte views point into `owner`
// (the received record), which the router keeps alive for as long as it or a store call needs the bytes.
// `deadline` is absolute on the actor clock (steady_clock; the test coordinator's virtual clock in
// tests): sessions compute it with router::request_deadline from args.deadline_ms, which the router
// itself ignores. Every request is answered exactly once with the reply type named below, never with an
// error: failures are a ferry status plus a human detail of at most proto::max_detail bytes.

template <class Args, proto::client::proc Proc>
struct client_call {
  shared_bytes owner;          ///< keeps args' views alive; may be null when args view static memory
  Args args;
  router::time_point deadline; ///< absolute; already past -> TIMEDOUT at once
  /// GET and READ only, optional: where the store's reply may put the value / chunk bytes instead of in
  /// its record (the client's shared-memory slot); the reply's in_sink says when it did.
  reply_sink_ptr sink = nullptr;
};

using put_request = client_call<proto::client::put_args, proto::client::proc::put>;                  // -> write_reply
using get_request = client_call<proto::client::key_args, proto::client::proc::get>;                  // -> get_reply
using delete_request = client_call<proto::client::delete_args, proto::client::proc::del>;            // -> write_reply
using stat_request = client_call<proto::client::key_args, proto::client::proc::stat>;                // -> stat_reply
using list_request = client_call<proto::client::list_args, proto::client::proc::list>;               // -> list_reply
using write_open_request = client_call<proto::client::write_open_args, proto::client::proc::write_open>;  // -> write_open_reply
using write_chunk_request = client_call<proto::client::write_chunk_args, proto::client::proc::write_chunk>;  // -> status_reply
using write_commit_request = client_call<proto::client::write_commit_args, proto::client::proc::write_commit>;  // -> write_reply
using write_abort_request = client_call<proto::client::write_abort_args, proto::client::proc::write_abort>;  // -> status_reply
using read_request = client_call<proto::client::read_args, proto::client::proc::read>;               // -> read_reply

// ---- replies (router -> session) ----------------------------------------------------------------------
//
// Each reply owns what its views point at (`owner(s)`: store reply records, shared, never copied) and its
// detail text; wire() gives the FERRY_CLIENT result to encode, valid while the reply object lives.

struct write_reply {  ///< PUT, DELETE, WRITE_COMMIT
  proto::status code = proto::status::ok;
  proto::version ver;  ///< ok: the version written; conflict: the newer version that won
  std::string detail;
  proto::write_res wire() const { return {code, ver, detail}; }
};

struct get_reply {
  proto::status code = proto::status::ok;
  proto::value found;       ///< ok: info and data (a view into owner)
  proto::version tombstone; ///< not_found: the tombstone's version, zero when the key never existed
  std::string detail;
  shared_bytes owner;       ///< the store reply record that found.data points into
  /// Non-zero: the value has this many bytes and they are in the request's sink, not in found.data
  /// (which is empty); wire() then describes an empty value.
  std::uint32_t in_sink = 0;
  proto::get_res wire() const { return {code, found, tombstone, detail}; }
};

struct stat_reply {
  proto::status code = proto::status::ok;
  proto::object_info info;
  proto::version tombstone;
  std::string detail;
  proto::stat_res wire() const { return {code, info, tombstone, detail}; }
};

struct list_reply {
  proto::status code = proto::status::ok;
  std::vector<proto::list_entry> entries;  ///< ascending key order; keys are views into owners
  bool more = false;                       ///< more keys after the last entry (continue with its key)
  std::string detail;
  std::vector<shared_bytes> owners;        ///< the store reply records the keys point into
  /// next_cursor is the last entry's key (empty when there are no entries).
  proto::list_res wire() const {
    proto::list_res r{code, {entries, {}, more}, detail};
    if (!entries.empty()) r.page.next_cursor = entries.back().key;
    return r;
  }
};

struct write_open_reply {
  proto::status code = proto::status::ok;
  proto::upload up;
  std::string detail;
  proto::write_open_res wire() const { return {code, up, detail}; }
};

struct status_reply {  ///< WRITE_CHUNK, WRITE_ABORT
  proto::status code = proto::status::ok;
  std::string detail;
  proto::reply wire() const { return {code, detail}; }
};

struct read_reply {
  proto::status code = proto::status::ok;
  proto::chunk data;
  std::string detail;
  shared_bytes owner;
  std::uint32_t in_sink = 0;  ///< as get_reply::in_sink, for the chunk's bytes
  proto::read_res wire() const { return {code, data, detail}; }
};

// ---- control ------------------------------------------------------------------------------------------

/// One data server and the K rpc_connection actors that talk to it (spawned by ferryd's backend_sup;
/// the router only uses them and should be their connection_state_changed listener).
struct server_entry {
  router::server_id id;
  std::vector<caf::actor> connections;
};

/// Replaces the server set (start-up, SIGHUP reload). Requests in flight keep going; replies from
/// removed servers still answer their request but no longer count in health. An entry with no
/// connections keeps those the router already has for that server (enrolled ones). No reply.
struct set_servers {
  std::vector<server_entry> servers;
};

/// An rpc_connection to `server`, just started by that server's supervisor, offers itself to the router
/// (ferryd's wiring: connections are restarted by their supervisors, so the router learns each new
/// handle this way rather than from set_servers). It counts as down until its connection_state_changed
/// says up (that event may arrive first: it enrolls the connection too). The router monitors it and
/// forgets it when it ends; a connection to a server not in the set is ignored. No reply.
struct enroll_connection {
  router::server_id server;
  caf::actor connection;
};

/// Counters, the reply to `request(router, t, router_stats_atom::value)`.
struct router_stats {
  std::uint64_t open_requests = 0;  ///< requests taken and not yet answered (pending table size)
  std::uint64_t requests = 0;       ///< requests taken since spawn
  std::uint64_t timeouts = 0;       ///< answered TIMEDOUT
  std::uint64_t dropped_replies = 0;///< store outcomes arriving after their request was answered
  std::uint64_t armed_deadlines = 0;///< entries in the deadline set (equals open_requests when idle)
  std::uint64_t servers = 0;          ///< in the current set
  std::uint64_t servers_connected = 0;///< of them, those with at least one connection up
  std::uint64_t open_uploads = 0;     ///< chunked uploads open (failed ones included until committed/expired)
  std::uint64_t read_repairs = 0;     ///< PUT/DELETE sent to replicas a read found behind the newest version
  std::uint64_t newer_refetches = 0;  ///< reads that fetched again from a replica a probe showed newer
  std::uint64_t degraded_reads = 0;   ///< reads answered with fewer replica versions than R − W + 1
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, router_stats& x) {
  return f(caf::meta::type_name("ferry.router_stats"), x.open_requests, x.requests, x.timeouts,
           x.dropped_replies, x.armed_deadlines, x.servers, x.servers_connected, x.open_uploads,
           x.read_repairs, x.newer_refetches, x.degraded_reads);
}
using router_stats_atom = caf::atom_constant<caf::atom("rtr_stats")>;

/// One server as the router sees it: its connections (ask each for rpc_stats_atom) and its health.
struct router_server_view {
  std::string server;
  std::vector<caf::actor> connections;  ///< enrolled connection actors
  std::uint64_t connections_up = 0;
  bool ejected = false;
  std::uint64_t ejections = 0;  ///< since the router started
};
/// `request(router, t, router_servers_atom::value)` -> std::vector<router_server_view>, by server id.
using router_servers_atom = caf::atom_constant<caf::atom("rtr_srvs")>;

}  // namespace ferry::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ferry::actors::put_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ferry::actors::get_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ferry::actors::delete_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ferry::actors::stat_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ferry::actors::list_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ferry::actors::write_open_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ferry::actors::write_chunk_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ferry::actors::write_commit_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ferry::actors::write_abort_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ferry::actors::read_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ferry::actors::write_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ferry::actors::get_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ferry::actors::stat_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ferry::actors::list_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ferry::actors::write_open_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ferry::actors::status_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ferry::actors::read_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ferry::actors::set_servers)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<ferry::actors::router_server_view>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ferry::actors::enroll_connection)
