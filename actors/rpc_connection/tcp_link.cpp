// tcp_link: actor-side handle (posts only) and io-side session (owns the socket and the record stream,
// touched only on the io thread). Reply records are copied once out of the read buffer and handed to
// the actor in one message per read, not one per record.
#include "actors/rpc_connection/tcp_link.hpp"

#include <boost/asio.hpp>

#include <caf/send.hpp>

#include <atomic>
#include <memory>
#include <utility>

#include "transport/record_stream.hpp"

namespace ferry::actors {

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// One connection attempt and, once open, the connection. Lives on the io thread.
class tcp_session : public std::enable_shared_from_this<tcp_session> {
 public:
  tcp_session(asio::io_context& io, caf::actor owner, std::uint64_t conn, const tcp_link_options& options)
      : io_(io), owner_(std::move(owner)), conn_(conn), options_(options), resolver_(io), socket_(io) {}

  /// Batches written to their last byte (the io thread counts, the actor reads).
  std::uint64_t written() const noexcept { return written_.load(std::memory_order_acquire); }

  void start() {
    auto self = shared_from_this();
    resolver_.async_resolve(options_.host, std::to_string(options_.port),
                            [self](const boost::system::error_code& ec, tcp::resolver::results_type endpoints) {
                              if (self->silenced_) return;
                              if (ec) return self->report_closed("cannot resolve " + self->options_.host + ": " + ec.message());
                              asio::async_connect(self->socket_, endpoints,
                                                  [self](const boost::system::error_code& err, const tcp::endpoint&) {
                                                    self->connected(err);
                                                  });
                            });
  }

  void send(outgoing_batch batch) {
    if (!stream_) return;
    std::weak_ptr<tcp_session> weak = shared_from_this();
    stream_->send(transport::outgoing_record{std::move(batch.body), std::move(batch.owners), [weak] {
                                               if (auto self = weak.lock()) self->written_.fetch_add(1, std::memory_order_release);
                                             }});
  }

  // Closed by the owner: no event for it.
  void close() {
    silenced_ = true;
    owner_ = nullptr;
    boost::system::error_code ignored;
    resolver_.cancel();
    socket_.close(ignored);
    if (auto stream = std::move(stream_)) stream->close();
  }

 private:
  void connected(const boost::system::error_code& ec) {
    if (silenced_) return;
    if (ec) return report_closed("cannot connect: " + ec.message());
    boost::system::error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
    std::weak_ptr<tcp_session> weak = shared_from_this();
    stream_ = transport::tcp_record_stream::make(
        std::move(socket_), options_.limits,
        [weak](xdr::bytes_view record) {
          if (auto self = weak.lock()) self->take_record(record);
        },
        [weak](const transport::close_reason& why) {
          if (auto self = weak.lock()) self->report_closed(why.describe());
        });
    stream_->keep_read_buffer();  // a store connection is busy: no allocation per read
    stream_->start();
    caf::anon_send(owner_, link_opened{conn_});
  }

  void take_record(xdr::bytes_view record) {
    if (silenced_) return;
    pending_.push_back(std::make_shared<const std::vector<xdr::byte>>(record.begin(), record.end()));
    if (flush_posted_) return;
    // Runs after the stream has delivered every record of this read: one message for all of them.
    flush_posted_ = true;
    asio::post(io_, [self = shared_from_this()] {
      self->flush_posted_ = false;
      self->flush_records();
    });
  }

  void flush_records() {
    if (pending_.empty() || silenced_) return;
    caf::anon_send(owner_, link_records{conn_, std::move(pending_)});
    pending_.clear();
  }

  void report_closed(std::string reason) {
    if (silenced_) return;
    flush_records();  // replies that arrived before the close still count
    caf::anon_send(owner_, link_closed{conn_, std::move(reason)});
    silenced_ = true;
    owner_ = nullptr;
    stream_.reset();  // safe: the stream's running handler holds its own reference
  }

  asio::io_context& io_;
  caf::actor owner_;
  std::uint64_t conn_;
  tcp_link_options options_;
  tcp::resolver resolver_;
  tcp::socket socket_;
  std::shared_ptr<transport::tcp_record_stream> stream_;
  std::vector<shared_bytes> pending_;
  bool flush_posted_ = false;
  bool silenced_ = false;
  std::atomic<std::uint64_t> written_{0};
};

// The actor's side: never touches the session's members, only posts to the io thread.
class tcp_link final : public link {
 public:
  tcp_link(asio::io_context& io, caf::actor owner, tcp_link_options options)
      : io_(io), owner_(std::move(owner)), options_(std::move(options)) {}
  ~tcp_link() override { close(); }

  void open(std::uint64_t conn) override {
    close();
    current_ = std::make_shared<tcp_session>(io_, owner_, conn, options_);
    asio::post(io_, [s = current_] { s->start(); });
  }

  void send(outgoing_batch batch) override {
    if (!current_) return;
    asio::post(io_, [s = current_, b = std::move(batch)]() mutable { s->send(std::move(b)); });
  }

  void close() override {
    if (!current_) return;
    asio::post(io_, [s = std::move(current_)] { s->close(); });
    current_ = nullptr;
  }

  std::optional<std::uint64_t> batches_written() const override {
    return current_ ? current_->written() : 0;
  }

 private:
  asio::io_context& io_;
  caf::actor owner_;
  tcp_link_options options_;
  std::shared_ptr<tcp_session> current_;
};

}  // namespace

link_factory tcp_link_factory(boost::asio::io_context& io, tcp_link_options options) {
  return [&io, options = std::move(options)](caf::actor owner) -> std::unique_ptr<link> {
    return std::make_unique<tcp_link>(io, std::move(owner), options);
  };
}

}  // namespace ferry::actors
