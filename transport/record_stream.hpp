// A record-marked ONC RPC byte stream over one Asio socket (TCP or AF_UNIX): delivers each complete record
// as a view, sends queued records with exactly one gather write in flight, and closes only itself on a
// protocol error. Not thread-safe: use it from the thread running its io_context (post to it otherwise).
#pragma once

#include <boost/asio.hpp>

#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "transport/close_reason.hpp"
#include "xdr/encoder.hpp"
#include "xdr/record.hpp"

namespace ferry::transport {

/// One record to send. `body` must hold exactly one begin_record()/end_record() pair (or several
/// records); `owners` keep the bytes that body references (large opaques) alive until written.
struct outgoing_record {
  xdr::encoder body;
  std::vector<std::shared_ptr<const void>> owners;
  /// Called on the io thread once the record's last byte is written; never when the stream closes first.
  std::function<void()> written = {};
};

template <class Protocol>
class record_stream : public std::enable_shared_from_this<record_stream<Protocol>> {
 public:
  using socket_type = typename Protocol::socket;
  using record_handler = std::function<void(xdr::bytes_view)>;
  using close_handler = std::function<void(const close_reason&)>;

  /// Bytes asked of the kernel per read when the buffer has no pending partial record.
  static constexpr std::size_t read_chunk = 64 * 1024;

  static std::shared_ptr<record_stream> make(socket_type socket, xdr::record_limits limits,
                                             record_handler on_record, close_handler on_close) {
    return std::shared_ptr<record_stream>(
        new record_stream(std::move(socket), limits, std::move(on_record), std::move(on_close)));
  }

  /// Starts reading. Records are delivered to on_record as views valid only during the call.
  void start() { read_more(); }

  /// Queues a record; it is written after those queued before it.
  void send(outgoing_record record) {
    if (closed_) return;
    queued_bytes_ += record.body.size();
    queue_.push_back(std::move(record));
    if (!writing_) write_queued();
  }

  /// Stops delivering records (and reading the socket) until resume_reading(): backpressure.
  void pause_reading() { paused_ = true; }
  void resume_reading() {
    if (!paused_ || closed_) return;
    paused_ = false;
    auto self = this->shared_from_this();
    boost::asio::post(socket_.get_executor(), [self] {
      if (!self->closed_ && !self->paused_ && !self->reading_) self->deliver_buffered();
    });
  }

  /// Closes the socket; on_close is called once with local_close unless it was already called.
  void close() { shut(close_reason{close_reason::kind::local_close, {}, std::nullopt}); }

  bool is_open() const noexcept { return !closed_; }
  bool reading_paused() const noexcept { return paused_; }
  /// Bytes queued or in flight for writing.
  std::size_t queued_bytes() const noexcept { return queued_bytes_; }
  socket_type& socket() noexcept { return socket_; }

 private:
  record_stream(socket_type socket, xdr::record_limits limits, record_handler on_record,
                close_handler on_close)
      : socket_(std::move(socket)),
        limits_(limits),
        on_record_(std::move(on_record)),
        on_close_(std::move(on_close)) {
    boost::system::error_code ignored;
    socket_.non_blocking(true, ignored);  // read_ready's read_some must say would_block, never wait
  }

  // Hands every complete buffered record to on_record, then reads for the next one.
  void deliver_buffered() {
    while (!closed_ && !paused_) {
      auto scan = xdr::scan_record(xdr::bytes_view{buf_.get() + start_, filled_ - start_}, limits_);
      if (!scan) {
        shut(close_reason{close_reason::kind::protocol_error, {}, scan.error()});
        return;
      }
      if (!scan->complete()) {
        make_room(scan->bytes);
        read_more();
        return;
      }
      auto payload = xdr::record_payload(xdr::mutable_bytes{buf_.get() + start_, scan->bytes}, *scan);
      start_ += scan->bytes;
      last_record_ = scan->bytes;
      auto self = this->shared_from_this();  // on_record may drop the last other reference
      on_record_(payload);
    }
  }

  // Makes room for a record of `needed` stream bytes starting at start_, plus one read chunk.
  void make_room(std::size_t needed) {
    if (start_ == filled_) {
      start_ = filled_ = 0;
    } else if (start_ != 0) {
      std::memmove(buf_.get(), buf_.get() + start_, filled_ - start_);
      filled_ -= start_;
      start_ = 0;
    }
    auto want = std::max(needed, filled_ + read_chunk);
    if (capacity_ >= want) return;
    std::unique_ptr<xdr::byte[]> bigger(new xdr::byte[want]);  // not zero-filled: the socket writes it
    if (filled_ != 0) std::memcpy(bigger.get(), buf_.get(), filled_);
    buf_ = std::move(bigger);
    capacity_ = want;
  }

  // Waits for the socket to be readable, then reads what it has. Waiting needs no buffer, so a stream
  // with nothing pending holds none: an idle connection costs no read buffer (thousands of idle client
  // sessions). The buffer is given back whenever everything read has been delivered, except a grown
  // one while records are large (a bulk transfer: its next record would need the same size again).
  void read_more() {
    if (closed_ || paused_ || reading_) return;
    if (start_ == filled_ && (capacity_ <= read_chunk || last_record_ < read_chunk)) {
      buf_.reset();
      capacity_ = 0;
      start_ = filled_ = 0;
    }
    reading_ = true;
    auto self = this->shared_from_this();
    socket_.async_wait(socket_type::wait_read, [self](const boost::system::error_code& ec) {
      self->reading_ = false;
      if (self->closed_) return;
      if (ec) return self->shut(close_reason{close_reason::kind::io_error, ec, std::nullopt});
      self->read_ready();
    });
  }

  void read_ready() {
    if (capacity_ - filled_ < read_chunk / 4) make_room(filled_ - start_);
    boost::system::error_code ec;
    const auto n = socket_.read_some(boost::asio::buffer(buf_.get() + filled_, capacity_ - filled_), ec);
    if (ec == boost::asio::error::would_block || ec == boost::asio::error::try_again) return read_more();
    if (ec) {
      auto k = ec == boost::asio::error::eof ? close_reason::kind::peer_closed : close_reason::kind::io_error;
      return shut(close_reason{k, ec, std::nullopt});
    }
    filled_ += n;
    deliver_buffered();
  }

  void write_queued() {
    in_flight_.clear();
    buffers_.clear();
    while (!queue_.empty()) {
      in_flight_.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    for (const auto& r : in_flight_)
      for (auto v : r.body.views()) buffers_.emplace_back(v.data(), v.size());
    writing_ = true;
    auto self = this->shared_from_this();
    boost::asio::async_write(socket_, buffers_, [self](const boost::system::error_code& ec, std::size_t n) {
      self->writing_ = false;
      self->queued_bytes_ -= n;
      if (self->closed_) {
        self->in_flight_.clear();
        return;
      }
      if (ec) {
        self->in_flight_.clear();
        self->shut(close_reason{close_reason::kind::io_error, ec, std::nullopt});
        return;
      }
      auto done = std::move(self->in_flight_);
      self->in_flight_.clear();
      for (auto& r : done)
        if (r.written) r.written();
      if (!self->writing_ && !self->closed_ && !self->queue_.empty()) self->write_queued();
    });
  }

  void shut(close_reason why) {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ignored;
    socket_.shutdown(socket_type::shutdown_both, ignored);
    socket_.close(ignored);
    queue_.clear();
    if (on_close_) {
      auto handler = std::move(on_close_);
      handler(why);
    }
  }

  socket_type socket_;
  xdr::record_limits limits_;
  record_handler on_record_;
  close_handler on_close_;
  std::unique_ptr<xdr::byte[]> buf_;  // null while nothing is pending (see read_more)
  std::size_t capacity_ = 0;
  std::size_t last_record_ = 0;  // stream bytes of the last record delivered
  std::size_t start_ = 0;   // first byte not yet delivered
  std::size_t filled_ = 0;  // bytes read into buf_
  std::deque<outgoing_record> queue_;
  std::vector<outgoing_record> in_flight_;
  std::vector<boost::asio::const_buffer> buffers_;
  std::size_t queued_bytes_ = 0;
  bool reading_ = false;
  bool writing_ = false;
  bool paused_ = false;
  bool closed_ = false;
};

using tcp_record_stream = record_stream<boost::asio::ip::tcp>;
using unix_record_stream = record_stream<boost::asio::local::stream_protocol>;

}  // namespace ferry::transport
