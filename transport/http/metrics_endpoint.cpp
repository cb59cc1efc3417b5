// transport/http/metrics_endpoint.cpp: the acceptor and one connection object per client, all on one
// strand, so any number of io threads may run the io_context. Handlers hold the shared state, never
// the metrics_endpoint itself; the render function sits behind a mutex that close() takes.
#include "transport/http/metrics_endpoint.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cstdint>
#include <exception>
#include <limits>
#include <mutex>
#include <optional>
#include <string_view>
#include <unordered_set>
#include <utility>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace ferry::transport {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = beast::error_code;

constexpr std::string_view exposition_content_type = "text/plain; version=0.0.4; charset=utf-8";
constexpr std::chrono::milliseconds accept_retry_delay{100};  // after EMFILE and the like: no busy loop
constexpr std::chrono::milliseconds linger_limit{1000};       // to drain a rejected request before closing

class connection;

struct rendered {
  http::status status;
  std::string body;
};

std::string host_port(const std::string& host, std::uint16_t port) {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

// A message from an exception as one line of a 500 body.
std::string one_line(std::string text) {
  std::replace_if(text.begin(), text.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  return text;
}

}  // namespace

struct metrics_endpoint::state : std::enable_shared_from_this<state> {
  state(asio::io_context& io, const metrics_endpoint_options& o, render_fn r)
      : strand(asio::make_strand(io)), acceptor(strand), retry(strand), options(o), render(std::move(r)) {}

  asio::strand<asio::io_context::executor_type> strand;
  tcp::acceptor acceptor;
  asio::steady_timer retry;
  const metrics_endpoint_options options;
  std::string address;

  std::mutex render_mutex;
  render_fn render;  // empty once closed; guarded by render_mutex

  // Touched only on the strand (and by connection destructors when the io_context is torn down).
  std::unordered_set<connection*> connections;
  bool stopped = false;

  void accept();
  void on_accept(const error_code& ec, tcp::socket socket);
  void stop();
  rendered render_now();
};

namespace {

class connection : public std::enable_shared_from_this<connection> {
 public:
  connection(std::shared_ptr<metrics_endpoint::state> owner, tcp::socket socket)
      : owner_(std::move(owner)), stream_(std::move(socket)), buffer_(owner_->options.max_request_bytes) {
    owner_->connections.insert(this);
  }
  ~connection() { owner_->connections.erase(this); }
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  void start() { read_request(); }

  void stop() {
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

 private:
  void read_request() {
    if (owner_->stopped) return stream_.close();
    const auto limit = owner_->options.max_request_bytes;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(limit));
    parser_->body_limit(static_cast<std::uint64_t>(limit));
    // One deadline covers the idle wait and the whole request: a client that trickles bytes is cut off too.
    stream_.expires_after(owner_->options.request_timeout);
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&connection::on_read, shared_from_this()));
  }

  void on_read(const error_code& ec, std::size_t) {
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow)
      return reject(http::status::request_header_fields_too_large, "request headers larger than the limit\n");
    if (ec == http::error::body_limit) return reject(http::status::payload_too_large, "request body larger than the limit\n");
    if (ec == http::error::end_of_stream || ec == http::error::partial_message) return stream_.close();
    if (ec && ec.category() == http::make_error_code(http::error::bad_target).category())
      return reject(http::status::bad_request, "malformed request: " + ec.message() + "\n");
    if (ec) return stream_.close();  // timeout (the stream closed itself), reset, or stop()
    respond(parser_->get());
  }

  void respond(const http::request<http::string_body>& request) {
    std::string_view target(request.target().data(), request.target().size());
    const std::string_view path = target.substr(0, target.find('?'));
    const bool head = request.method() == http::verb::head;
    response_ = {};
    response_.version(request.version());
    if (path != "/metrics") {
      set_body(http::status::not_found, "not found: only /metrics is served\n", head);
    } else if (request.method() != http::verb::get && !head) {
      set_body(http::status::method_not_allowed, "method not allowed: use GET or HEAD\n", false);
      response_.set(http::field::allow, "GET, HEAD");
    } else {
      auto r = owner_->render_now();
      set_body(r.status, std::move(r.body), head);
      if (r.status == http::status::ok) response_.set(http::field::content_type, exposition_content_type);
    }
    response_.keep_alive(request.keep_alive());
    write(response_.keep_alive() ? after_write::next_request : after_write::close);
  }

  // The request was not read to its end: answer, stop sending, drain what the client still sends for
  // a moment, then close, so the client reads the answer instead of a reset.
  void reject(http::status status, std::string body) {
    response_ = {};
    response_.version(11);
    set_body(status, std::move(body), false);
    response_.keep_alive(false);
    write(after_write::linger);
  }

  void set_body(http::status status, std::string body, bool head) {
    response_.result(status);
    response_.set(http::field::server, "ferryd");
    if (status != http::status::ok) response_.set(http::field::content_type, "text/plain; charset=utf-8");
    response_.content_length(body.size());
    if (!head) response_.body() = std::move(body);  // HEAD: the length of what GET would send, no body
  }

  enum class after_write { next_request, close, linger };

  void write(after_write then) {
    stream_.expires_after(owner_->options.request_timeout);
    http::async_write(stream_, response_, beast::bind_front_handler(&connection::on_write, shared_from_this(), then));
  }

  void on_write(after_write then, const error_code& ec, std::size_t) {
    if (ec) return stream_.close();
    if (then == after_write::next_request) return read_request();
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    if (then == after_write::close || owner_->stopped) return stream_.close();
    stream_.expires_after(std::min(owner_->options.request_timeout, linger_limit));
    drain();
  }

  void drain() {
    stream_.async_read_some(asio::buffer(drain_),
                            [self = shared_from_this()](const error_code& ec, std::size_t) {
                              if (ec) return self->stream_.close();
                              self->drain();
                            });
  }

  std::shared_ptr<metrics_endpoint::state> owner_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  std::array<char, 512> drain_{};
};

}  // namespace

void metrics_endpoint::state::accept() {
  if (stopped) return;
  acceptor.async_accept([self = shared_from_this()](const error_code& ec, tcp::socket socket) {
    self->on_accept(ec, std::move(socket));
  });
}

void metrics_endpoint::state::on_accept(const error_code& ec, tcp::socket socket) {
  if (stopped || ec == asio::error::operation_aborted) return;
  if (ec) {
    retry.expires_after(accept_retry_delay);
    retry.async_wait([self = shared_from_this()](const error_code& wait_ec) {
      if (!wait_ec) self->accept();
    });
    return;
  }
  if (connections.size() >= options.max_connections) {
    error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
  } else {
    std::make_shared<connection>(shared_from_this(), std::move(socket))->start();
  }
  accept();
}

void metrics_endpoint::state::stop() {
  if (stopped) return;
  stopped = true;
  error_code ignored;
  acceptor.close(ignored);
  retry.cancel();
  for (auto* c : connections) c->stop();  // their handlers finish with operation_aborted and release them
}

rendered metrics_endpoint::state::render_now() {
  std::lock_guard lock(render_mutex);
  if (!render) return {http::status::service_unavailable, "metrics endpoint is closing\n"};
  try {
    return {http::status::ok, render()};
  } catch (const std::exception& e) {
    return {http::status::internal_server_error, "rendering metrics failed: " + one_line(e.what()) + "\n"};
  } catch (...) {
    return {http::status::internal_server_error, "rendering metrics failed: unknown exception\n"};
  }
}

bool is_loopback_host(const std::string& host) {
  std::string h = host;
  std::transform(h.begin(), h.end(), h.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (h == "localhost") return true;
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  error_code ec;
  const auto address = asio::ip::make_address(h, ec);
  if (ec) return false;
  if (address.is_v4()) return address.to_v4().is_loopback();
  const auto v6 = address.to_v6();
  if (v6.is_v4_mapped()) return asio::ip::make_address_v4(asio::ip::v4_mapped, v6).is_loopback();
  return v6.is_loopback();
}

std::variant<std::unique_ptr<metrics_endpoint>, std::string> metrics_endpoint::open(asio::io_context& io,
                                                                                      const metrics_endpoint_options& o,
                                                                                      render_fn render) {
  auto fail = [&](const std::string& what) { return "metrics endpoint " + host_port(o.host, o.port) + ": " + what; };
  if (!render) return fail("no render function");
  if (o.max_connections == 0) return fail("max_connections must be at least 1");
  if (o.request_timeout <= std::chrono::milliseconds::zero()) return fail("request_timeout must be positive");
  if (o.max_request_bytes < 64 || o.max_request_bytes > std::numeric_limits<std::uint32_t>::max())
    return fail("max_request_bytes must be between 64 and 4294967295");

  error_code ec;
  tcp::resolver resolver(io);
  auto results = resolver.resolve(o.host, std::to_string(o.port), tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || results.empty()) return fail("cannot resolve: " + (ec ? ec.message() : std::string("no address")));
  const auto endpoint = results.begin()->endpoint();

  auto s = std::make_shared<state>(io, o, std::move(render));
  s->acceptor.open(endpoint.protocol(), ec);
  if (!ec) s->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) s->acceptor.bind(endpoint, ec);
  if (!ec) s->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail(ec.message());
  const auto bound = s->acceptor.local_endpoint(ec);
  if (ec) return fail(ec.message());
  s->address = host_port(bound.address().to_string(), bound.port());
  asio::dispatch(s->strand, [s] { s->accept(); });
  return std::unique_ptr<metrics_endpoint>(new metrics_endpoint(std::move(s)));
}

metrics_endpoint::metrics_endpoint(std::shared_ptr<state> s) : state_(std::move(s)) {}

metrics_endpoint::~metrics_endpoint() { close(); }

std::string metrics_endpoint::address() const { return state_->address; }

void metrics_endpoint::close() {
  render_fn released;
  {
    std::lock_guard lock(state_->render_mutex);  // waits for a render in progress on an io thread
    released.swap(state_->render);
  }
  asio::dispatch(state_->strand, [s = state_] { s->stop(); });
}

}  // namespace ferry::transport
