// socket_io: actor-side handle (posts only) and io-side core (owns the record stream, the flow gate and
// the budget checks; touched only on its socket's io thread). Same split as rpc_connection's tcp_link.
#include "actors/session/socket_io.hpp"

#include <boost/asio/post.hpp>

#include <caf/send.hpp>

#include <string>
#include <type_traits>
#include <utility>

#include "actors/session/fd_socket.hpp"
#include "actors/session/status_reply.hpp"
#include "xdr/codec.hpp"
#include "xdr/protocol/client.hpp"
#include "xdr/rpc.hpp"

namespace ferry::actors {

namespace {

namespace asio = boost::asio;

template <class Protocol>
class io_core : public std::enable_shared_from_this<io_core<Protocol>> {
 public:
  using socket_type = typename Protocol::socket;
  using stream_type = transport::record_stream<Protocol>;

  io_core(socket_type socket, caf::actor owner, socket_io_options options)
      : executor_(socket.get_executor()),
        socket_(std::move(socket)),
        owner_(std::move(owner)),
        options_(std::move(options)),
        gate_(options_.flow) {
    options_.budget->session_opened();
  }
  ~io_core() {
    options_.budget->calls_done(gate_.calls());  // calls never answered: their client is gone
    options_.budget->session_closed();
  }

  auto executor() const { return executor_; }

  void start() {
    std::weak_ptr<io_core> weak = this->shared_from_this();
    stream_ = stream_type::make(
        std::move(socket_), options_.limits,
        [weak](xdr::bytes_view record) {
          if (auto self = weak.lock()) self->take_record(record);
        },
        [weak](const transport::close_reason& why) {
          if (auto self = weak.lock()) self->report_closed(why.describe());
        },
        read_budget(),
        [weak](xdr::bytes_view head, std::size_t payload_size) {
          if (auto self = weak.lock()) self->shed(head, payload_size);
        });
    stream_->start();
  }

  void send(transport::outgoing_record reply, std::uint64_t request_bytes) {
    if (!stream_) return;
    std::weak_ptr<io_core> weak = this->shared_from_this();
    reply.written = [weak, request_bytes] {
      if (auto self = weak.lock()) self->answered(request_bytes);
    };
    stream_->send(std::move(reply));
  }

  void close() {
    silenced_ = true;
    owner_ = nullptr;
    if (auto stream = std::move(stream_)) stream->close();
  }

 private:
  void take_record(xdr::bytes_view record) {
    if (silenced_) return;
    if (options_.budget->draining())
      return refuse(record, proto::status::shutting_down, "ferryd is shutting down; retry when it is back");
    auto copy = options_.budget->copy_accounted(record);
    if (!copy) {
      return refuse(record, proto::status::overloaded,
                    "ferryd memory budget exhausted (" + std::to_string(options_.budget->used()) + " of " +
                        std::to_string(options_.budget->limit()) + " bytes held by requests); retry later");
    }
    take(record.size());
    if constexpr (std::is_same_v<Protocol, fd_passing_protocol>) {
      if (stream_->socket().has_descriptor() && attach_with_descriptor(record, copy)) return;
    }
    pending_.push_back(std::move(copy));
    if (flush_posted_) return;
    // Runs after the stream has delivered every record of this read: one message for all of them.
    flush_posted_ = true;
    asio::post(executor_, [self = this->shared_from_this()] {
      self->flush_posted_ = false;
      self->flush_records();
    });
  }

  // An FC_SHM_ATTACH call with the descriptor that came with it: the region is checked and mapped here
  // (the io side owns descriptors) and goes to the actor after the records read before it.
  bool attach_with_descriptor(xdr::bytes_view record, shared_bytes& copy) {
    auto call = xdr::rpc::decode_call(record);
    if (!call || call->header.prog != proto::client::program || call->header.vers != proto::client::version ||
        call->header.proc != static_cast<std::uint32_t>(proto::client::shm_proc::attach))
      return false;
    auto args = xdr::decode<proto::client::shm_attach_args>(call->args);
    if (!args) return false;  // the actor answers GARBAGE_ARGS
    auto fd = stream_->socket().take_descriptor();
    auto result = session::shm::attach_region(std::move(*fd), args->size, options_.shm, options_.budget);
    flush_records();
    caf::anon_send(owner_, session_shm_attach{std::move(copy), std::move(result)});
    return true;
  }

  // The read buffer of a partial record is charged to the daemon's budget like a complete record: a
  // client sending (or pretending to send) a large record holds only what it has actually sent.
  transport::read_buffer_budget read_budget() const {
    transport::read_buffer_budget b;
    b.try_acquire = [budget = options_.budget](std::size_t n) { return budget->try_acquire(n); };
    b.release = [budget = options_.budget](std::size_t n) { budget->release(n); };
    return b;
  }

  // The budget could not hold a record while it arrived: the stream read and dropped it; its call is
  // answered OVERLOADED like a complete record the budget refuses.
  void shed(xdr::bytes_view head, std::size_t payload_size) {
    if (silenced_) return;
    refuse(head, proto::status::overloaded,
           "ferryd memory budget exhausted while receiving a " + std::to_string(payload_size) + "-byte request (" +
               std::to_string(options_.budget->used()) + " of " + std::to_string(options_.budget->limit()) +
               " bytes held); retry later");
  }

  // The daemon's memory budget is spent, or ferryd is draining: the call is answered here with `code`
  // (it still counts as one call in flight until the answer is written, so a client ignoring answers is
  // paused, not queued for).
  void refuse(xdr::bytes_view record, proto::status code, const std::string& detail) {
    auto call = xdr::rpc::decode_call(record);
    if (!call) return stream_->close();  // not even a call: the actor would close the session too
    ++refused_;
    take(0);
    send(status_only_reply(call->header.xid, call->header.proc, code, detail), 0);
  }

  void take(std::uint64_t request_bytes) {
    options_.budget->calls_taken(1);
    if (gate_.take(request_bytes)) stream_->pause_reading();
  }

  void answered(std::uint64_t request_bytes) {
    options_.budget->calls_done(1);
    if (gate_.give_back(request_bytes) && stream_) stream_->resume_reading();
  }

  void flush_records() {
    if (pending_.empty() || silenced_) return;
    caf::anon_send(owner_, session_records{std::move(pending_)});
    pending_.clear();
  }

  void report_closed(std::string reason) {
    if (silenced_) return;
    flush_records();
    caf::anon_send(owner_, session_closed{std::move(reason)});
    silenced_ = true;
    owner_ = nullptr;
    stream_.reset();
  }

  typename socket_type::executor_type executor_;
  socket_type socket_;
  caf::actor owner_;
  socket_io_options options_;
  session::flow_gate gate_;
  std::shared_ptr<stream_type> stream_;
  std::vector<shared_bytes> pending_;
  std::uint64_t refused_ = 0;
  bool flush_posted_ = false;
  bool silenced_ = false;
};

// The actor's side: never touches the core's members, only posts to its io thread.
template <class Protocol>
class socket_io final : public session_io {
 public:
  socket_io(typename Protocol::socket socket, caf::actor owner, socket_io_options options)
      : core_(std::make_shared<io_core<Protocol>>(std::move(socket), std::move(owner), std::move(options))) {}
  ~socket_io() override { close(); }

  void start() override {
    if (core_) asio::post(core_->executor(), [c = core_] { c->start(); });
  }
  void send(transport::outgoing_record reply, std::uint64_t request_bytes) override {
    if (!core_) return;
    asio::post(core_->executor(), [c = core_, r = std::move(reply), request_bytes]() mutable {
      c->send(std::move(r), request_bytes);
    });
  }
  void close() override {
    if (!core_) return;
    auto executor = core_->executor();
    asio::post(executor, [c = std::move(core_)] { c->close(); });
  }

 private:
  std::shared_ptr<io_core<Protocol>> core_;
};

}  // namespace

session_io_factory socket_io_factory(accepted_connection conn, socket_io_options options) {
  return [conn = std::move(conn), options = std::move(options)](caf::actor owner) mutable -> std::unique_ptr<session_io> {
    if (conn.unix_socket) {
      auto socket = std::move(*conn.unix_socket);
      conn.unix_socket.reset();
      return std::make_unique<socket_io<fd_passing_protocol>>(fd_passing_socket(std::move(socket)), std::move(owner),
                                                              options);
    }
    if (conn.tcp_socket) {
      auto socket = std::move(*conn.tcp_socket);
      conn.tcp_socket.reset();
      return std::make_unique<socket_io<asio::ip::tcp>>(std::move(socket), std::move(owner), options);
    }
    return nullptr;
  };
}

}  // namespace ferry::actors
