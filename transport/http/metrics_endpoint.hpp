// transport/http/metrics_endpoint.hpp: a small HTTP/1.1 server for Prometheus scrapes (GET /metrics)
// on a caller's io_context. Boost.Beast inside, no CAF; the caller decides what the text says.
#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <variant>

namespace ferry::transport {

struct metrics_endpoint_options {
  std::string host = "127.0.0.1";  ///< numeric address or name, without IPv6 brackets
  std::uint16_t port = 0;          ///< 0 picks a free port (see address())
  std::size_t max_connections = 64;  ///< connections beyond this are closed as soon as accepted
  std::chrono::milliseconds request_timeout{5000};  ///< to read one request (or idle between two) and to write a reply
  std::size_t max_request_bytes = 8192;  ///< request line + headers (431), or body (413)
};

/// True for 127.0.0.0/8, ::1 (also IPv4-mapped ::ffff:127.x.y.z) and "localhost". No name lookup.
bool is_loopback_host(const std::string& host);

class metrics_endpoint {
 public:
  /// Called on an io thread for each GET or HEAD /metrics; what it throws becomes a 500.
  using render_fn = std::function<std::string()>;

  /// Binds and listens synchronously, then accepts on `io` (run by one or more threads). Errors are
  /// values, never exceptions: "metrics endpoint HOST:PORT: what" (e.g. "Address already in use").
  static std::variant<std::unique_ptr<metrics_endpoint>, std::string> open(boost::asio::io_context& io,
                                                                             const metrics_endpoint_options& options,
                                                                             render_fn render);

  /// Calls close(). Destroy the endpoint before the io_context it runs on.
  ~metrics_endpoint();
  metrics_endpoint(const metrics_endpoint&) = delete;
  metrics_endpoint& operator=(const metrics_endpoint&) = delete;

  /// HOST:PORT actually bound ("[::1]:9100" for IPv6), the port resolved when 0 was asked for.
  std::string address() const;

  /// Stops accepting and closes every open connection (on the io thread, as soon as it runs). When it
  /// returns, the render function is not running and will never be called again, and it has been
  /// released. Safe from any thread, idempotent; do not call it from inside the render function.
  void close();

  struct state;  // shared with the handlers in flight; defined in the .cpp

 private:
  explicit metrics_endpoint(std::shared_ptr<state> s);
  std::shared_ptr<state> state_;
};

}  // namespace ferry::transport
