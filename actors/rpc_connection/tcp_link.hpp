// The real link: a TCP connection driven by transport::record_stream on a shared io_context thread.
// The actor side only posts to that thread; the io side only anon_sends events to the actor.
#pragma once

#include <cstdint>
#include <string>

#include "actors/rpc_connection/link.hpp"
#include "xdr/record.hpp"

namespace boost::asio {
class io_context;
}

namespace ferry::actors {

struct tcp_link_options {
  std::string host;  ///< name or address, resolved on every connection attempt
  std::uint16_t port = 0;
  xdr::record_limits limits = {};  ///< for reply records
};

/// Makes TCP links whose I/O runs on `io` (which must outlive every link it made, and run on one
/// thread: see transport/io_thread.hpp).
link_factory tcp_link_factory(boost::asio::io_context& io, tcp_link_options options);

}  // namespace ferry::actors
