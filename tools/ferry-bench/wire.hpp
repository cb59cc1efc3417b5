// Sockets of ferry-bench: connect to a target (TCP loopback or UNIX), gather-send an encoded record, and
// collect whole reply records from whatever bytes have arrived, without blocking.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "options.hpp"
#include "xdr/bytes.hpp"
#include "xdr/encoder.hpp"

namespace ferry::bench {

/// A connected, blocking socket (TCP_NODELAY on TCP), or -1 with errno set.
int connect_to(const target& t);

/// Sends everything e encoded (sendmsg with its gather segments); false when the peer is gone.
bool send_all(int fd, const xdr::encoder& e);

/// Reply records arriving on one socket.
class record_reader {
 public:
  enum class status { ok, closed, error };
  /// Reads what is available now (never blocks); call next() afterwards until it returns nullopt.
  status fill(int fd);
  /// The payload of the next whole record buffered, valid until the next fill(); nullopt when none.
  std::optional<xdr::bytes_view> next();
  std::string error;  // what went wrong when fill() said error or next() met a bad record mark

 private:
  std::vector<xdr::byte> buf_ = std::vector<xdr::byte>(1 << 16);
  std::size_t start_ = 0, filled_ = 0;
  std::size_t want_ = 0;  // bytes the record at start_ needs in all (0: unknown yet)
};

}  // namespace ferry::bench
