// Why a transport stream closed: the peer hung up, the socket failed, the peer broke the protocol
// (with the codec's exact error), or we closed it. One value, so a log line can say which.
#pragma once

#include <boost/system/error_code.hpp>

#include <optional>
#include <string>

#include "xdr/error.hpp"

namespace ferry::transport {

struct close_reason {
  enum class kind { peer_closed, io_error, protocol_error, local_close };
  kind what = kind::local_close;
  boost::system::error_code ec;
  std::optional<xdr::codec_error> codec;

  std::string describe() const {
    switch (what) {
      case kind::peer_closed: return "peer closed the connection";
      case kind::io_error: return "socket error: " + ec.message();
      case kind::protocol_error: return "protocol error: " + (codec ? xdr::describe(*codec) : std::string("?"));
      case kind::local_close: return "closed locally";
    }
    return "unknown";
  }
};

}  // namespace ferry::transport
