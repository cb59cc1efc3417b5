// The socket side of a session, behind a narrow interface so the session actor can be tested with a
// fake: the actor calls start/send/close; the io side sends session_records / session_closed to it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>

#include "actors/rpc_connection/messages.hpp"  // shared_bytes
#include "actors/session/shm_region.hpp"
#include "transport/record_stream.hpp"

namespace ferry::actors {

/// Who is on the other end: SO_PEERCRED for a UNIX socket, the address for TCP.
struct peer_info {
  std::string description;  ///< "pid 123 uid 1000 gid 1000" or "127.0.0.1:51234"
  std::optional<std::int32_t> pid;
  std::optional<std::uint32_t> uid;
  std::optional<std::uint32_t> gid;
};

/// Whole request records, in arrival order, each already accounted in the daemon's memory budget for as
/// long as any reference to it lives. Every record must be answered with exactly one send() (or the
/// session closed): the io side counts it in flight until then.
struct session_records {
  std::vector<shared_bytes> records;
};
/// An FC_SHM_ATTACH call that came with a descriptor, already checked and mapped (or refused) by the io
/// side, which owns descriptors. Sent after the records that came before it; answered like any record.
struct session_shm_attach {
  shared_bytes record;
  session::shm::attach_result result;
};
/// The client went away or broke the protocol. Not sent after close().
struct session_closed {
  std::string reason;
};

class session_io {
 public:
  virtual ~session_io() = default;  ///< closes the connection
  /// Starts reading; records and the close event go to the owner given to the factory.
  virtual void start() = 0;
  /// Sends the reply to one call whose request record had `request_bytes` bytes; that call stops
  /// counting against the session's in-flight limits once the reply is written.
  virtual void send(transport::outgoing_record reply, std::uint64_t request_bytes) = 0;
  /// Closes the connection (replies queued before are abandoned). No session_closed follows.
  virtual void close() = 0;
};

using session_io_factory = std::function<std::unique_ptr<session_io>(caf::actor owner)>;

}  // namespace ferry::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ferry::actors::session_records)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ferry::actors::session_closed)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ferry::actors::session_shm_attach)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ferry::actors::peer_info)
