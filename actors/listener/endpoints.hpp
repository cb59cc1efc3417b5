// Listening sockets, opened synchronously at start-up so that a bad path or a busy port stops ferryd
// with a clear message: a UNIX socket (stale file handled, mode and owner set before listen()) and TCP.
#pragma once

#include <cstdint>
#include <string>
#include <variant>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>

namespace ferry::listener {

struct unix_endpoint_options {
  std::string path;
  std::uint32_t mode = 0660;  ///< permission bits set before clients can connect
  std::string owner;          ///< user name to chown to; "" = keep
  std::string group;          ///< group name; "" = keep
  int backlog = 1024;
};

/// A bound, listening UNIX socket and the identity of its file (so that closing removes only our file).
struct unix_listening {
  boost::asio::local::stream_protocol::acceptor acceptor;
  std::string path;
  std::uint64_t dev = 0;
  std::uint64_t ino = 0;
};

/// Opens `options.path`. An existing socket file nobody listens on (a crashed ferryd's) is removed; a live
/// one (another ferryd) or a file that is not a socket is an error, and nothing is removed. Errors read
/// "unix socket PATH: what".
std::variant<unix_listening, std::string> open_unix(boost::asio::io_context& io, const unix_endpoint_options& options);

/// Removes the socket file if it is still the one open_unix created (not one a newer ferryd made).
void remove_socket_file(const std::string& path, std::uint64_t dev, std::uint64_t ino) noexcept;

/// Opens a TCP listener on HOST:PORT (HOST a numeric address or a name, without IPv6 brackets; port 0
/// picks one). Errors read "tcp listener HOST:PORT: what".
std::variant<boost::asio::ip::tcp::acceptor, std::string> open_tcp(boost::asio::io_context& io, const std::string& host,
                                                                   std::uint16_t port, int backlog = 1024);

}  // namespace ferry::listener
