// ferry-store's network side: accepts TCP connections, reads record-marked calls on one io thread, runs
// engine work on a bounded worker pool, and answers each call when it completes (out of order, pipelined).
// One misbehaving peer closes only its own connection; a busy one is paused, never buffered without bound.
#pragma once

#include <boost/asio.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "store/engine.hpp"
#include "transport/record_stream.hpp"

namespace ferry::store {

struct server_config {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0: the kernel picks one; port() tells which
  /// Worker threads for engine calls; 0 runs them on the network thread (right for --memory).
  unsigned workers = 4;
  /// Calls in flight on one connection before the server stops reading it (resumes at half).
  std::size_t max_in_flight_per_connection = 256;
  std::size_t max_connections = 4096;
  /// A record may hold a 16 MiB value plus its key and headers.
  xdr::record_limits limits{.max_record_size = (16u << 20) + (64u << 10), .max_fragments = 1024};
};

struct server_stats {
  std::uint64_t connections_accepted = 0;
  std::uint64_t connections_refused = 0;
  std::uint64_t protocol_errors = 0;
  std::uint64_t calls = 0;
  std::size_t open_connections = 0;
  std::size_t in_flight = 0;
};

class server {
 public:
  server(boost::asio::io_context& io, engine& store, server_config config);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Binds and starts accepting; returns a message on failure (e.g. the address is in use).
  std::string start();
  std::uint16_t port() const noexcept { return port_; }

  /// Stops accepting and reading, lets in-flight calls finish and their replies be written (at most
  /// `grace`), closes every connection, then calls done on the io thread.
  void drain(std::chrono::milliseconds grace, std::function<void()> done);

  server_stats stats() const noexcept;

 private:
  struct connection;
  void accept_next();
  void on_record(const std::shared_ptr<connection>& c, xdr::bytes_view record);
  void finish_call(const std::shared_ptr<connection>& c, transport::outgoing_record reply);
  void check_drained();

  boost::asio::io_context& io_;
  engine& store_;
  server_config config_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::unique_ptr<boost::asio::thread_pool> workers_;
  std::unordered_map<std::uint64_t, std::shared_ptr<connection>> connections_;
  std::uint64_t next_connection_id_ = 1;
  std::uint16_t port_ = 0;
  server_stats stats_;
  bool draining_ = false;
  std::function<void()> drained_;
  std::chrono::steady_clock::time_point drain_deadline_;
  boost::asio::steady_timer drain_timer_;
};

}  // namespace ferry::store
