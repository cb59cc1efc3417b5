// ferry-store's network side: accept loop, per-connection record streams, worker-pool dispatch, drain.
#include "store/server/server.hpp"

#include <spdlog/spdlog.h>

#include "store/server/dispatch.hpp"
#include "xdr/rpc.hpp"

namespace ferry::store {

namespace asio = boost::asio;
using asio::ip::tcp;

struct server::connection {
  std::uint64_t id = 0;
  std::string peer;
  std::shared_ptr<transport::tcp_record_stream> stream;
  std::size_t in_flight = 0;
};

server::server(asio::io_context& io, engine& store, server_config config)
    : io_(io), store_(store), config_(std::move(config)), acceptor_(io), drain_timer_(io) {
  if (config_.workers > 0) workers_ = std::make_unique<asio::thread_pool>(config_.workers);
}

server::~server() {
  if (workers_) workers_->join();
}

std::string server::start() {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(config_.host, ec);
  if (ec) return "bad listen address '" + config_.host + "': " + ec.message();
  tcp::endpoint ep{address, config_.port};
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return "cannot listen on " + config_.host + ":" + std::to_string(config_.port) + ": " + ec.message();
  port_ = acceptor_.local_endpoint().port();
  accept_next();
  return {};
}

void server::accept_next() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
    if (ec) {
      if (ec != asio::error::operation_aborted && acceptor_.is_open()) {
        spdlog::warn("event=accept_error error=\"{}\"", ec.message());
        accept_next();
      }
      return;
    }
    if (draining_ || connections_.size() >= config_.max_connections) {
      ++stats_.connections_refused;
      spdlog::warn("event=connection_refused reason={} open={}", draining_ ? "draining" : "max_connections",
                   connections_.size());
      boost::system::error_code ignored;
      socket.close(ignored);
      accept_next();
      return;
    }
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    auto c = std::make_shared<connection>();
    c->id = next_connection_id_++;
    auto remote = socket.remote_endpoint(ignored);
    c->peer = remote.address().to_string() + ":" + std::to_string(remote.port());
    std::weak_ptr<connection> weak = c;
    c->stream = transport::tcp_record_stream::make(
        std::move(socket), config_.limits,
        [this, weak](xdr::bytes_view record) {
          if (auto conn = weak.lock()) on_record(conn, record);
        },
        [this, weak](const transport::close_reason& why) {
          auto conn = weak.lock();
          if (!conn) return;
          if (why.what == transport::close_reason::kind::protocol_error) ++stats_.protocol_errors;
          spdlog::info("event=connection_closed conn={} peer={} reason=\"{}\"", conn->id, conn->peer,
                       why.describe());
          connections_.erase(conn->id);
          check_drained();
        });
    connections_.emplace(c->id, c);
    ++stats_.connections_accepted;
    spdlog::info("event=connection_accepted conn={} peer={}", c->id, c->peer);
    c->stream->start();
    accept_next();
  });
}

void server::on_record(const std::shared_ptr<connection>& c, xdr::bytes_view record) {
  ++stats_.calls;
  auto hc = check_header(record);
  if (hc.immediate_reply) {
    c->stream->send(std::move(*hc.immediate_reply));
    return;
  }
  if (!hc.call) {
    spdlog::warn("event=protocol_error conn={} peer={} reason=\"{}\"", c->id, c->peer, hc.close_reason);
    ++stats_.protocol_errors;
    c->stream->close();
    return;
  }
  if (!workers_) {
    // Inline mode: the record view is valid for the whole call, so nothing is copied.
    c->stream->send(dispatch(store_, *hc.call));
    return;
  }
  // Worker mode: the view dies with this callback, so the record is copied once into a shared buffer and
  // its header decoded again there (it decoded above, so it cannot fail) for the worker to use in place.
  auto owned = std::make_shared<std::vector<xdr::byte>>(record.begin(), record.end());
  auto call = *xdr::rpc::decode_call(*owned);
  ++c->in_flight;
  ++stats_.in_flight;
  if (c->in_flight >= config_.max_in_flight_per_connection) c->stream->pause_reading();
  asio::post(*workers_, [this, c, owned, call] {
    auto reply = dispatch(store_, call);
    asio::post(io_, [this, c, reply = std::move(reply)]() mutable { finish_call(c, std::move(reply)); });
  });
}

void server::finish_call(const std::shared_ptr<connection>& c, transport::outgoing_record reply) {
  --c->in_flight;
  --stats_.in_flight;
  c->stream->send(std::move(reply));
  if (!draining_ && c->stream->reading_paused() && c->in_flight <= config_.max_in_flight_per_connection / 2)
    c->stream->resume_reading();
  check_drained();
}

void server::drain(std::chrono::milliseconds grace, std::function<void()> done) {
  if (draining_) return;
  draining_ = true;
  drained_ = std::move(done);
  drain_deadline_ = std::chrono::steady_clock::now() + grace;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  for (auto& [id, c] : connections_) c->stream->pause_reading();
  spdlog::info("event=drain_started open={} in_flight={}", connections_.size(), stats_.in_flight);
  check_drained();
}

void server::check_drained() {
  if (!draining_ || !drained_) return;
  bool flushed = true;
  for (auto& [id, c] : connections_) flushed = flushed && c->stream->queued_bytes() == 0;
  bool out_of_time = std::chrono::steady_clock::now() >= drain_deadline_;
  if ((stats_.in_flight == 0 && flushed) || out_of_time) {
    // Taken first: closing a connection calls back into check_drained().
    auto done = std::move(drained_);
    drained_ = nullptr;
    auto open = connections_;  // closing erases from connections_
    for (auto& [id, c] : open) c->stream->close();
    spdlog::info("event=drain_finished in_flight={} timed_out={}", stats_.in_flight, out_of_time);
    done();
    return;
  }
  // Replies still being written: look again shortly (writes complete without telling the server).
  drain_timer_.expires_after(std::chrono::milliseconds(5));
  drain_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) check_drained();
  });
}

server_stats server::stats() const noexcept {
  auto s = stats_;
  s.open_connections = connections_.size();
  return s;
}

}  // namespace ferry::store
