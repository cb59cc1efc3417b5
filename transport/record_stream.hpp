// A record-marked ONC RPC byte stream over one Asio socket (TCP or AF_UNIX): delivers each complete record
// as a view, sends queued records with exactly one gather write in flight, and closes only itself on a
// protocol error. Optionally receives one range of a record's payload straight into memory outside its
// read buffer (set_divert: a bulk reply's value into a client's shared-memory slot). Not thread-safe: use
// it from the thread running its io_context (post to it otherwise).
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

/// Charges a stream's read buffer to a budget shared with others (ferryd's memory budget), so partial
/// records count like complete ones. With a budget the buffer starts at `free_bytes` (never charged) and
/// grows with the bytes a record actually sends, not with what its mark announces; a growth the budget
/// refuses sheds that record: its bytes are read and dropped, and on_shed gets its first payload bytes.
struct read_buffer_budget {
  std::size_t free_bytes = 16 * 1024;
  std::function<bool(std::size_t)> try_acquire;  // null: no budget (a record's whole buffer at its mark)
  std::function<void(std::size_t)> release;
};

/// One record to send. `body` must hold exactly one begin_record()/end_record() pair (or several
/// records); `owners` keep the bytes that body references (large opaques) alive until written.
struct outgoing_record {
  xdr::encoder body;
  std::vector<std::shared_ptr<const void>> owners;
  /// Called on the io thread once the record's last byte is written; never when the stream closes first.
  std::function<void()> written = {};
};

/// Bytes [offset, offset + length) of one record's payload, received straight from the socket into
/// `into` (kept valid by `keep`) instead of into the read buffer: a bulk reply's opaque, into a client's
/// shared-memory slot. Only for single-fragment records (ferry's peers send no others).
struct divert_plan {
  std::size_t offset = 0;
  std::size_t length = 0;
  xdr::byte* into = nullptr;
  std::shared_ptr<const void> keep;
};
/// Asked while a record is incomplete, with its payload bytes so far and its payload size: divert part of
/// it (fill `plan`), not this record, or ask again when more of it is in.
enum class divert_answer : std::uint8_t { no, more, yes };

template <class Protocol>
class record_stream : public std::enable_shared_from_this<record_stream<Protocol>> {
 public:
  using socket_type = typename Protocol::socket;
  using record_handler = std::function<void(xdr::bytes_view)>;
  using close_handler = std::function<void(const close_reason&)>;
  /// A record shed for lack of budget: its first payload bytes (the call header) and its payload size.
  using shed_handler = std::function<void(xdr::bytes_view head, std::size_t payload_size)>;

  using divert_handler = std::function<divert_answer(xdr::bytes_view head, std::size_t payload_size, divert_plan& plan)>;
  /// A diverted record: its payload without the diverted range, where the range was in the payload, its
  /// length, and whether every byte of it reached the plan's memory (false after cancel_divert()).
  using diverted_handler = std::function<void(xdr::bytes_view rest, std::size_t at, std::size_t length, bool landed)>;

  /// Bytes asked of the kernel per read when the buffer has no pending partial record.
  static constexpr std::size_t read_chunk = 64 * 1024;
  /// Bytes asked per read at the start of a record while `armed` says a divert may come: the record mark
  /// (4), an accepted reply's header with an empty verifier (24) and the results up to a GET's or READ's
  /// bulk opaque (40), so that not one byte of the opaque is read into the buffer. A longer verifier
  /// costs another read, or spills a few opaque bytes that are then copied once (divert_copied_bytes).
  static constexpr std::size_t divert_head_read = 4 + 24 + 40;

  static std::shared_ptr<record_stream> make(socket_type socket, xdr::record_limits limits,
                                             record_handler on_record, close_handler on_close,
                                             read_buffer_budget budget = {}, shed_handler on_shed = {}) {
    return std::shared_ptr<record_stream>(new record_stream(std::move(socket), limits, std::move(on_record),
                                                            std::move(on_close), std::move(budget),
                                                            std::move(on_shed)));
  }
  ~record_stream() { release_buffer(); }

  /// Starts reading. Records are delivered to on_record as views valid only during the call.
  void start() { read_more(); }

  /// Keeps the read buffer while nothing is pending, instead of giving it back (the default, for the
  /// thousands of mostly idle client sessions). For the few busy store connections: a 64 KiB buffer
  /// freed and allocated again on every read made glibc consolidate its fast bins each time (a free of
  /// 64 KiB or more does), a fifth of ferryd's CPU under small-op load.
  void keep_read_buffer() noexcept { keep_buffer_ = true; }

  /// Diverts parts of records (see divert_plan): `ask` decides for each incomplete record, `done` gets the
  /// diverted ones instead of on_record. While `armed` returns true, reads at a record's start ask for
  /// divert_head_read bytes only. Before start().
  void set_divert(divert_handler ask, diverted_handler done, std::function<bool()> armed) {
    ask_divert_ = std::move(ask);
    on_diverted_ = std::move(done);
    divert_armed_ = std::move(armed);
  }
  /// The memory of the divert in progress, if any, must not be written any more: the rest of its range is
  /// read and dropped, and the record delivered with landed = false.
  void cancel_divert() {
    if (!divert_ || !divert_->landed) return;
    divert_->landed = false;
    divert_->plan.into = nullptr;
    divert_->plan.keep.reset();
  }
  /// Diverted bytes that had already been read into the buffer when their divert began (copied once).
  std::size_t divert_copied_bytes() const noexcept { return divert_copied_; }
  /// Diverted bytes received straight into a plan's memory.
  std::size_t divert_received_bytes() const noexcept { return divert_received_; }

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
  /// Read-buffer bytes charged to the budget now.
  std::size_t charged_bytes() const noexcept { return charged_; }
  /// Bytes of read buffer held now (0 while an idle stream holds none).
  std::size_t read_buffer_capacity() const noexcept { return capacity_; }

 private:
  record_stream(socket_type socket, xdr::record_limits limits, record_handler on_record,
                close_handler on_close, read_buffer_budget budget, shed_handler on_shed)
      : socket_(std::move(socket)),
        limits_(limits),
        on_record_(std::move(on_record)),
        on_close_(std::move(on_close)),
        budget_(std::move(budget)),
        on_shed_(std::move(on_shed)) {
    boost::system::error_code ignored;
    socket_.non_blocking(true, ignored);  // read_ready's read_some must say would_block, never wait
  }

  // Hands every complete buffered record to on_record, then reads for the next one.
  void deliver_buffered() {
    while (!closed_ && !paused_) {
      if (divert_) {
        if (!finish_divert()) return;
        continue;
      }
      auto scan = xdr::scan_record(xdr::bytes_view{buf_.get() + start_, filled_ - start_}, limits_);
      if (!scan) {
        shut(close_reason{close_reason::kind::protocol_error, {}, scan.error()});
        return;
      }
      if (!scan->complete()) {
        if (ask_divert_ && !decided_ && start_divert()) continue;
        if (!make_room(scan->bytes)) return start_shedding();
        read_more();
        return;
      }
      auto payload = xdr::record_payload(xdr::mutable_bytes{buf_.get() + start_, scan->bytes}, *scan);
      start_ += scan->bytes;
      last_record_ = scan->bytes;
      decided_ = false;
      auto self = this->shared_from_this();  // on_record may drop the last other reference
      on_record_(payload);
    }
  }

  // A divert in progress: false (reading on) until its range and the rest of its record are in; then
  // delivers the record without the range and returns true.
  bool finish_divert() {
    auto& d = *divert_;
    if (d.done < d.plan.length) {
      read_more();
      return false;
    }
    const auto kept = xdr::record_mark_size + d.payload_size - d.plan.length;  // stream bytes left in buf_
    if (filled_ - start_ < kept) {
      make_room(kept);  // no budget on a diverting stream: always grants
      read_more();
      return false;
    }
    auto done = std::move(*divert_);
    divert_.reset();
    xdr::bytes_view rest{buf_.get() + start_ + xdr::record_mark_size, kept - xdr::record_mark_size};
    start_ += kept;
    last_record_ = xdr::record_mark_size + done.payload_size;
    decided_ = false;
    auto self = this->shared_from_this();
    on_diverted_(rest, done.plan.offset, done.plan.length, done.landed);
    return true;
  }

  // Asks whether the incomplete record at start_ is to be diverted; true when its divert has begun.
  bool start_divert() {
    const auto have = filled_ - start_;
    if (have < xdr::record_mark_size) return false;
    const auto* at = buf_.get() + start_;
    const auto mark = xdr::load_u32(at);
    const std::size_t size = mark & ~xdr::last_fragment_bit;
    if ((mark & xdr::last_fragment_bit) == 0 || size > limits_.max_record_size) {
      decided_ = true;  // several fragments: never diverted; too large: scan_record refuses it
      return false;
    }
    const auto head = std::min(have - xdr::record_mark_size, size);
    divert_plan plan;
    switch (ask_divert_(xdr::bytes_view{at + xdr::record_mark_size, head}, size, plan)) {
      case divert_answer::more: return false;
      case divert_answer::no: decided_ = true; return false;
      case divert_answer::yes: break;
    }
    decided_ = true;
    if (plan.into == nullptr || plan.offset > size || plan.length > size - plan.offset || plan.length == 0) return false;
    // The part of the range already read goes over once; the bytes after it (when all of it was read)
    // close up behind the head.
    const auto spill = head > plan.offset ? std::min(head - plan.offset, plan.length) : 0;
    if (spill != 0) {
      auto* range = buf_.get() + start_ + xdr::record_mark_size + plan.offset;
      std::memcpy(plan.into, range, spill);
      std::memmove(range, range + spill, static_cast<std::size_t>(buf_.get() + filled_ - (range + spill)));
      filled_ -= spill;
      divert_copied_ += spill;
    }
    divert_.emplace(active_divert{std::move(plan), size, spill, true});
    return true;
  }

  // After a read_some: false when it read; true when it did not and that is dealt with (no bytes yet: wait
  // again; the peer's close or an error: shut).
  bool read_failed(const boost::system::error_code& ec) {
    if (!ec) return false;
    if (ec == boost::asio::error::would_block || ec == boost::asio::error::try_again) {
      read_more();
    } else {
      auto k = ec == boost::asio::error::eof ? close_reason::kind::peer_closed : close_reason::kind::io_error;
      shut(close_reason{k, ec, std::nullopt});
    }
    return true;
  }

  // Reads the next bytes of a divert's range: into its memory, or dropped once cancelled.
  void read_diverted() {
    auto& d = *divert_;
    const auto want = d.plan.length - d.done;
    boost::system::error_code ec;
    std::size_t n = 0;
    if (d.landed) {
      n = socket_.read_some(boost::asio::buffer(d.plan.into + d.done, want), ec);
    } else {
      if (!scratch_) scratch_.reset(new xdr::byte[read_chunk]);
      n = socket_.read_some(boost::asio::buffer(scratch_.get(), std::min(want, read_chunk)), ec);
    }
    if (read_failed(ec)) return;
    d.done += n;
    if (d.landed) divert_received_ += n;
    deliver_buffered();
  }

  // Makes room for a record of `needed` stream bytes starting at start_. Without a budget: all of it plus
  // one read chunk. With one, reads may use only the charged part of the buffer (`usable_`): room for the
  // next read, doubling when nearly full but never past what the record needs, so a mark announcing
  // 16 MiB costs nothing until the bytes come. The allocation itself is made once for what the record
  // is known to need (pages the socket never writes stay virtual). False when the budget refuses.
  bool make_room(std::size_t needed) {
    if (start_ == filled_) {
      start_ = filled_ = 0;
    } else if (start_ != 0) {
      std::memmove(buf_.get(), buf_.get() + start_, filled_ - start_);
      filled_ -= start_;
      start_ = 0;
    }
    if (!budget_.try_acquire) {
      const auto want = std::max(needed, filled_ + read_chunk);
      if (capacity_ < want) reallocate(want);
      usable_ = capacity_;
      return true;
    }
    const auto room = budget_.free_bytes / 4;
    if (usable_ >= filled_ + room || (usable_ > filled_ && usable_ >= needed)) return true;
    auto want = std::max({budget_.free_bytes, 2 * usable_, filled_ + room});
    if (needed > filled_) want = std::min(want, std::max(needed, budget_.free_bytes));
    const auto charge = want - budget_.free_bytes;
    if (charge > charged_ && !budget_.try_acquire(charge - charged_)) return false;
    charged_ = std::max(charged_, charge);
    if (capacity_ < want) reallocate(std::max(want, needed));
    usable_ = want;
    return true;
  }

  void reallocate(std::size_t capacity) {
    std::unique_ptr<xdr::byte[]> bigger(new xdr::byte[capacity]);  // not zero-filled: the socket writes it
    if (filled_ != 0) std::memcpy(bigger.get(), buf_.get(), filled_);
    buf_ = std::move(bigger);
    capacity_ = capacity;
  }

  // Drops the read buffer and gives its charge back.
  void release_buffer() {
    if (charged_ != 0 && budget_.release) budget_.release(charged_);
    charged_ = 0;
    buf_.reset();
    capacity_ = usable_ = 0;
  }

  // The budget refused the buffer a partial record needs: follow the rest of it without keeping it, then
  // tell on_shed, so the peer gets an answer and the stream stays in step.
  void start_shedding() {
    shedding_.emplace(limits_);
    shed_read_bytes();  // the record is incomplete: everything buffered is its, and it does not end here
    if (closed_) return;
    release_buffer();
    read_more();
  }

  // Feeds what was read to the record being shed; true when it ended (the rest is ordinary records).
  bool shed_read_bytes() {
    auto took = shedding_->feed(xdr::bytes_view{buf_.get() + start_, filled_ - start_});
    if (!took) {
      shut(close_reason{close_reason::kind::protocol_error, {}, took.error()});
      return false;
    }
    start_ += *took;
    if (!shedding_->done()) {
      start_ = filled_ = 0;
      return false;
    }
    auto shed = std::move(*shedding_);
    shedding_.reset();
    auto self = this->shared_from_this();  // on_shed may drop the last other reference
    if (on_shed_) on_shed_(shed.head(), shed.payload_size());
    return !closed_;
  }

  // Waits for the socket to be readable, then reads what it has. Waiting needs no buffer, so a stream
  // with nothing pending holds none: an idle connection costs no read buffer (thousands of idle client
  // sessions). The buffer is given back whenever everything read has been delivered, except a grown
  // one while records are large (a bulk transfer: its next record would need the same size again).
  void read_more() {
    if (closed_ || paused_ || reading_) return;
    if (start_ == filled_) {
      // Kept: a buffer grown for large records while they keep coming; with keep_read_buffer() also an
      // ordinary one (a grown one goes back once records are small again).
      const bool grown = capacity_ > read_chunk, bulk = last_record_ >= read_chunk;
      if (keep_buffer_ ? grown && !bulk : !grown || !bulk) release_buffer();
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
    if (divert_ && divert_->done < divert_->plan.length) return read_diverted();
    const auto low = budget_.try_acquire ? budget_.free_bytes / 4 : read_chunk / 4;
    if (usable_ - filled_ < low && !make_room(filled_ - start_)) {
      // The buffer is full of a partial record and the budget refuses to grow it: shed that record.
      if (!shedding_) return start_shedding();
      if (usable_ == filled_) return shut(close_reason{close_reason::kind::local_close, {}, std::nullopt});
    }
    boost::system::error_code ec;
    auto room = usable_ - filled_;
    if (divert_armed_ && !decided_ && divert_armed_()) room = std::min(room, divert_head_read);
    const auto n = socket_.read_some(boost::asio::buffer(buf_.get() + filled_, room), ec);
    if (read_failed(ec)) return;
    filled_ += n;
    if (shedding_ && !shed_read_bytes()) return closed_ ? void() : read_more();
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
    shedding_.reset();
    divert_.reset();  // its memory is not written any more
    // The read buffer (and its charge) goes once the handler running now, which may still hold a view
    // into it, has returned.
    boost::asio::post(socket_.get_executor(), [self = this->shared_from_this()] { self->release_buffer(); });
    if (on_close_) {
      auto handler = std::move(on_close_);
      handler(why);
    }
  }

  socket_type socket_;
  xdr::record_limits limits_;
  record_handler on_record_;
  close_handler on_close_;
  read_buffer_budget budget_;
  shed_handler on_shed_;
  struct active_divert {
    divert_plan plan;
    std::size_t payload_size = 0;  // of the record diverted from
    std::size_t done = 0;          // bytes of the range read (or dropped, once cancelled)
    bool landed = true;            // false once cancelled
  };
  std::optional<xdr::record_skipper> shedding_;  // the record being read and dropped
  divert_handler ask_divert_;
  diverted_handler on_diverted_;
  std::function<bool()> divert_armed_;
  std::optional<active_divert> divert_;  // the record at start_ has part of its payload going elsewhere
  bool decided_ = false;                 // the record at start_ was asked about (or cannot be diverted)
  std::unique_ptr<xdr::byte[]> scratch_;  // where a cancelled divert's bytes go
  std::size_t divert_copied_ = 0;
  std::size_t divert_received_ = 0;
  std::size_t charged_ = 0;                      // read-buffer bytes charged to budget_
  std::unique_ptr<xdr::byte[]> buf_;  // null while nothing is pending (see read_more)
  std::size_t capacity_ = 0;
  std::size_t usable_ = 0;  // bytes of buf_ reads may fill: all of it, or with a budget its charged part
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
  bool keep_buffer_ = false;
};

using tcp_record_stream = record_stream<boost::asio::ip::tcp>;
using unix_record_stream = record_stream<boost::asio::local::stream_protocol>;

}  // namespace ferry::transport
