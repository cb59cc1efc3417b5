// tcp_link: actor-side handle (posts only) and io-side session (owns the socket and the record stream,
// touched only on the io thread). Reply records are copied once out of the read buffer and handed to
// the actor in one message per read, not one per record. A reply whose call came with a reply_sink has
// its bulk opaque received straight into the sink (the record keeps the opaque with length 0).
#include "actors/rpc_connection/tcp_link.hpp"

#include <boost/asio.hpp>

#include <caf/send.hpp>

#include <atomic>
#include <cstring>
#include <memory>
#include <unordered_map>
#include <utility>

#include "transport/record_stream.hpp"
#include "xdr/protocol/common.hpp"
#include "xdr/rpc.hpp"

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
    // Known before the call's bytes leave: its reply cannot come first.
    for (auto& [xid, sink] : batch.sinks) sinks_[xid] = std::move(sink);
    std::weak_ptr<tcp_session> weak = shared_from_this();
    stream_->send(transport::outgoing_record{std::move(batch.body), std::move(batch.owners), [weak] {
                                               if (auto self = weak.lock()) self->written_.fetch_add(1, std::memory_order_release);
                                             }});
  }

  /// The call timed out: its sink is written no more (a reply arriving later is received whole).
  void forget(std::uint32_t xid) {
    sinks_.erase(xid);
    if (diverting_ == xid && stream_) stream_->cancel_divert();
  }

  // Closed by the owner: no event for it.
  void close() {
    silenced_ = true;
    sinks_.clear();
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
    stream_->set_divert(
        [weak](xdr::bytes_view head, std::size_t size, transport::divert_plan& plan) {
          auto self = weak.lock();
          return self ? self->divert(head, size, plan) : transport::divert_answer::no;
        },
        [weak](xdr::bytes_view rest, std::size_t at, std::size_t length, bool landed) {
          if (auto self = weak.lock()) self->take_diverted(rest, at, length, landed);
        },
        [weak] {
          auto self = weak.lock();
          return self && !self->sinks_.empty();
        });
    stream_->start();
    caf::anon_send(owner_, link_opened{conn_});
  }

  // Whether the incomplete reply `head` (of `size` payload bytes) goes partly into its call's sink: an
  // accepted, successful reply whose results are OK and carry a bulk opaque that fits the sink.
  transport::divert_answer divert(xdr::bytes_view head, std::size_t size, transport::divert_plan& plan) {
    using answer = transport::divert_answer;
    if (sinks_.empty() || silenced_) return answer::no;
    if (head.size() < 4) return answer::more;
    const auto xid = xdr::load_u32(head.data());
    auto it = sinks_.find(xid);
    if (it == sinks_.end()) return answer::no;
    auto received_whole = [&] {
      sinks_.erase(it);
      return answer::no;
    };
    const bool more_coming = head.size() < size;
    auto reply = xdr::rpc::decode_reply(head);
    if (!reply) return more_coming && head.size() < 1024 ? answer::more : received_whole();
    if (reply->stat != xdr::rpc::reply_stat::accepted || reply->accepted != xdr::rpc::accept_stat::success)
      return received_whole();
    const auto results = reply->results;
    const auto results_at = head.size() - results.size();
    if (results.size() < proto::bulk_opaque_length_at + 4) return more_coming ? answer::more : received_whole();
    if (xdr::load_u32(results.data()) != static_cast<std::uint32_t>(proto::status::ok)) return received_whole();
    const std::size_t length = xdr::load_u32(results.data() + proto::bulk_opaque_length_at);
    const auto at = results_at + proto::bulk_opaque_length_at + 4;
    if (length == 0 || at + length > size || !it->second->claim(length)) return received_whole();
    plan = transport::divert_plan{at, length, it->second->memory(), it->second};
    diverting_ = xid;
    sinks_.erase(it);
    return answer::yes;
  }

  // A diverted reply: the record without the opaque's bytes (and their padding), its length word 0.
  void take_diverted(xdr::bytes_view rest, std::size_t at, std::size_t length, bool landed) {
    diverting_.reset();
    if (silenced_ || !landed) return;  // not landed: its call timed out, the reply is late anyway
    const auto pad = xdr::padded(length) - length;
    auto record = std::make_shared<std::vector<xdr::byte>>();
    record->reserve(rest.size());
    record->insert(record->end(), rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(at));
    std::memset(record->data() + at - 4, 0, 4);
    if (rest.size() > at + pad) record->insert(record->end(), rest.begin() + static_cast<std::ptrdiff_t>(at + pad), rest.end());
    queue(std::move(record), static_cast<std::uint32_t>(length));
  }

  void take_record(xdr::bytes_view record) {
    if (silenced_) return;
    if (!sinks_.empty() && record.size() >= 4) sinks_.erase(xdr::load_u32(record.data()));  // received whole
    queue(std::make_shared<const std::vector<xdr::byte>>(record.begin(), record.end()), 0);
  }

  void queue(shared_bytes record, std::uint32_t diverted) {
    if (diverted != 0 && diverted_.size() < pending_.size()) diverted_.resize(pending_.size(), 0);
    pending_.push_back(std::move(record));
    if (diverted != 0 || !diverted_.empty()) diverted_.push_back(diverted);
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
    caf::anon_send(owner_, link_records{conn_, std::move(pending_), std::move(diverted_)});
    pending_.clear();
    diverted_.clear();
  }

  void report_closed(std::string reason) {
    if (silenced_) return;
    flush_records();  // replies that arrived before the close still count
    caf::anon_send(owner_, link_closed{conn_, std::move(reason)});
    silenced_ = true;
    sinks_.clear();
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
  std::vector<std::uint32_t> diverted_;  // empty, or one per pending_ record (link_records::diverted)
  std::unordered_map<std::uint32_t, reply_sink_ptr> sinks_;  // by xid: calls whose reply may be diverted
  std::optional<std::uint32_t> diverting_;                   // the xid whose opaque is being received
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

  void forget(std::uint32_t xid) override {
    if (current_) asio::post(io_, [s = current_, xid] { s->forget(xid); });
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
