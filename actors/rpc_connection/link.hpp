// The socket side of an rpc_connection, behind a narrow interface so the actor can be tested with a
// fake: the actor calls open/send/close; the link answers with link_* messages sent to the actor.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>

#include "actors/rpc_connection/messages.hpp"
#include "actors/rpc_connection/reply_sink.hpp"
#include "xdr/encoder.hpp"

namespace ferry::actors {

/// Records to write in one go: complete record-marked records in `body`; `owners` keep the bytes the
/// body references alive until the write completes.
struct outgoing_batch {
  xdr::encoder body;
  std::vector<std::shared_ptr<const void>> owners;
  /// Calls whose reply's bulk opaque may be received into a sink (by xid); a link may ignore them.
  std::vector<std::pair<std::uint32_t, reply_sink_ptr>> sinks = {};
};

/// Events, sent by the link to its owner (anon_send from the io thread). `conn` is the number passed
/// to open(): events of a connection the actor has given up on are recognised and dropped.
struct link_opened {
  std::uint64_t conn = 0;
};
/// Whole reply records, in arrival order (all those one socket read produced, typically).
struct link_records {
  std::uint64_t conn = 0;
  std::vector<shared_bytes> records;
  /// Empty, or one entry per record: the bytes of its bulk opaque received into its call's sink (the
  /// record then holds that opaque with length 0), 0 for a record received whole.
  std::vector<std::uint32_t> diverted = {};
};
/// The connection failed to open, or closed (peer, error, protocol error). Not sent after close().
struct link_closed {
  std::uint64_t conn = 0;
  std::string reason;
};

/// Owned by exactly one rpc_connection actor and called only from it. Never blocks. Destroying the
/// link closes the connection (the actor's death therefore closes its socket).
class link {
 public:
  virtual ~link() = default;
  /// Starts connection attempt `conn` (increasing); the link answers link_opened or link_closed.
  /// Any previous connection has been closed by close() first.
  virtual void open(std::uint64_t conn) = 0;
  /// Queues records on the open connection; written in order, in as few gather writes as possible.
  virtual void send(outgoing_batch batch) = 0;
  /// Closes the current connection or attempt, silently (no link_closed for it).
  virtual void close() = 0;
  /// The call `xid` is over (timed out): its sink, if any, is written no more once the link's thread has
  /// seen this; a link without sinks ignores it.
  virtual void forget(std::uint32_t /*xid*/) {}
  /// Batches of the current connection written to the socket to their last byte, counted from 0 at each
  /// open(); readable from the actor's thread at any time. nullopt: the link does not tell (then the
  /// actor cannot tell a stalled peer from a slow one, and never closes for it).
  virtual std::optional<std::uint64_t> batches_written() const { return std::nullopt; }
};

/// Makes the link for an actor; `owner` receives the link's events.
using link_factory = std::function<std::unique_ptr<link>(caf::actor owner)>;

}  // namespace ferry::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ferry::actors::link_opened)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ferry::actors::link_records)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ferry::actors::link_closed)
