// record_stream over AF_UNIX socket pairs: records delivered whole and in order, limits that close only the
// offending stream, gather writes without copies, pipelined sends, backpressure. Driven by running the
// io_context until a condition holds (bounded), never by sleeping.
#include <catch2/catch.hpp>

#include <boost/asio/local/connect_pair.hpp>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "transport/record_stream.hpp"

using namespace ferry;
using namespace ferry::transport;
using boost::asio::local::stream_protocol;
using bytes = std::vector<xdr::byte>;

namespace {

struct collected {
  std::vector<std::string> records;
  std::optional<close_reason> closed;
};

struct pair_fixture {
  boost::asio::io_context ioc;

  // A stream on one end of a socket pair; the other end is returned raw for the test to drive.
  std::shared_ptr<unix_record_stream> make_stream(stream_protocol::socket& raw, collected& out,
                                                  xdr::record_limits limits = {}) {
    stream_protocol::socket ours(ioc);
    raw = stream_protocol::socket(ioc);
    boost::asio::local::connect_pair(ours, raw);
    auto s = unix_record_stream::make(
        std::move(ours), limits, [&out](xdr::bytes_view r) { out.records.emplace_back(xdr::as_chars(r)); },
        [&out](const close_reason& why) { out.closed = why; });
    s->start();
    return s;
  }

  // Runs handlers until pred() holds; fails the test if it does not within a generous bound.
  template <class Pred>
  void run_until(Pred pred) {
    auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);  // a bound, not a timing
    while (!pred() && std::chrono::steady_clock::now() < give_up) {
      if (ioc.stopped()) ioc.restart();  // an io_context that ran out of work stays stopped otherwise
      ioc.run_one_for(std::chrono::seconds(2));
    }
    REQUIRE(pred());
  }

  // Runs every handler that is ready now, until none is (the kernel has already queued the bytes).
  void drain_ready() {
    for (int i = 0; i < 1000; ++i) {
      if (ioc.stopped()) ioc.restart();
      if (ioc.poll() == 0) break;
    }
  }
};

void write_raw(stream_protocol::socket& s, const bytes& b) { boost::asio::write(s, boost::asio::buffer(b)); }

bytes framed(const std::string& payload, std::uint32_t fragment = 0x7FFFFFFF) {
  return xdr::frame_record(xdr::as_bytes(payload), fragment);
}

outgoing_record record_of(const std::string& payload) {
  outgoing_record r;
  r.body.begin_record();
  r.body.fixed_opaque(xdr::as_bytes(payload));
  r.body.end_record();
  return r;
}

}  // namespace

TEST_CASE_METHOD(pair_fixture, "records written in one burst arrive one by one and in order", "[transport]") {
  stream_protocol::socket peer(ioc);
  collected got;
  auto s = make_stream(peer, got);
  bytes burst;
  for (const auto& [text, frag] : {std::pair<std::string, std::uint32_t>{"first", 100}, {"second record", 3},
                                   {"", 1}, {"fourth", 2}}) {
    auto f = framed(text, frag);
    burst.insert(burst.end(), f.begin(), f.end());
  }
  write_raw(peer, burst);
  run_until([&] { return got.records.size() == 4; });
  CHECK(got.records == std::vector<std::string>{"first", "second record", "", "fourth"});
  CHECK_FALSE(got.closed);
  s->close();
}

TEST_CASE_METHOD(pair_fixture, "an idle stream gives its read buffer back unless told to keep it, and a grown one always",
                 "[transport]") {
  stream_protocol::socket idle_peer(ioc), busy_peer(ioc);
  collected idle_got, busy_got;
  auto idle = make_stream(idle_peer, idle_got);
  auto busy = make_stream(busy_peer, busy_got);
  busy->keep_read_buffer();
  write_raw(idle_peer, framed("small"));
  write_raw(busy_peer, framed("small"));
  run_until([&] { return idle_got.records.size() == 1 && busy_got.records.size() == 1; });
  drain_ready();
  CHECK(idle->read_buffer_capacity() == 0);  // thousands of idle client sessions hold no buffer
  CHECK(busy->read_buffer_capacity() == unix_record_stream::read_chunk);  // a store connection keeps one
  // A buffer grown for a large record stays while large records come, and goes once a small one follows.
  const std::string large(300'000, 'x');
  const auto large_record = framed(large);  // more than the socket pair buffers: written while the stream reads
  boost::asio::async_write(busy_peer, boost::asio::buffer(large_record), [](const boost::system::error_code&, std::size_t) {});
  run_until([&] { return busy_got.records.size() == 2; });
  drain_ready();
  CHECK(busy->read_buffer_capacity() > unix_record_stream::read_chunk);
  write_raw(busy_peer, framed("small again"));
  run_until([&] { return busy_got.records.size() == 3; });
  drain_ready();
  CHECK(busy->read_buffer_capacity() == 0);
  CHECK(busy_got.records.back() == "small again");
  idle->close();
  busy->close();
}

TEST_CASE_METHOD(pair_fixture, "a record arriving byte by byte is delivered once complete", "[transport]") {
  stream_protocol::socket peer(ioc);
  collected got;
  auto s = make_stream(peer, got);
  auto f = framed("dribbled", 3);
  for (std::size_t i = 0; i < f.size(); ++i) {
    write_raw(peer, bytes{f[i]});
    drain_ready();
    if (i + 1 < f.size()) REQUIRE(got.records.empty());
  }
  run_until([&] { return got.records.size() == 1; });
  CHECK(got.records[0] == "dribbled");
  s->close();
}

TEST_CASE_METHOD(pair_fixture, "an oversized record header closes only its own stream", "[transport]") {
  stream_protocol::socket bad_peer(ioc), good_peer(ioc);
  collected bad, good;
  auto bad_stream = make_stream(bad_peer, bad, {.max_record_size = 1024, .max_fragments = 16});
  auto good_stream = make_stream(good_peer, good, {.max_record_size = 1024, .max_fragments = 16});
  write_raw(bad_peer, bytes{0xff, 0xff, 0xff, 0xff});
  write_raw(good_peer, framed("still served"));
  run_until([&] { return bad.closed.has_value() && good.records.size() == 1; });
  CHECK(bad.closed->what == close_reason::kind::protocol_error);
  REQUIRE(bad.closed->codec);
  CHECK(bad.closed->codec->code == xdr::errc::record_too_large);
  CHECK(bad.closed->describe() == "protocol error: record_too_large at byte 0");
  CHECK_FALSE(bad_stream->is_open());
  CHECK(good_stream->is_open());
  CHECK(good.records[0] == "still served");
  good_stream->close();
}

TEST_CASE_METHOD(pair_fixture, "a peer stalled inside a record does not stall another stream", "[transport]") {
  stream_protocol::socket slow_peer(ioc), fast_peer(ioc);
  collected slow, fast;
  auto slow_stream = make_stream(slow_peer, slow);
  auto fast_stream = make_stream(fast_peer, fast);
  auto partial = framed(std::string(1000, 'x'));
  partial.resize(500);  // header promises 1000 bytes; only part arrives
  write_raw(slow_peer, partial);
  for (int i = 0; i < 10; ++i) write_raw(fast_peer, framed("call " + std::to_string(i)));
  run_until([&] { return fast.records.size() == 10; });
  CHECK(slow.records.empty());
  CHECK(slow_stream->is_open());
  slow_stream->close();
  fast_stream->close();
}

TEST_CASE_METHOD(pair_fixture, "a 1 MiB payload is gathered from the caller's buffer and arrives intact",
                 "[transport][zero-copy]") {
  stream_protocol::socket a_raw(ioc), b_raw(ioc);
  collected a_got, b_got;
  auto a = make_stream(a_raw, a_got);  // a_raw is the other end of a
  // Build a second stream on the raw end so both ends speak records.
  auto b = unix_record_stream::make(
      std::move(a_raw), {}, [&b_got](xdr::bytes_view r) { b_got.records.emplace_back(xdr::as_chars(r)); },
      [&b_got](const close_reason& why) { b_got.closed = why; });
  b->start();
  auto payload = std::make_shared<std::vector<xdr::byte>>(1 << 20);
  for (std::size_t i = 0; i < payload->size(); ++i) (*payload)[i] = static_cast<xdr::byte>(i % 253);
  outgoing_record r;
  r.body.begin_record();
  r.body.opaque(*payload);
  r.body.end_record();
  r.owners.push_back(payload);
  CHECK(r.body.payload_bytes_copied() == 0);
  auto views = r.body.views();
  REQUIRE(views.size() == 2);
  CHECK(views[1].data() == payload->data());  // the payload segment is the caller's memory
  a->send(std::move(r));
  // Delivered to b, and a's write completion has run (the two handlers may run in either order).
  run_until([&] { return b_got.records.size() == 1 && a->queued_bytes() == 0; });
  const auto& got = b_got.records[0];
  REQUIRE(got.size() == 4 + payload->size());
  CHECK(std::memcmp(got.data() + 4, payload->data(), payload->size()) == 0);
  CHECK(a->queued_bytes() == 0);
  a->close();
  b->close();
}

TEST_CASE_METHOD(pair_fixture, "records sent back to back are written in order behind one write",
                 "[transport]") {
  stream_protocol::socket raw(ioc);
  collected unused;
  auto sender = make_stream(raw, unused);
  collected got;
  auto receiver = unix_record_stream::make(
      std::move(raw), {}, [&got](xdr::bytes_view r) { got.records.emplace_back(xdr::as_chars(r)); },
      [&got](const close_reason& why) { got.closed = why; });
  receiver->start();
  for (int i = 0; i < 1000; ++i) sender->send(record_of("msg" + std::to_string(i)));
  run_until([&] { return got.records.size() == 1000; });
  bool in_order = true;
  for (int i = 0; i < 1000; ++i) {
    auto expect = "msg" + std::to_string(i);
    expect.resize((expect.size() + 3) & ~std::size_t{3}, '\0');
    in_order = in_order && got.records[static_cast<std::size_t>(i)] == expect;
  }
  CHECK(in_order);
  sender->close();
  receiver->close();
}

TEST_CASE_METHOD(pair_fixture, "pause_reading holds records back until resume_reading", "[transport]") {
  stream_protocol::socket peer(ioc), ours(ioc);
  boost::asio::local::connect_pair(ours, peer);
  collected got;
  std::shared_ptr<unix_record_stream> s;
  // The handler pauses its own stream after each record, as a session over its in-flight limit would.
  s = unix_record_stream::make(
      std::move(ours), {},
      [&](xdr::bytes_view r) {
        got.records.emplace_back(xdr::as_chars(r));
        s->pause_reading();
      },
      [&](const close_reason& why) { got.closed = why; });
  s->start();
  bytes burst = framed("one");
  auto second = framed("two");
  burst.insert(burst.end(), second.begin(), second.end());
  write_raw(peer, burst);
  run_until([&] { return got.records.size() == 1; });
  drain_ready();
  CHECK(got.records.size() == 1);  // "two" is buffered but held back
  CHECK(s->reading_paused());
  s->resume_reading();
  run_until([&] { return got.records.size() == 2; });
  CHECK(got.records[1] == "two");
  s->close();
  s.reset();  // breaks the cycle through the handler's capture
}

TEST_CASE_METHOD(pair_fixture, "a peer that hangs up is reported once as peer_closed", "[transport]") {
  stream_protocol::socket peer(ioc);
  collected got;
  int closes = 0;
  stream_protocol::socket ours(ioc);
  boost::asio::local::connect_pair(ours, peer);
  auto s = unix_record_stream::make(
      std::move(ours), {}, [](xdr::bytes_view) {},
      [&](const close_reason& why) {
        ++closes;
        got.closed = why;
      });
  s->start();
  peer.close();
  run_until([&] { return got.closed.has_value(); });
  CHECK(got.closed->what == close_reason::kind::peer_closed);
  s->close();
  drain_ready();
  CHECK(closes == 1);
}

// ---- read buffers charged to a shared budget ----

namespace {

/// A budget as ferryd's memory_budget keeps it, single-threaded here.
struct test_budget {
  std::size_t limit = 0;
  std::size_t used = 0;
  std::size_t peak = 0;
  read_buffer_budget hooks(std::size_t free_bytes = 16 * 1024) {
    read_buffer_budget b;
    b.free_bytes = free_bytes;
    b.try_acquire = [this](std::size_t n) {
      if (used + n > limit) return false;
      used += n;
      peak = std::max(peak, used);
      return true;
    };
    b.release = [this](std::size_t n) { used -= n; };
    return b;
  }
};

/// Writes `b` from the io_context (a blocking write would wait for a stream the test is not running).
void write_async(stream_protocol::socket& s, bytes b) {
  auto keep = std::make_shared<bytes>(std::move(b));
  boost::asio::async_write(s, boost::asio::buffer(*keep), [keep](const boost::system::error_code&, std::size_t) {});
}

struct shed_record {
  std::string head;
  std::size_t size = 0;
};

std::shared_ptr<unix_record_stream> budgeted_stream(boost::asio::io_context& ioc, stream_protocol::socket& raw,
                                                    collected& out, test_budget& budget,
                                                    std::vector<shed_record>& shed) {
  stream_protocol::socket ours(ioc);
  raw = stream_protocol::socket(ioc);
  boost::asio::local::connect_pair(ours, raw);
  auto s = unix_record_stream::make(
      std::move(ours), {}, [&out](xdr::bytes_view r) { out.records.emplace_back(xdr::as_chars(r)); },
      [&out](const close_reason& why) { out.closed = why; }, budget.hooks(),
      [&shed](xdr::bytes_view head, std::size_t size) { shed.push_back({std::string(xdr::as_chars(head)), size}); });
  s->start();
  return s;
}

}  // namespace

TEST_CASE_METHOD(pair_fixture, "a record's read buffer is charged as its bytes arrive, not as its mark announces",
                 "[transport][budget]") {
  test_budget budget{8u << 20};
  std::vector<shed_record> shed;
  stream_protocol::socket raw(ioc);
  collected out;
  auto s = budgeted_stream(ioc, raw, out, budget, shed);
  const std::string payload(1u << 20, 'p');
  auto wire = framed(payload);
  write_async(raw, bytes(wire.begin(), wire.begin() + 4 + 1000));  // the mark announces 1 MiB; 1000 bytes come
  drain_ready();
  CHECK(s->charged_bytes() == 0);  // within the free 16 KiB
  write_async(raw, bytes(wire.begin() + 4 + 1000, wire.begin() + 4 + 200'000));
  run_until([&] { return s->charged_bytes() >= 200'000 - 16 * 1024; });
  CHECK(s->charged_bytes() < 2 * 200'000);  // doubling: at most twice what came
  CHECK(budget.used == s->charged_bytes());
  write_async(raw, bytes(wire.begin() + 4 + 200'000, wire.end()));
  run_until([&] { return out.records.size() == 1; });
  CHECK(out.records.front() == payload);
  CHECK(budget.peak <= wire.size());
  CHECK(shed.empty());
  s->close();
  drain_ready();
  CHECK(budget.used == 0);  // the buffer's charge goes back once the stream is closed
}

TEST_CASE_METHOD(pair_fixture, "a record the budget cannot hold is read and dropped, and the records after it arrive",
                 "[transport][budget]") {
  test_budget budget{100u << 10};
  std::vector<shed_record> shed;
  stream_protocol::socket raw(ioc);
  collected out;
  auto s = budgeted_stream(ioc, raw, out, budget, shed);
  std::string big(300u << 10, 'b');
  std::memcpy(big.data(), "HEAD", 4);
  auto wire = framed(big, 64u << 10);  // five fragments
  const auto after = framed("after");
  wire.insert(wire.end(), after.begin(), after.end());
  write_async(raw, wire);
  run_until([&] { return out.records.size() == 1; });
  REQUIRE(shed.size() == 1);
  CHECK(shed.front().size == big.size());
  CHECK(shed.front().head == big.substr(0, 1024));
  CHECK(out.records.front() == "after");
  CHECK_FALSE(out.closed);
  CHECK(budget.peak <= budget.limit);
  CHECK(budget.used == s->charged_bytes());
}

TEST_CASE_METHOD(pair_fixture, "two streams sharing a budget: the one that fits is delivered, the other shed",
                 "[transport][budget]") {
  test_budget budget{200u << 10};
  std::vector<shed_record> shed;
  stream_protocol::socket raw_a(ioc), raw_b(ioc);
  collected out_a, out_b;
  auto a = budgeted_stream(ioc, raw_a, out_a, budget, shed);
  auto b = budgeted_stream(ioc, raw_b, out_b, budget, shed);
  const std::string payload(150u << 10, 'x');
  auto wire = framed(payload);
  write_async(raw_a, bytes(wire.begin(), wire.end() - 1));  // a holds all but its last byte
  run_until([&] { return a->charged_bytes() > (100u << 10); });
  write_async(raw_b, wire);  // b cannot get the room a holds
  run_until([&] { return shed.size() == 1; });
  CHECK(shed.front().size == payload.size());
  CHECK(out_b.records.empty());
  write_async(raw_a, bytes(wire.end() - 1, wire.end()));
  run_until([&] { return out_a.records.size() == 1; });
  CHECK(out_a.records.front() == payload);
  CHECK(budget.peak <= budget.limit);
}

// ---- diverting part of a record into memory outside the read buffer (issue 12: downloads into slots) ----

namespace {

/// A record payload of `head` bytes, a range of `range` bytes, `tail` bytes; each part a distinct pattern.
std::string divertible(std::size_t head, std::size_t range, std::size_t tail) {
  std::string p;
  for (std::size_t i = 0; i < head; ++i) p.push_back(static_cast<char>('h' + i % 7));
  for (std::size_t i = 0; i < range; ++i) p.push_back(static_cast<char>(i * 31 % 251));
  for (std::size_t i = 0; i < tail; ++i) p.push_back(static_cast<char>('t' + i % 5));
  return p;
}

/// Writes `b` without blocking the test: large writes need the stream's reads, which run in run_until.
void write_async(stream_protocol::socket& s, std::shared_ptr<const bytes> b, bool& done) {
  boost::asio::async_write(s, boost::asio::buffer(*b), [b, &done](const boost::system::error_code& ec, std::size_t) {
    REQUIRE_FALSE(ec);
    done = true;
  });
}

struct divert_probe {
  std::size_t head = 64;
  std::size_t length = 0;
  std::vector<xdr::byte> target;  // starts all 0xEE
  explicit divert_probe(std::size_t n) : length(n), target(n, 0xEE) {}
  std::size_t asked = 0;
  bool refuse = false;
  struct delivered {
    std::string rest;
    std::size_t at = 0, length = 0;
    bool landed = false;
  };
  std::vector<delivered> diverted;

  void attach(unix_record_stream& s, bool armed) {
    s.set_divert(
        [this](xdr::bytes_view h, std::size_t size, divert_plan& plan) {
          ++asked;
          if (refuse) return divert_answer::no;
          if (h.size() < head) return divert_answer::more;
          REQUIRE(size >= head + length);
          plan = divert_plan{head, length, target.data(), nullptr};
          return divert_answer::yes;
        },
        [this](xdr::bytes_view rest, std::size_t at, std::size_t len, bool landed) {
          diverted.push_back({std::string(xdr::as_chars(rest)), at, len, landed});
        },
        [armed] { return armed; });
  }
};

/// A stream on a socket pair whose records `probe` may divert; `raw` is the peer's end.
struct divert_setup {
  stream_protocol::socket raw;
  collected out;
  std::shared_ptr<unix_record_stream> s;
  divert_probe probe;
  divert_setup(pair_fixture& f, std::size_t length, bool armed) : raw(f.ioc), probe(length) {
    s = f.make_stream(raw, out);
    probe.attach(*s, armed);
  }
};

}  // namespace

TEST_CASE_METHOD(pair_fixture, "an armed stream reads a record's head alone and receives its range straight into the target",
                 "[transport][divert]") {
  divert_setup ds(*this, 300000, true);
  auto& [raw, out, s, probe] = ds;
  const auto payload = divertible(64, probe.length, 12);
  auto both = framed(payload);
  const auto after = framed("an ordinary record after it");
  both.insert(both.end(), after.begin(), after.end());
  bool sent = false;
  write_async(raw, std::make_shared<const bytes>(std::move(both)), sent);
  run_until([&] { return sent && probe.diverted.size() == 1 && out.records.size() == 1; });
  const auto& d = probe.diverted[0];
  CHECK(d.landed);
  CHECK(d.at == 64);
  CHECK(d.length == probe.length);
  CHECK(d.rest == payload.substr(0, 64) + payload.substr(64 + probe.length));
  CHECK(std::memcmp(probe.target.data(), payload.data() + 64, probe.length) == 0);
  CHECK(s->divert_copied_bytes() == 0);  // not one byte of the range went through the read buffer
  CHECK(s->divert_received_bytes() == probe.length);
  CHECK(out.records[0] == "an ordinary record after it");
}

TEST_CASE_METHOD(pair_fixture, "a range partly read with the head is copied once, the rest received in place",
                 "[transport][divert]") {
  divert_setup ds(*this, 200000, false);
  auto& [raw, out, s, probe] = ds;  // not armed: the first read takes what the socket has
  const auto payload = divertible(64, probe.length, 3);
  bool sent = false;
  write_async(raw, std::make_shared<const bytes>(framed(payload)), sent);
  run_until([&] { return sent && probe.diverted.size() == 1; });
  CHECK(probe.diverted[0].rest == payload.substr(0, 64) + payload.substr(64 + probe.length));
  CHECK(std::memcmp(probe.target.data(), payload.data() + 64, probe.length) == 0);
  CHECK(s->divert_copied_bytes() > 0);
  CHECK(s->divert_copied_bytes() + s->divert_received_bytes() == probe.length);
}

TEST_CASE_METHOD(pair_fixture, "a cancelled divert writes its target no more and still keeps the stream in step",
                 "[transport][divert]") {
  divert_setup ds(*this, 100000, true);
  auto& [raw, out, s, probe] = ds;
  const auto payload = divertible(64, probe.length, 8);
  const auto rec = framed(payload);
  const std::size_t first = 4 + 64 + 40000;  // the mark, the head and part of the range
  bool sent = false;
  write_async(raw, std::make_shared<const bytes>(rec.begin(), rec.begin() + static_cast<std::ptrdiff_t>(first)), sent);
  run_until([&] { return sent && s->divert_received_bytes() == 40000; });
  s->cancel_divert();
  auto rest = bytes(rec.begin() + static_cast<std::ptrdiff_t>(first), rec.end());
  const auto next = framed("next");
  rest.insert(rest.end(), next.begin(), next.end());
  sent = false;
  write_async(raw, std::make_shared<const bytes>(std::move(rest)), sent);
  run_until([&] { return sent && probe.diverted.size() == 1 && out.records.size() == 1; });
  CHECK_FALSE(probe.diverted[0].landed);
  CHECK(std::memcmp(probe.target.data(), payload.data() + 64, 40000) == 0);
  CHECK(std::all_of(probe.target.begin() + 40000, probe.target.end(), [](xdr::byte b) { return b == 0xEE; }));
  CHECK(out.records[0] == "next");
  CHECK_FALSE(out.closed);
}

TEST_CASE_METHOD(pair_fixture, "records of several fragments and records refused by the handler arrive whole",
                 "[transport][divert]") {
  divert_setup ds(*this, 1000, true);
  auto& [raw, out, s, probe] = ds;
  const auto payload = divertible(64, probe.length, 4);
  write_raw(raw, framed(payload, 500));  // three fragments
  run_until([&] { return out.records.size() == 1; });
  CHECK(out.records[0] == payload);
  CHECK(probe.asked == 0);
  probe.refuse = true;
  write_raw(raw, framed(payload));
  run_until([&] { return out.records.size() == 2; });
  CHECK(out.records[1] == payload);
  CHECK(probe.asked == 1);
  CHECK(probe.diverted.empty());
  CHECK(std::all_of(probe.target.begin(), probe.target.end(), [](xdr::byte b) { return b == 0xEE; }));
}
