// The session's socket io over a real socketpair, its io_context driven by this thread (poll until no
// handler is ready), the records arriving at a scoped_actor: backpressure stops reading at the limit and
// resumes when an answer is written; a spent memory budget is answered OVERLOADED without the actor.
#include <catch2/catch.hpp>

#include <boost/asio.hpp>

#include <caf/all.hpp>

#include "actors/session/socket_io.hpp"
#include "transport/rpc_replies.hpp"
#include "wire.hpp"

using namespace ferry;
using namespace ferry::actors;
using namespace ferry::test;
namespace asio = boost::asio;
using unix_socket = asio::local::stream_protocol::socket;
namespace pc = ferry::proto::client;

namespace {

struct harness {
  asio::io_context io;
  unix_socket client{io};
  std::shared_ptr<session::memory_budget> budget;
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor owner{sys};
  std::unique_ptr<session_io> sio;
  std::vector<shared_bytes> records;
  bool closed = false;

  harness(session::flow_limits flow, std::uint64_t budget_bytes)
      : budget(std::make_shared<session::memory_budget>(budget_bytes)) {
    unix_socket server(io);
    asio::local::connect_pair(server, client);
    accepted_connection conn;
    conn.unix_socket = std::make_shared<unix_socket>(std::move(server));
    socket_io_options options;
    options.flow = flow;
    options.budget = budget;
    sio = socket_io_factory(std::move(conn), options)(caf::actor_cast<caf::actor>(owner));
    sio->start();
  }
  ~harness() {
    records.clear();
    sio.reset();
    pump();
  }

  /// Runs handlers until none is ready several times in a row (reads are non-blocking: data the client
  /// wrote is there), then takes what reached the owner.
  void pump() {
    for (int idle = 0, i = 0; idle < 5 && i < 10000; ++i) {
      io.restart();  // poll() leaves the context stopped whenever it ran out of work
      idle = io.poll() == 0 ? idle + 1 : 0;
    }
    for (bool more = true; more;)
      owner->receive([&](session_records& r) { records.insert(records.end(), r.records.begin(), r.records.end()); },
                     [&](session_closed&) { closed = true; }, caf::after(std::chrono::seconds(0)) >> [&] { more = false; });
  }

  void client_sends(const bytes& payload) { asio::write(client, asio::buffer(xdr::frame_record(payload))); }

  /// Reads one reply record from the client side (blocking: only after pump() wrote it).
  decoded_reply client_reads() {
    bytes record(4);
    asio::read(client, asio::buffer(record));
    auto head = xdr::scan_record(record, {});  // one header read: "need" the whole record's bytes
    REQUIRE(head);
    REQUIRE_FALSE(head->complete());
    record.resize(head->bytes);
    asio::read(client, asio::buffer(record.data() + 4, record.size() - 4));
    return decode_record(std::move(record));
  }
};

bytes put_call(std::uint32_t xid) {
  return call_payload(xid, 1, pc::put_args{xdr::as_bytes(std::string_view("key")), xdr::as_bytes(std::string_view("value")), 0, {}, 0});
}

}  // namespace

TEST_CASE("the io stops reading at the in-flight limit and resumes once an answer is written", "[socket_io]") {
  harness h({2, 1 << 20}, 1 << 20);
  for (std::uint32_t xid = 1; xid <= 5; ++xid) h.client_sends(put_call(xid));
  h.pump();
  REQUIRE(h.records.size() == 2);  // the third call stays in the socket
  const auto size = h.records[0]->size();
  CHECK(h.budget->calls_in_flight() == 2);
  CHECK(h.budget->used() == 2 * size);
  CHECK(h.budget->sessions() == 1);

  h.sio->send(transport::void_success(1), size);
  h.pump();
  CHECK(h.client_reads().reply.xid == 1);
  REQUIRE(h.records.size() == 3);  // one answer written: one more call read
  CHECK(h.budget->calls_in_flight() == 2);

  h.sio->send(transport::void_success(2), size);
  h.sio->send(transport::void_success(3), size);
  h.pump();
  CHECK(h.records.size() == 5);
  CHECK(h.budget->calls_in_flight() == 2);

  // The records' memory is accounted for as long as anyone holds them.
  h.records.clear();
  CHECK(h.budget->used() == 0);
}

TEST_CASE("a spent memory budget is answered OVERLOADED by the io, the actor never sees the call", "[socket_io]") {
  harness h({8, 1 << 20}, 40);  // smaller than one PUT record
  h.client_sends(put_call(77));
  h.pump();
  CHECK(h.records.empty());
  auto d = h.client_reads();
  CHECK(d.reply.xid == 77);
  auto res = results_of<proto::reply>(d);
  CHECK(res.code == proto::status::overloaded);
  CHECK(std::string(res.detail).find("memory budget") != std::string::npos);
  CHECK(h.budget->calls_in_flight() == 0);
  CHECK(h.budget->used() == 0);
}

TEST_CASE("the client closing is reported once — closing the io forgets the session", "[socket_io]") {
  harness h({8, 1 << 20}, 1 << 20);
  h.client_sends(put_call(1));
  h.pump();
  REQUIRE(h.records.size() == 1);
  h.client.close();
  h.pump();
  CHECK(h.closed);
  // The unanswered call is no longer owed to anyone.
  h.sio.reset();
  h.pump();
  CHECK(h.budget->calls_in_flight() == 0);
  CHECK(h.budget->sessions() == 0);
}

TEST_CASE("a record over the size limit closes the connection, not the process", "[socket_io]") {
  harness h({8, 1 << 20}, 1 << 20);
  // A last fragment of 2 GiB - 1: over the 64 MiB default, refused from its header (nothing allocated).
  bytes mark{0xff, 0xff, 0xff, 0xff};
  asio::write(h.client, asio::buffer(mark));
  h.pump();
  CHECK(h.closed);
  CHECK(h.records.empty());
}

TEST_CASE("while ferryd drains, new calls are answered SHUTTING_DOWN by the io", "[socket_io]") {
  harness h({8, 1 << 20}, 1 << 20);
  h.budget->start_draining();
  h.client_sends(put_call(9));
  h.pump();
  CHECK(h.records.empty());
  auto d = h.client_reads();
  CHECK(d.reply.xid == 9);
  CHECK(results_of<proto::reply>(d).code == proto::status::shutting_down);
  CHECK(h.budget->calls_in_flight() == 0);
}
