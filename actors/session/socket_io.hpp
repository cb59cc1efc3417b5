// The real session io: an accepted UNIX or TCP socket driven by transport::record_stream on its io
// thread. It copies each request record once out of the read buffer into memory accounted in the
// daemon's budget, keeps the session's flow gate (pausing the socket at the in-flight limits), and
// answers calls the budget cannot take with OVERLOADED itself, without bothering the actor.
#pragma once

#include <memory>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include "actors/session/flow_gate.hpp"
#include "actors/session/memory_budget.hpp"
#include "actors/session/session_io.hpp"
#include "xdr/record.hpp"

namespace ferry::actors {

/// An accepted connection on its way from a listener to its session: the socket is moved in by the
/// acceptor and moved out by the session's io, nothing touches it in between (race-free handoff).
struct accepted_connection {
  std::shared_ptr<boost::asio::local::stream_protocol::socket> unix_socket;  ///< one of the two is set
  std::shared_ptr<boost::asio::ip::tcp::socket> tcp_socket;
  peer_info peer;
};

struct socket_io_options {
  xdr::record_limits limits = {};       ///< a larger record closes the session (protocol error)
  session::flow_limits flow = {};
  std::shared_ptr<session::memory_budget> budget;  ///< required
  session::shm::shm_limits shm = {};    ///< FC_SHM_ATTACH (UNIX sockets only)
};

/// Makes the io for one accepted connection (its socket moves into the io when the factory is called).
session_io_factory socket_io_factory(accepted_connection conn, socket_io_options options);

}  // namespace ferry::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ferry::actors::accepted_connection)
